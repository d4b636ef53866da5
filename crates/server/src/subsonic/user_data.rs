//! The caller's own music: `star` / `unstar`, `setRating`, `scrobble`, the playlists
//! (`getPlaylists`, `getPlaylist`, `createPlaylist`, `updatePlaylist`, `deletePlaylist`), the
//! resume queue (`getPlayQueue`, `savePlayQueue`), and `getUser` / `getUsers`.

use auralis_library::accounts::{unix_now, User};
use auralis_library::people::{ItemKind, PlaylistDetail, PlaylistUpdate};

use super::ids::{self, Id};
use super::response::{Attr, Node};
use super::stream::app_listener;
use super::{model, Answer, Ctx, Params, Reply, SubsonicError};
use crate::app::people::PlaylistEdit;
use crate::app::ListenerRef;

/// Stars (or unstars) every `id`, `albumId` and `artistId` given.
pub async fn star(ctx: &Ctx, p: &Params, on: bool) -> Answer {
    let mut items: Vec<(ItemKind, i64)> = Vec::new();
    for id in p.all("id") {
        items.push(match Id::parse(id)? {
            Id::Track(t) => (ItemKind::Track, t),
            Id::Album(a) => (ItemKind::Album, a),
            Id::Artist(a) => (ItemKind::Artist, a),
            _ => return Err(SubsonicError::not_found(format!("{id} cannot be starred"))),
        });
    }
    for (param, kind) in [("albumId", ItemKind::Album), ("artistId", ItemKind::Artist)] {
        for id in p.all(param) {
            let n = match (Id::parse(id)?, kind) {
                (Id::Album(a), ItemKind::Album) | (Id::Artist(a), ItemKind::Artist) => a,
                // A bare number is the kind the parameter names.
                (Id::Track(n), _) if id.trim().parse::<i64>().is_ok() => n,
                _ => return Err(SubsonicError::not_found(format!("no such item: {id}"))),
            };
            items.push((kind, n));
        }
    }
    if items.is_empty() {
        return Err(SubsonicError::missing("id"));
    }
    for (kind, id) in items {
        ctx.app
            .people
            .set_favorite(ctx.user(), kind, id, on)
            .await?;
    }
    Ok(Reply::empty())
}

pub async fn set_rating(ctx: &Ctx, p: &Params) -> Answer {
    let id = Id::track(p.required("id")?)?;
    let rating = p
        .int("rating")?
        .ok_or_else(|| SubsonicError::missing("rating"))?;
    if !(0..=5).contains(&rating) {
        return Err(SubsonicError::new(
            0,
            "rating must be 0 to 5 (0 removes it)",
        ));
    }
    ctx.app.people.set_rating(ctx.user(), id, rating).await?;
    Ok(Reply::empty())
}

/// `submission=true` (the default) counts a play at `time` (ms, default now);
/// `submission=false` says the app is playing the song now (a listener, see `getNowPlaying`).
pub async fn scrobble(ctx: &Ctx, p: &Params) -> Answer {
    let ids: Vec<i64> = p
        .all("id")
        .into_iter()
        .map(Id::track)
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err(SubsonicError::missing("id"));
    }
    let times = p.all("time");
    let submission = p.bool("submission").unwrap_or(true);
    for (i, id) in ids.into_iter().enumerate() {
        ctx.app.library.track(id).await?;
        if submission {
            let at = match times.get(i).and_then(|t| t.trim().parse::<i64>().ok()) {
                Some(ms) if ms > 0 => ms / 1000,
                _ => unix_now(),
            };
            ctx.app.people.record_play(ctx.user(), id, at).await?;
        } else {
            let client = app_listener(&ctx.app_name);
            ctx.app
                .playback
                .follow_stream(
                    ListenerRef {
                        user: ctx.user(),
                        id: Some(&client),
                    },
                    id,
                    0.0,
                )
                .await?;
        }
    }
    Ok(Reply::empty())
}

pub async fn playlists(ctx: &Ctx, p: &Params) -> Answer {
    if let Some(name) = p.get("username") {
        if !name.eq_ignore_ascii_case(&ctx.caller.user.name) {
            ctx.require_admin()?;
        }
    }
    let user = match p.get("username") {
        Some(name) => {
            ctx.app
                .auth
                .user_named(name.to_string())
                .await?
                .ok_or_else(|| SubsonicError::not_found("User not found"))?
                .id
        }
        None => ctx.user(),
    };
    let list = ctx.app.people.playlists(user).await?;
    Ok(Reply::one(
        Node::new("playlists").list("playlist", list.iter().map(model::playlist)),
    ))
}

async fn playlist_node(ctx: &Ctx, detail: &PlaylistDetail) -> Result<Node, SubsonicError> {
    Ok(model::playlist(&detail.playlist)
        .opt(
            "coverArt",
            detail
                .tracks
                .iter()
                .any(|t| t.artwork.is_some())
                .then(|| ids::playlist(detail.playlist.id)),
        )
        .list("entry", ctx.songs("entry", &detail.tracks).await?))
}

fn playlist_id(p: &Params, name: &str) -> Result<i64, SubsonicError> {
    let raw = p.required(name)?;
    match Id::parse(raw) {
        Ok(Id::Playlist(id)) => Ok(id),
        // A bare number is a playlist here.
        Ok(Id::Track(n)) if raw.trim().parse::<i64>().is_ok() => Ok(n),
        _ => Err(SubsonicError::not_found("Playlist not found")),
    }
}

pub async fn playlist(ctx: &Ctx, p: &Params) -> Answer {
    let id = playlist_id(p, "id")?;
    let detail = ctx.app.people.playlist(ctx.user(), id).await?;
    Ok(Reply::one(playlist_node(ctx, &detail).await?))
}

fn song_ids(p: &Params, name: &str) -> Result<Vec<i64>, SubsonicError> {
    p.all(name).into_iter().map(Id::track).collect()
}

/// A new playlist (`name`), or a playlist's songs replaced (`playlistId`).
pub async fn create_playlist(ctx: &Ctx, p: &Params) -> Answer {
    let songs = song_ids(p, "songId")?;
    let detail = if p.get("playlistId").is_some() {
        let id = playlist_id(p, "playlistId")?;
        let update = PlaylistUpdate {
            name: p.get("name").map(str::to_string),
            track_ids: Some(songs),
            ..PlaylistUpdate::default()
        };
        ctx.app
            .people
            .update_playlist(ctx.user(), id, update)
            .await?
    } else {
        let name = p.required("name")?.to_string();
        ctx.app
            .people
            .create_playlist(ctx.user(), name, String::new(), false, songs)
            .await?
    };
    Ok(Reply::one(playlist_node(ctx, &detail).await?))
}

/// Renames, comments, publishes, removes songs by index and appends songs.
pub async fn update_playlist(ctx: &Ctx, p: &Params) -> Answer {
    let id = playlist_id(p, "playlistId")?;
    let remove = p
        .all("songIndexToRemove")
        .into_iter()
        .map(|i| {
            i.trim().parse::<usize>().map_err(|_| {
                SubsonicError::new(0, format!("songIndexToRemove {i} is not an index"))
            })
        })
        .collect::<Result<_, _>>()?;
    let edit = PlaylistEdit {
        name: p.get("name").map(str::to_string),
        comment: p.get("comment").map(str::to_string),
        public: p.bool("public"),
        remove,
        add: song_ids(p, "songIdToAdd")?,
    };
    ctx.app.people.edit_playlist(ctx.user(), id, edit).await?;
    Ok(Reply::empty())
}

pub async fn delete_playlist(ctx: &Ctx, p: &Params) -> Answer {
    let id = playlist_id(p, "id")?;
    ctx.app.people.delete_playlist(ctx.user(), id).await?;
    Ok(Reply::empty())
}

/// The saved queue: its songs, the current one and the position in it (ms). Nothing saved:
/// an empty answer.
pub async fn play_queue(ctx: &Ctx, _: &Params) -> Answer {
    let q = ctx.app.people.queue(ctx.user()).await?;
    if q.track_ids.is_empty() {
        return Ok(Reply::empty());
    }
    let mut tracks = Vec::with_capacity(q.track_ids.len());
    for id in &q.track_ids {
        if let Ok(t) = ctx.app.library.track(*id).await {
            tracks.push(t);
        }
    }
    let current = q.track_ids.get(q.current_index as usize).copied();
    Ok(Reply::one(
        Node::new("playQueue")
            .opt("current", current.map(ids::track))
            .attr("position", (q.position_s * 1000.0).round() as i64)
            .attr("username", &ctx.caller.user.name)
            .attr("changed", model::iso(q.updated_at.unwrap_or(0)))
            .attr("changedBy", ctx.app_name.as_str())
            .list("entry", ctx.songs("entry", &tracks).await?),
    ))
}

/// Saves the queue: `id` (repeated), `current` (one of them), `position` (ms in it). No `id`
/// clears it.
pub async fn save_play_queue(ctx: &Ctx, p: &Params) -> Answer {
    let ids = song_ids(p, "id")?;
    let current = match p.get("current") {
        Some(c) if !ids.is_empty() => {
            let c = Id::track(c)?;
            ids.iter()
                .position(|&t| t == c)
                .ok_or_else(|| SubsonicError::new(0, "current must be one of the ids"))?
        }
        _ => 0,
    };
    let position_ms = p.int("position")?.unwrap_or(0).max(0);
    ctx.app
        .people
        .save_queue(ctx.user(), ids, current as u64, position_ms as f64 / 1000.0)
        .await?;
    Ok(Reply::empty())
}

fn user_node(u: &User) -> Node {
    Node::new("user")
        .attr("username", &u.name)
        .attr("scrobblingEnabled", true)
        .attr("adminRole", u.admin)
        .attr("settingsRole", true)
        .attr("downloadRole", true)
        .attr("uploadRole", false)
        .attr("playlistRole", true)
        .attr("coverArtRole", false)
        .attr("commentRole", false)
        .attr("podcastRole", false)
        .attr("streamRole", true)
        .attr("jukeboxRole", false)
        .attr("shareRole", false)
        .attr("videoConversionRole", false)
        .values("folder", [Attr::Int(0)])
}

/// A user's roles: the caller's own, or anyone's for an admin.
pub async fn user(ctx: &Ctx, p: &Params) -> Answer {
    let name = p
        .get("username")
        .unwrap_or(&ctx.caller.user.name)
        .to_string();
    if !name.eq_ignore_ascii_case(&ctx.caller.user.name) {
        ctx.require_admin()?;
    }
    let u = ctx
        .app
        .auth
        .user_named(name)
        .await?
        .ok_or_else(|| SubsonicError::not_found("User not found"))?;
    Ok(Reply::one(user_node(&u)))
}

pub async fn users(ctx: &Ctx, _: &Params) -> Answer {
    ctx.require_admin()?;
    let all = ctx.app.auth.users().await?;
    Ok(Reply::one(
        Node::new("users").list("user", all.iter().map(user_node)),
    ))
}
