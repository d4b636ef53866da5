//! The player's position: drives the cache worker's priorities.

use axum::extract::State;
use axum::http::StatusCode;

use crate::app::{ListenerRef, PeopleService, PlaybackService, Result};
use crate::http::auth::Auth;
use crate::http::dto;
use crate::http::error::ErrorBody;
use crate::http::extract::Json;

#[utoipa::path(post, path = "/api/player/position", tag = "player", request_body = dto::Position,
    responses((status = 204, description = "Accepted"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn position(
    State(playback): State<PlaybackService>,
    Auth(caller): Auth,
    Json(p): Json<dto::Position>,
) -> Result<StatusCode> {
    let who = ListenerRef {
        user: caller.user.id,
        id: p.listener.as_deref(),
    };
    playback
        .update_position(
            who,
            p.track_id,
            p.position_s,
            p.next_track_id,
            p.loudness.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/player/queue", tag = "player",
    responses((status = 200, body = dto::Queue), (status = 401, body = ErrorBody)))]
pub async fn get_queue(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
) -> Result<axum::Json<dto::Queue>> {
    let q = people.queue(caller.user.id).await?;
    Ok(axum::Json(dto::Queue {
        track_ids: q.track_ids,
        current_index: q.current_index,
        position_s: q.position_s,
        updated_at: q.updated_at,
    }))
}

#[utoipa::path(put, path = "/api/player/queue", tag = "player", request_body = dto::Queue,
    responses((status = 204, description = "Saved"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn put_queue(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Json(q): Json<dto::Queue>,
) -> Result<StatusCode> {
    people
        .save_queue(caller.user.id, q.track_ids, q.current_index, q.position_s)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
