//! Accounts routes: first-run setup, sign-in and sign-out, the caller's API keys.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::app::{AuthService, Result};
use crate::http::auth::{cleared_cookie, session_cookie, Auth, MaybeAuth};
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::{Json as JsonBody, Path};
use crate::http::guard::Client;

#[utoipa::path(get, path = "/api/auth/status", tag = "auth",
    responses((status = 200, body = dto::AuthStatus)))]
pub async fn status(
    State(auth): State<AuthService>,
    MaybeAuth(caller): MaybeAuth,
    client: Client,
) -> Result<Response> {
    let body = dto::AuthStatus {
        setup_required: auth.setup_required().await?,
        user: caller.as_ref().map(|c| (&c.user).into()),
    };
    // A signed-in page keeps its cookie fresh: the session lasts while it is used.
    let refresh = caller.and_then(|c| match c.via {
        crate::app::Via::Session(token) => Some(session_cookie(&token, client.https)),
        crate::app::Via::ApiKey(_) | crate::app::Via::Subsonic => None,
    });
    let mut response = Json(body).into_response();
    if let Some(cookie) = refresh {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

fn signed_in(
    status: StatusCode,
    user: &auralis_library::User,
    token: &str,
    https: bool,
) -> Response {
    (
        status,
        [(header::SET_COOKIE, session_cookie(token, https))],
        Json(dto::SignedIn { user: user.into() }),
    )
        .into_response()
}

#[utoipa::path(post, path = "/api/auth/setup", tag = "auth", request_body = dto::Credentials,
    responses((status = 201, body = dto::SignedIn, description = "The admin account, signed in"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody, description = "Already set up")))]
pub async fn setup(
    State(auth): State<AuthService>,
    client: Client,
    JsonBody(body): JsonBody<dto::Credentials>,
) -> Result<Response> {
    let (user, token) = auth.setup(body.username, body.password).await?;
    tracing::info!(user = %user.name, "first account created");
    Ok(signed_in(StatusCode::CREATED, &user, &token, client.https))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = dto::Credentials,
    responses((status = 200, body = dto::SignedIn), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many failures; see Retry-After")))]
pub async fn login(
    State(auth): State<AuthService>,
    client: Client,
    JsonBody(body): JsonBody<dto::Credentials>,
) -> Result<Response> {
    let (user, token) = auth
        .login(body.username, body.password, client.addr)
        .await?;
    Ok(signed_in(StatusCode::OK, &user, &token, client.https))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(auth): State<AuthService>,
    Auth(caller): Auth,
    client: Client,
) -> Result<Response> {
    auth.logout(&caller).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_cookie(client.https))],
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/auth/keys", tag = "auth",
    responses((status = 200, body = dto::ApiKeyList), (status = 401, body = ErrorBody)))]
pub async fn list_keys(
    State(auth): State<AuthService>,
    Auth(caller): Auth,
) -> Result<Json<dto::ApiKeyList>> {
    let keys = auth.keys(&caller).await?;
    Ok(Json(dto::ApiKeyList {
        items: keys.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/auth/keys", tag = "auth", request_body = dto::NewApiKeyRequest,
    responses((status = 201, body = dto::NewApiKey, description = "The key, shown this once"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create_key(
    State(auth): State<AuthService>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<dto::NewApiKeyRequest>,
) -> Result<(StatusCode, Json<dto::NewApiKey>)> {
    let (key, secret) = auth.create_key(&caller, body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(dto::NewApiKey {
            id: key.id,
            name: key.name,
            created_at: key.created_at,
            key: secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/auth/keys/{id}", tag = "auth",
    params(("id" = i64, Path, description = "API key id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn delete_key(
    State(auth): State<AuthService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    auth.delete_key(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/account/streaming", tag = "auth",
    responses((status = 200, body = crate::app::people::StreamingPreferences,
        description = "What the caller's Subsonic apps get for a bitrate without a format"),
        (status = 401, body = ErrorBody)))]
pub async fn get_streaming(
    State(people): State<crate::app::PeopleService>,
    Auth(caller): Auth,
) -> Result<Json<crate::app::people::StreamingPreferences>> {
    Ok(Json(people.streaming(caller.user.id).await?))
}

#[utoipa::path(put, path = "/api/account/streaming", tag = "auth",
    request_body = crate::app::people::StreamingPreferences,
    responses((status = 200, body = crate::app::people::StreamingPreferences),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn put_streaming(
    State(people): State<crate::app::PeopleService>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<crate::app::people::StreamingPreferences>,
) -> Result<Json<crate::app::people::StreamingPreferences>> {
    people.set_streaming(caller.user.id, body).await?;
    Ok(Json(body))
}
