//! Cache routes: stats, per-track status, clear.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::{App, Result};
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::Path;

#[utoipa::path(get, path = "/api/cache/stats", tag = "cache",
    responses((status = 200, body = dto::CacheStats)))]
pub async fn stats(State(app): State<App>) -> Json<dto::CacheStats> {
    Json((&app.cache_stats()).into())
}

#[utoipa::path(get, path = "/api/cache/track/{id}", tag = "cache",
    params(("id" = i64, Path, description = "Track id")),
    responses((status = 200, body = dto::TrackCacheStatus), (status = 404, body = ErrorBody),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn track(
    State(app): State<App>,
    Path(id): Path<i64>,
) -> Result<Json<dto::TrackCacheStatus>> {
    Ok(Json((&app.track_cache_status(id).await?).into()))
}

#[utoipa::path(delete, path = "/api/cache", tag = "cache",
    responses((status = 204, description = "Both tiers emptied")))]
pub async fn clear(State(app): State<App>) -> Result<StatusCode> {
    app.clear_cache().await?;
    Ok(StatusCode::NO_CONTENT)
}
