//! Per-track extras: lyrics and the waveform of the seek bar.

use axum::extract::State;
use axum::Json;

use crate::app::{PeopleService, Result};
use crate::http::auth::Auth;
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::{Path, Query};

/// Waveform slices when the request does not say.
const DEFAULT_POINTS: usize = 1000;

#[utoipa::path(get, path = "/api/tracks/{id}/lyrics", tag = "library",
    params(("id" = i64, Path, description = "Track id")),
    responses((status = 200, body = dto::Lyrics), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such track, or no lyrics")))]
pub async fn lyrics(
    State(people): State<PeopleService>,
    _auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<dto::Lyrics>> {
    Ok(Json((&people.lyrics(id).await?).into()))
}

#[utoipa::path(get, path = "/api/tracks/{id}/waveform", tag = "library",
    params(("id" = i64, Path, description = "Track id"), dto::WaveformQuery),
    responses((status = 200, body = dto::Waveform), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "Not analysed yet")))]
pub async fn waveform(
    State(people): State<PeopleService>,
    _auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<dto::WaveformQuery>,
) -> Result<Json<dto::Waveform>> {
    let points = q.points.unwrap_or(DEFAULT_POINTS);
    let peaks = people.waveform(id, points).await?;
    Ok(Json(dto::Waveform { points, peaks }))
}
