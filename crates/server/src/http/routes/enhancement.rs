//! Enhancement routes: answered from memory at once, persisted in the background.

use axum::extract::State;
use axum::Json;

use crate::app::{EnhancementService, Result};
use crate::http::auth::Auth;
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::{Json as JsonBody, OptionalJson};

#[utoipa::path(get, path = "/api/enhancement", tag = "enhancement",
    responses((status = 200, body = dto::Enhancement), (status = 401, body = ErrorBody)))]
pub async fn get(
    State(enhancement): State<EnhancementService>,
    Auth(caller): Auth,
) -> Result<Json<dto::Enhancement>> {
    Ok(Json(enhancement.get(caller.user.id).await?.into()))
}

#[utoipa::path(post, path = "/api/enhancement/toggle", tag = "enhancement",
    request_body(content = Option<dto::ToggleRequest>, description = "Absent: flip"),
    responses((status = 200, body = dto::Enhancement), (status = 400, body = ErrorBody)))]
pub async fn toggle(
    State(enhancement): State<EnhancementService>,
    Auth(caller): Auth,
    OptionalJson(body): OptionalJson<dto::ToggleRequest>,
) -> Result<Json<dto::Enhancement>> {
    let enabled = body.and_then(|b| b.enabled);
    Ok(Json(
        enhancement.toggle(caller.user.id, enabled).await?.into(),
    ))
}

#[utoipa::path(post, path = "/api/enhancement/preset", tag = "enhancement", request_body = dto::PresetRequest,
    responses((status = 200, body = dto::Enhancement), (status = 400, body = ErrorBody)))]
pub async fn preset(
    State(enhancement): State<EnhancementService>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<dto::PresetRequest>,
) -> Result<Json<dto::Enhancement>> {
    let state = enhancement.set_preset(caller.user.id, &body.preset).await?;
    Ok(Json(state.into()))
}

#[utoipa::path(post, path = "/api/enhancement/loudness", tag = "enhancement", request_body = dto::LoudnessRequest,
    responses((status = 200, body = dto::Enhancement), (status = 400, body = ErrorBody)))]
pub async fn loudness(
    State(enhancement): State<EnhancementService>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<dto::LoudnessRequest>,
) -> Result<Json<dto::Enhancement>> {
    let state = enhancement.set_loudness(caller.user.id, &body.mode).await?;
    Ok(Json(state.into()))
}

#[utoipa::path(post, path = "/api/enhancement/intensity", tag = "enhancement", request_body = dto::IntensityRequest,
    responses((status = 200, body = dto::Enhancement), (status = 400, body = ErrorBody)))]
pub async fn intensity(
    State(enhancement): State<EnhancementService>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<dto::IntensityRequest>,
) -> Result<Json<dto::Enhancement>> {
    let state = enhancement
        .set_intensity(caller.user.id, body.intensity)
        .await?;
    Ok(Json(state.into()))
}
