//! Streaming routes: a track's chunk timeline and its FLAC chunks, always through the cache.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::app::{ListenerRef, PlaybackService, Result};
use crate::http::auth::Auth;
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::{Path, Query};

#[utoipa::path(get, path = "/api/stream/{id}/metadata", tag = "stream",
    params(("id" = i64, Path, description = "Track id"), dto::MetadataQuery),
    responses((status = 200, body = dto::StreamMetadata), (status = 404, body = ErrorBody),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn metadata(
    State(playback): State<PlaybackService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
    Query(q): Query<dto::MetadataQuery>,
) -> Result<Json<dto::StreamMetadata>> {
    let (info, level_match_db) = playback
        .metadata(
            caller.user.id,
            id,
            q.preset.as_deref(),
            q.loudness.as_deref(),
        )
        .await?;
    Ok(Json((info.as_ref(), level_match_db).into()))
}

#[utoipa::path(get, path = "/api/stream/{id}/chunk/{n}", tag = "stream",
    params(("id" = i64, Path, description = "Track id"), ("n" = u64, Path, description = "Chunk index"),
        dto::ChunkQuery),
    responses((status = 200, description = "One standalone FLAC file", content_type = "audio/flac",
            headers(("X-Cache-Tier" = String, description = "tier1, tier2 or miss"),
                ("X-Chunk-Start-Sample" = u64, description = "First sample of the chunk"),
                ("X-Chunk-Samples" = u64, description = "Samples in the chunk"),
                ("ETag" = String, description = "Identifies the chunk's bytes"))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Too many chunk requests are waiting; see Retry-After")))]
pub async fn chunk(
    State(playback): State<PlaybackService>,
    Auth(caller): Auth,
    Path((id, n)): Path<(i64, u64)>,
    Query(q): Query<dto::ChunkQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let who = ListenerRef {
        user: caller.user.id,
        id: q.listener.as_deref(),
    };
    let chunk = playback
        .chunk(
            who,
            id,
            n,
            q.variant.as_deref(),
            q.preset.as_deref(),
            q.loudness.as_deref(),
        )
        .await?;
    let etag = HeaderValue::from_str(&chunk.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = [
        (header::ETAG, etag),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=3600"),
        ),
        (
            header::HeaderName::from_static("x-cache-tier"),
            HeaderValue::from_static(chunk.tier),
        ),
        (
            header::HeaderName::from_static("x-chunk-start-sample"),
            HeaderValue::from(chunk.start_sample),
        ),
        (
            header::HeaderName::from_static("x-chunk-samples"),
            HeaderValue::from(chunk.samples),
        ),
    ];
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == chunk.etag));
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static("audio/flac"))],
        chunk.bytes,
    )
        .into_response())
}
