//! Cache routes: stats, per-track status, clear.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::{CacheService, EnhancementService, Result};
use crate::http::auth::{Admin, Auth};
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::Path;

#[utoipa::path(get, path = "/api/cache/stats", tag = "cache",
    responses((status = 200, body = dto::CacheStats)))]
pub async fn stats(State(cache): State<CacheService>, _auth: Auth) -> Json<dto::CacheStats> {
    Json((&cache.stats()).into())
}

#[utoipa::path(get, path = "/api/cache/track/{id}", tag = "cache",
    params(("id" = i64, Path, description = "Track id")),
    responses((status = 200, body = dto::TrackCacheStatus), (status = 404, body = ErrorBody),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn track(
    State(cache): State<CacheService>,
    State(enhancement): State<EnhancementService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
) -> Result<Json<dto::TrackCacheStatus>> {
    let state = enhancement.get(caller.user.id).await?;
    let processed = auralis_cache::Variant::processed(state.preset, state.loudness);
    Ok(Json((&cache.track_status(id, processed).await?).into()))
}

#[utoipa::path(delete, path = "/api/cache", tag = "cache",
    responses((status = 204, description = "Both tiers emptied"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn clear(State(cache): State<CacheService>, _admin: Admin) -> Result<StatusCode> {
    cache.clear().await?;
    Ok(StatusCode::NO_CONTENT)
}
