//! Cache routes: stats, the worker's queue, per-track status, clear.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::{CacheService, EnhancementService, Result};
use crate::http::auth::{Admin, Auth};
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::{Path, Query};

#[utoipa::path(get, path = "/api/cache/stats", tag = "cache",
    responses((status = 200, body = dto::CacheStats)))]
pub async fn stats(State(cache): State<CacheService>, _auth: Auth) -> Json<dto::CacheStats> {
    Json((&cache.stats()).into())
}

/// What the worker will do next: the requests waiting for a render (P0, oldest first, with
/// how many clients still wait on each), then the background plan. Admins only: it shows
/// every listener's tracks.
#[utoipa::path(get, path = "/api/cache/queue", tag = "cache", params(dto::QueueQuery),
    responses((status = 200, body = dto::CacheQueue), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(cache): State<CacheService>,
    _admin: Admin,
    Query(q): Query<dto::QueueQuery>,
) -> Json<dto::CacheQueue> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000) as usize;
    Json(dto::CacheQueue {
        items: cache.queue(limit).iter().map(Into::into).collect(),
    })
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
