//! The caller's plays, newest first.

use axum::extract::State;
use axum::Json;

use crate::app::{Error, PeopleService, Result};
use crate::http::auth::Auth;
use crate::http::error::ErrorBody;
use crate::http::extract::Query;
use crate::http::{decorate, dto};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

#[utoipa::path(get, path = "/api/history", tag = "history", params(dto::HistoryQuery),
    responses((status = 200, body = dto::History), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn history(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Query(q): Query<dto::HistoryQuery>,
) -> Result<Json<dto::History>> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Error::bad_request(format!(
            "limit must lie between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    let offset = usize::try_from(q.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let user = caller.user.id;
    let (entries, total) = people.history(user, limit as usize, offset).await?;
    let tracks: Vec<_> = entries.iter().map(|e| e.track.clone()).collect();
    let tracks = decorate::tracks(&people, user, &tracks).await?;
    Ok(Json(dto::History {
        items: tracks
            .into_iter()
            .zip(&entries)
            .map(|(track, e)| dto::Play {
                track,
                played_at: e.played_at,
            })
            .collect(),
        total,
    }))
}
