//! Lists: `getAlbumList` / `getAlbumList2` (every type), `getRandomSongs`, `getSongsByGenre`,
//! `getNowPlaying`, `getTopSongs`, `getStarred` / `getStarred2`.

use std::collections::HashMap;

use auralis_library::browse::AlbumOrder;
use auralis_library::people::PlayOrder;
use auralis_library::Album;

use super::response::Node;
use super::{model, Answer, Ctx, Params, Reply, SubsonicError};

/// Most items one list answer holds (as Subsonic defines for album lists).
const MAX_LIST: usize = 500;

fn year(p: &Params, name: &str) -> Result<i32, SubsonicError> {
    let v = p.int(name)?.ok_or_else(|| SubsonicError::missing(name))?;
    i32::try_from(v).map_err(|_| SubsonicError::new(0, format!("{name} is not a year")))
}

fn page<T>(items: Vec<T>, size: usize, offset: usize) -> Vec<T> {
    items.into_iter().skip(offset).take(size).collect()
}

/// The albums of one list type, paged.
async fn album_page(ctx: &Ctx, p: &Params) -> Result<Vec<Album>, SubsonicError> {
    let size = p.count("size", 10, MAX_LIST)?;
    let offset = p.count("offset", 0, usize::MAX)?;
    let kind = p.required("type")?;
    let lib = &ctx.app.library;
    let user = ctx.user();
    Ok(match kind {
        "random" => lib.albums_page(AlbumOrder::Random, size, 0).await?,
        "newest" => lib.albums_page(AlbumOrder::Newest, size, offset).await?,
        "alphabeticalByName" => lib.albums_page(AlbumOrder::ByName, size, offset).await?,
        "alphabeticalByArtist" => lib.albums_page(AlbumOrder::ByArtist, size, offset).await?,
        "byYear" => {
            let (from, to) = (year(p, "fromYear")?, year(p, "toYear")?);
            lib.albums_page(AlbumOrder::ByYear { from, to }, size, offset)
                .await?
        }
        "byGenre" => {
            let genre = p.required("genre")?.to_string();
            lib.albums_page(AlbumOrder::ByGenre(genre), size, offset)
                .await?
        }
        // Albums carry no rating of their own here: the most played are the "highest".
        "frequent" | "highest" => page(
            ctx.app
                .people
                .albums_by_plays(user, PlayOrder::Frequent)
                .await?,
            size,
            offset,
        ),
        "recent" => page(
            ctx.app
                .people
                .albums_by_plays(user, PlayOrder::Recent)
                .await?,
            size,
            offset,
        ),
        "starred" => page(ctx.app.people.favorites(user).await?.albums, size, offset),
        other => {
            return Err(SubsonicError::new(
                0,
                format!("unknown album list type {other:?}"),
            ))
        }
    })
}

/// `getAlbumList` (folder-style entries) and `getAlbumList2` (ID3 albums).
pub async fn album_list(ctx: &Ctx, p: &Params, id3: bool) -> Answer {
    let albums = album_page(ctx, p).await?;
    let (list, as_dir) = if id3 {
        ("albumList2", false)
    } else {
        ("albumList", true)
    };
    Ok(Reply::one(Node::new(list).list(
        "album",
        ctx.albums("album", &albums, as_dir).await?,
    )))
}

pub async fn random_songs(ctx: &Ctx, p: &Params) -> Answer {
    let size = p.count("size", 10, MAX_LIST)?;
    let genre = p.get("genre").filter(|g| !g.is_empty()).map(str::to_string);
    let from = p.int("fromYear")?.and_then(|y| i32::try_from(y).ok());
    let to = p.int("toYear")?.and_then(|y| i32::try_from(y).ok());
    let tracks = ctx.app.library.random_tracks(size, genre, from, to).await?;
    Ok(Reply::one(
        Node::new("randomSongs").list("song", ctx.songs("song", &tracks).await?),
    ))
}

pub async fn songs_by_genre(ctx: &Ctx, p: &Params) -> Answer {
    let genre = p.required("genre")?.to_string();
    let count = p.count("count", 10, MAX_LIST)?;
    let offset = p.count("offset", 0, usize::MAX)?;
    let tracks = ctx
        .app
        .library
        .tracks_by_genre(genre, count, offset)
        .await?;
    Ok(Reply::one(
        Node::new("songsByGenre").list("song", ctx.songs("song", &tracks).await?),
    ))
}

/// What every listener (web pages and apps, of every user) is playing now.
pub async fn now_playing(ctx: &Ctx, _: &Params) -> Answer {
    let listeners = ctx.app.playback.listeners();
    let names: HashMap<i64, String> = ctx
        .app
        .auth
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let d = ctx.delivery().await?;
    let mut entries = Vec::new();
    for (i, l) in listeners.iter().enumerate() {
        let Ok(track) = ctx.app.library.track(l.track.0).await else {
            continue;
        };
        let marks = ctx
            .app
            .people
            .track_marks(ctx.user(), vec![track.id])
            .await?;
        let player = l
            .listener
            .client
            .strip_prefix(super::stream::APP_LISTENER_PREFIX)
            .unwrap_or(&l.listener.client)
            .to_string();
        entries.push(
            model::song(&track, marks.get(&track.id), d)
                .attr(
                    "username",
                    names.get(&l.listener.user).cloned().unwrap_or_default(),
                )
                .attr("minutesAgo", (l.idle_seconds / 60.0).floor() as i64)
                .attr("playerId", i)
                .attr("playerName", player),
        );
    }
    Ok(Reply::one(Node::new("nowPlaying").list("entry", entries)))
}

/// The caller's most played songs of an artist (all artists when `artist` is empty).
pub async fn top_songs(ctx: &Ctx, p: &Params) -> Answer {
    let artist = p.required("artist")?;
    let count = p.count("count", 50, MAX_LIST)?;
    let tracks = ctx
        .app
        .people
        .most_played_tracks_by(ctx.user(), artist, count)
        .await?;
    Ok(Reply::one(
        Node::new("topSongs").list("song", ctx.songs("song", &tracks).await?),
    ))
}

/// The caller's favourites: `getStarred` (folder style) and `getStarred2` (ID3).
pub async fn starred(ctx: &Ctx, _: &Params, id3: bool) -> Answer {
    let fav = ctx.app.people.favorites(ctx.user()).await?;
    let name = if id3 { "starred2" } else { "starred" };
    Ok(Reply::one(
        Node::new(name)
            .list("artist", ctx.artists(&fav.artists).await?)
            .list("album", ctx.albums("album", &fav.albums, !id3).await?)
            .list("song", ctx.songs("song", &fav.tracks).await?),
    ))
}
