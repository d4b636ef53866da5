//! Enhancement routes: answered from memory at once, persisted in the background.

use axum::extract::State;
use axum::Json;

use crate::app::{EnhancementService, Result};
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::{Json as JsonBody, OptionalJson};

#[utoipa::path(get, path = "/api/enhancement", tag = "enhancement",
    responses((status = 200, body = dto::Enhancement)))]
pub async fn get(State(enhancement): State<EnhancementService>) -> Json<dto::Enhancement> {
    Json(enhancement.get().into())
}

#[utoipa::path(post, path = "/api/enhancement/toggle", tag = "enhancement",
    request_body(content = Option<dto::ToggleRequest>, description = "Absent: flip"),
    responses((status = 200, body = dto::Enhancement), (status = 400, body = ErrorBody)))]
pub async fn toggle(
    State(enhancement): State<EnhancementService>,
    OptionalJson(body): OptionalJson<dto::ToggleRequest>,
) -> Json<dto::Enhancement> {
    Json(enhancement.toggle(body.and_then(|b| b.enabled)).into())
}

#[utoipa::path(post, path = "/api/enhancement/preset", tag = "enhancement", request_body = dto::PresetRequest,
    responses((status = 200, body = dto::Enhancement), (status = 400, body = ErrorBody)))]
pub async fn preset(
    State(enhancement): State<EnhancementService>,
    JsonBody(body): JsonBody<dto::PresetRequest>,
) -> Result<Json<dto::Enhancement>> {
    Ok(Json(enhancement.set_preset(&body.preset)?.into()))
}

#[utoipa::path(post, path = "/api/enhancement/intensity", tag = "enhancement", request_body = dto::IntensityRequest,
    responses((status = 200, body = dto::Enhancement), (status = 400, body = ErrorBody)))]
pub async fn intensity(
    State(enhancement): State<EnhancementService>,
    JsonBody(body): JsonBody<dto::IntensityRequest>,
) -> Result<Json<dto::Enhancement>> {
    Ok(Json(enhancement.set_intensity(body.intensity)?.into()))
}
