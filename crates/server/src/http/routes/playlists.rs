//! Playlists: the caller's and the public ones, their tracks in order, M3U in and out.

use auralis_library::people::{PlaylistDetail, PlaylistUpdate};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::app::{Error, PeopleService, Result};
use crate::http::auth::Auth;
use crate::http::error::ErrorBody;
use crate::http::extract::{Json as JsonBody, Path, Query};
use crate::http::{decorate, dto};

/// Content types an M3U import is accepted in.
const M3U_TYPES: &[&str] = &[
    "audio/x-mpegurl",
    "audio/mpegurl",
    "application/x-mpegurl",
    "application/vnd.apple.mpegurl",
];

fn listed(p: &auralis_library::people::Playlist, user: i64) -> dto::Playlist {
    dto::Playlist {
        mine: p.owner_id == user,
        ..p.into()
    }
}

async fn with_tracks(
    people: &PeopleService,
    user: i64,
    d: &PlaylistDetail,
) -> Result<dto::PlaylistWithTracks> {
    Ok(dto::PlaylistWithTracks {
        playlist: listed(&d.playlist, user),
        tracks: decorate::tracks(people, user, &d.tracks).await?,
    })
}

#[utoipa::path(get, path = "/api/playlists", tag = "playlists",
    responses((status = 200, body = dto::PlaylistList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
) -> Result<Json<dto::PlaylistList>> {
    let user = caller.user.id;
    let items = people.playlists(user).await?;
    Ok(Json(dto::PlaylistList {
        items: items.iter().map(|p| listed(p, user)).collect(),
    }))
}

#[utoipa::path(post, path = "/api/playlists", tag = "playlists", request_body = dto::NewPlaylist,
    responses((status = 201, body = dto::PlaylistWithTracks), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "An unknown track")))]
pub async fn create(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<dto::NewPlaylist>,
) -> Result<(StatusCode, Json<dto::PlaylistWithTracks>)> {
    let user = caller.user.id;
    let d = people
        .create_playlist(user, body.name, body.comment, body.public, body.track_ids)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(with_tracks(&people, user, &d).await?),
    ))
}

#[utoipa::path(get, path = "/api/playlists/{id}", tag = "playlists",
    params(("id" = i64, Path, description = "Playlist id")),
    responses((status = 200, body = dto::PlaylistWithTracks), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
) -> Result<Json<dto::PlaylistWithTracks>> {
    let user = caller.user.id;
    let d = people.playlist(user, id).await?;
    Ok(Json(with_tracks(&people, user, &d).await?))
}

#[utoipa::path(put, path = "/api/playlists/{id}", tag = "playlists",
    params(("id" = i64, Path, description = "Playlist id")), request_body = dto::PlaylistChange,
    responses((status = 200, body = dto::PlaylistWithTracks), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "Another user's"),
        (status = 404, body = ErrorBody)))]
pub async fn update(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<dto::PlaylistChange>,
) -> Result<Json<dto::PlaylistWithTracks>> {
    let user = caller.user.id;
    let change = PlaylistUpdate {
        name: body.name,
        comment: body.comment,
        public: body.public,
        track_ids: body.track_ids,
    };
    let d = people.update_playlist(user, id, change).await?;
    Ok(Json(with_tracks(&people, user, &d).await?))
}

#[utoipa::path(delete, path = "/api/playlists/{id}", tag = "playlists",
    params(("id" = i64, Path, description = "Playlist id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    people.delete_playlist(caller.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/playlists/{id}/m3u", tag = "playlists",
    params(("id" = i64, Path, description = "Playlist id")),
    responses((status = 200, description = "M3U, paths relative to the music folder", content_type = "audio/x-mpegurl"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_m3u(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
) -> Result<Response> {
    let text = people.export_m3u(caller.user.id, id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("audio/x-mpegurl; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"playlist-{id}.m3u8\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        text,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/playlists/import", tag = "playlists", params(dto::ImportQuery),
    request_body(content = String, content_type = "audio/x-mpegurl", description = "An M3U/M3U8 playlist"),
    responses((status = 201, body = dto::ImportedPlaylist), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn import_m3u(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Query(q): Query<dto::ImportQuery>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<dto::ImportedPlaylist>)> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !M3U_TYPES.contains(&kind.as_str()) {
        return Err(Error::UnsupportedMediaType(
            "send the playlist as Content-Type: audio/x-mpegurl".into(),
        ));
    }
    let user = caller.user.id;
    let text = auralis_library::people::m3u::decode(&body?);
    let imported = people.import_m3u(user, q.name, text).await?;
    Ok((
        StatusCode::CREATED,
        Json(dto::ImportedPlaylist {
            playlist: with_tracks(&people, user, &imported.playlist).await?,
            unmatched: imported.unmatched,
        }),
    ))
}
