//! User management: listing, adding and removing users (admins), and changing a password
//! (admins for anyone, users for themselves with their old password).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::{AuthService, EnhancementService, Result};
use crate::http::auth::{Admin, Auth};
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::{Json as JsonBody, Path};

#[utoipa::path(get, path = "/api/users", tag = "users",
    responses((status = 200, body = dto::UserList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(State(auth): State<AuthService>, _admin: Admin) -> Result<Json<dto::UserList>> {
    let users = auth.users().await?;
    Ok(Json(dto::UserList {
        items: users.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/users", tag = "users", request_body = dto::NewUserRequest,
    responses((status = 201, body = dto::User), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The name is in use")))]
pub async fn create(
    State(auth): State<AuthService>,
    Admin(admin): Admin,
    JsonBody(body): JsonBody<dto::NewUserRequest>,
) -> Result<(StatusCode, Json<dto::User>)> {
    let user = auth
        .create_user(body.username, body.password, body.admin)
        .await?;
    tracing::info!(user = %user.name, admin = user.admin, by = %admin.user.name, "user added");
    Ok((StatusCode::CREATED, Json((&user).into())))
}

#[utoipa::path(delete, path = "/api/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 204, description = "Removed with their sessions, keys and data"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The last admin")))]
pub async fn delete(
    State(auth): State<AuthService>,
    State(enhancement): State<EnhancementService>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    auth.delete_user(id).await?;
    enhancement.forget(id);
    tracing::info!(user = id, by = %admin.user.name, "user removed");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/users/{id}/password", tag = "users",
    params(("id" = i64, Path, description = "User id")), request_body = dto::PasswordChange,
    responses((status = 204, description = "Changed; the user's other sessions end"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_password(
    State(auth): State<AuthService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<dto::PasswordChange>,
) -> Result<StatusCode> {
    auth.change_password(&caller, id, body.old_password, body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
