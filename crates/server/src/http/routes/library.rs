//! Library routes: health, tracks, albums, artists, artwork, scan.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use auralis_library::people::PlayOrder;

use crate::app::{Error, LibraryService, PeopleService, Result};
use crate::http::auth::{Admin, Auth};
use crate::http::error::ErrorBody;
use crate::http::extract::{Path, Query};
use crate::http::{decorate, dto};

/// Default and largest page sizes of `/api/tracks`.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[utoipa::path(get, path = "/api/health", tag = "library",
    responses((status = 200, body = dto::Health)))]
pub async fn health(State(library): State<LibraryService>) -> Result<Json<dto::Health>> {
    let tracks = library.track_count().await?;
    Ok(Json(dto::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        tracks,
    }))
}

#[utoipa::path(get, path = "/api/tracks", tag = "library", params(dto::TracksQuery),
    responses((status = 200, body = dto::TrackPage), (status = 400, body = ErrorBody)))]
pub async fn list_tracks(
    State(library): State<LibraryService>,
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Query(q): Query<dto::TracksQuery>,
) -> Result<Json<dto::TrackPage>> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(crate::app::Error::bad_request(format!(
            "limit must lie between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    let offset = q.offset.unwrap_or(0);
    let query = q.q.filter(|s| !s.trim().is_empty());
    let (items, total) = library.tracks(query, limit, offset).await?;
    Ok(Json(dto::TrackPage {
        items: decorate::tracks(&people, caller.user.id, &items).await?,
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(get, path = "/api/tracks/{id}", tag = "library",
    params(("id" = i64, Path, description = "Track id")),
    responses((status = 200, body = dto::Track), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn get_track(
    State(library): State<LibraryService>,
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
) -> Result<Json<dto::Track>> {
    let track = library.track(id).await?;
    Ok(Json(
        decorate::track(&people, caller.user.id, &track).await?,
    ))
}

#[utoipa::path(get, path = "/api/library/unreadable", tag = "library",
    responses((status = 200, body = dto::UnreadableList)))]
pub async fn list_unreadable(
    State(library): State<LibraryService>,
    _auth: Auth,
) -> Result<Json<dto::UnreadableList>> {
    let items = library.unreadable().await?;
    Ok(Json(dto::UnreadableList {
        items: items
            .into_iter()
            .map(|f| dto::UnreadableFile {
                path: f.path,
                reason: f.reason,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/albums", tag = "library", params(dto::AlbumsQuery),
    responses((status = 200, body = dto::AlbumList), (status = 400, body = ErrorBody)))]
pub async fn list_albums(
    State(library): State<LibraryService>,
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Query(q): Query<dto::AlbumsQuery>,
) -> Result<Json<dto::AlbumList>> {
    let user = caller.user.id;
    let albums = match q.sort.as_deref() {
        None | Some("name") => library.albums().await?,
        Some("recent") => people.albums_by_plays(user, PlayOrder::Recent).await?,
        Some("frequent") => people.albums_by_plays(user, PlayOrder::Frequent).await?,
        Some(other) => {
            return Err(Error::bad_request(format!(
                "unknown sort {other:?}: use name, recent or frequent"
            )))
        }
    };
    Ok(Json(dto::AlbumList {
        items: decorate::albums(&people, user, &albums).await?,
    }))
}

#[utoipa::path(get, path = "/api/albums/{id}", tag = "library",
    params(("id" = i64, Path, description = "Album id")),
    responses((status = 200, body = dto::AlbumWithTracks), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn get_album(
    State(library): State<LibraryService>,
    State(people): State<PeopleService>,
    Auth(caller): Auth,
    Path(id): Path<i64>,
) -> Result<Json<dto::AlbumWithTracks>> {
    let user = caller.user.id;
    let detail = library.album(id).await?;
    let album = decorate::albums(&people, user, std::slice::from_ref(&detail.album))
        .await?
        .remove(0);
    Ok(Json(dto::AlbumWithTracks {
        album,
        tracks: decorate::tracks(&people, user, &detail.tracks).await?,
    }))
}

#[utoipa::path(get, path = "/api/artists", tag = "library",
    responses((status = 200, body = dto::ArtistList)))]
pub async fn list_artists(
    State(library): State<LibraryService>,
    State(people): State<PeopleService>,
    Auth(caller): Auth,
) -> Result<Json<dto::ArtistList>> {
    let artists = library.artists().await?;
    Ok(Json(dto::ArtistList {
        items: decorate::artists(&people, caller.user.id, &artists).await?,
    }))
}

#[utoipa::path(get, path = "/api/tracks/{id}/artwork", tag = "library",
    params(("id" = i64, Path, description = "Track id")),
    responses((status = 200, description = "The image, with its content type", content_type = "image/*"),
        (status = 404, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn get_artwork(
    State(library): State<LibraryService>,
    _auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response> {
    let (bytes, mime) = library.artwork(id).await?;
    let mime = HeaderValue::from_str(&mime)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/library/scan", tag = "library",
    responses((status = 202, body = dto::ScanStatus), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn start_scan(
    State(library): State<LibraryService>,
    _admin: Admin,
) -> (StatusCode, Json<dto::ScanStatus>) {
    (StatusCode::ACCEPTED, Json((&library.start_scan()).into()))
}

#[utoipa::path(get, path = "/api/library/scan", tag = "library",
    responses((status = 200, body = dto::ScanStatus)))]
pub async fn scan_status(
    State(library): State<LibraryService>,
    _auth: Auth,
) -> Json<dto::ScanStatus> {
    Json((&library.scan_status()).into())
}
