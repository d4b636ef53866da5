//! The player's position: drives the cache worker's priorities.

use axum::extract::State;
use axum::http::StatusCode;

use crate::app::{ListenerRef, PlaybackService, Result};
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
        .update_position(who, p.track_id, p.position_s, p.next_track_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
