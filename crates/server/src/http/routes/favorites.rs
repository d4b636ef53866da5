//! Favourites: a heart on tracks, albums and artists, and the list of them.

use auralis_library::people::ItemKind;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::{PeopleService, Result};
use crate::http::auth::Auth;
use crate::http::error::ErrorBody;
use crate::http::extract::Path;
use crate::http::{decorate, dto};

macro_rules! favorite_routes {
    ($put:ident, $delete:ident, $path:literal, $kind:expr, $what:literal) => {
        #[utoipa::path(put, path = $path, tag = "favorites",
            params(("id" = i64, Path, description = $what)),
            responses((status = 204, description = "Marked"), (status = 401, body = ErrorBody),
                (status = 404, body = ErrorBody)))]
        pub async fn $put(
            State(people): State<PeopleService>,
            Auth(caller): Auth,
            Path(id): Path<i64>,
        ) -> Result<StatusCode> {
            people.set_favorite(caller.user.id, $kind, id, true).await?;
            Ok(StatusCode::NO_CONTENT)
        }

        #[utoipa::path(delete, path = $path, tag = "favorites",
            params(("id" = i64, Path, description = $what)),
            responses((status = 204, description = "Unmarked"), (status = 401, body = ErrorBody),
                (status = 404, body = ErrorBody)))]
        pub async fn $delete(
            State(people): State<PeopleService>,
            Auth(caller): Auth,
            Path(id): Path<i64>,
        ) -> Result<StatusCode> {
            people.set_favorite(caller.user.id, $kind, id, false).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

favorite_routes!(
    put_track,
    delete_track,
    "/api/tracks/{id}/favorite",
    ItemKind::Track,
    "Track id"
);
favorite_routes!(
    put_album,
    delete_album,
    "/api/albums/{id}/favorite",
    ItemKind::Album,
    "Album id"
);
favorite_routes!(
    put_artist,
    delete_artist,
    "/api/artists/{id}/favorite",
    ItemKind::Artist,
    "Artist id"
);

#[utoipa::path(get, path = "/api/favorites", tag = "favorites",
    responses((status = 200, body = dto::FavoriteList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(people): State<PeopleService>,
    Auth(caller): Auth,
) -> Result<Json<dto::FavoriteList>> {
    let user = caller.user.id;
    let f = people.favorites(user).await?;
    Ok(Json(dto::FavoriteList {
        tracks: decorate::tracks(&people, user, &f.tracks).await?,
        albums: decorate::albums(&people, user, &f.albums).await?,
        artists: decorate::artists(&people, user, &f.artists).await?,
    }))
}
