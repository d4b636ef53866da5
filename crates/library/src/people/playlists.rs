//! Playlists: an ordered list of tracks (the same track may appear more than once), a name, a
//! comment and a public flag. The owner changes them; other users may read and play a public one.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::accounts::unix_now;
use crate::error::{LibraryError, Result};
use crate::{track_from_row, Library, Track, TRACK_COLUMNS};

/// Longest playlist name, in characters.
const MAX_NAME: usize = 200;
/// Longest comment, in characters.
const MAX_COMMENT: usize = 4000;

/// A playlist as listed (without its tracks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playlist {
    pub id: i64,
    pub owner_id: i64,
    /// The owner's user name.
    pub owner: String,
    pub name: String,
    pub comment: String,
    pub public: bool,
    pub track_count: u64,
    pub duration_seconds: f64,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A playlist with its tracks in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaylistDetail {
    #[serde(flatten)]
    pub playlist: Playlist,
    pub tracks: Vec<Track>,
}

/// A change to a playlist; `None` keeps a field, `track_ids` replaces the whole order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaylistUpdate {
    pub name: Option<String>,
    pub comment: Option<String>,
    pub public: Option<bool>,
    pub track_ids: Option<Vec<i64>>,
}

fn check_name(name: &str) -> Result<()> {
    let n = name.trim().chars().count();
    if n == 0 {
        return Err(LibraryError::InvalidPlaylistName("it is empty"));
    }
    if n > MAX_NAME {
        return Err(LibraryError::InvalidPlaylistName(
            "it is longer than 200 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(LibraryError::InvalidPlaylistName(
            "it contains control characters",
        ));
    }
    Ok(())
}

fn check_comment(comment: &str) -> Result<()> {
    if comment.chars().count() > MAX_COMMENT {
        return Err(LibraryError::InvalidPlaylistName(
            "its comment is longer than 4000 characters",
        ));
    }
    Ok(())
}

const PLAYLIST_COLUMNS: &str = "p.id, p.user_id, u.name, p.name, p.comment, p.public,
    (SELECT COUNT(*) FROM playlist_tracks pt WHERE pt.playlist_id = p.id),
    (SELECT COALESCE(SUM(t.duration), 0) FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id
        WHERE pt.playlist_id = p.id),
    p.created_at, p.updated_at";

fn playlist_from_row(r: &rusqlite::Row) -> rusqlite::Result<Playlist> {
    Ok(Playlist {
        id: r.get(0)?,
        owner_id: r.get(1)?,
        owner: r.get(2)?,
        name: r.get(3)?,
        comment: r.get(4)?,
        public: r.get(5)?,
        track_count: r.get::<_, i64>(6)? as u64,
        duration_seconds: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

/// The playlist if `user` may see it (theirs, or public).
fn visible(conn: &Connection, user: i64, id: i64) -> Result<Option<Playlist>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {PLAYLIST_COLUMNS} FROM playlists p JOIN users u ON u.id = p.user_id
             WHERE p.id = ?1 AND (p.user_id = ?2 OR p.public)"
        ))?
        .query_row(params![id, user], playlist_from_row)
        .optional()?)
}

fn tracks_of(conn: &Connection, id: i64) -> Result<Vec<Track>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TRACK_COLUMNS} FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id
         WHERE pt.playlist_id = ?1 ORDER BY pt.position"
    ))?;
    let tracks = stmt
        .query_map([id], track_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(tracks)
}

/// Replaces the order; every id must be a track of the library.
fn set_tracks(tx: &Transaction, id: i64, track_ids: &[i64]) -> Result<()> {
    tx.prepare_cached("DELETE FROM playlist_tracks WHERE playlist_id = ?1")?
        .execute([id])?;
    let mut exists = tx.prepare_cached("SELECT 1 FROM tracks WHERE id = ?1")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO playlist_tracks (playlist_id, position, track_id) VALUES (?1, ?2, ?3)",
    )?;
    for (pos, &t) in track_ids.iter().enumerate() {
        if !exists.exists([t])? {
            return Err(LibraryError::TrackNotFound(t));
        }
        insert.execute(params![id, pos as i64, t])?;
    }
    Ok(())
}

impl Library {
    /// The user's playlists and every public one, by name.
    pub fn playlists(&self, user: i64) -> Result<Vec<Playlist>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {PLAYLIST_COLUMNS} FROM playlists p JOIN users u ON u.id = p.user_id
                 WHERE p.user_id = ?1 OR p.public
                 ORDER BY p.user_id != ?1, p.name COLLATE NOCASE, p.id"
            ))?;
            let list = stmt
                .query_map([user], playlist_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(list)
        })
    }

    /// A playlist with its tracks, if `user` may see it.
    pub fn playlist(&self, user: i64, id: i64) -> Result<Option<PlaylistDetail>> {
        self.read(|conn| {
            let Some(playlist) = visible(conn, user, id)? else {
                return Ok(None);
            };
            let tracks = tracks_of(conn, id)?;
            Ok(Some(PlaylistDetail { playlist, tracks }))
        })
    }

    pub fn create_playlist(
        &self,
        user: i64,
        name: &str,
        comment: &str,
        public: bool,
        track_ids: &[i64],
    ) -> Result<PlaylistDetail> {
        check_name(name)?;
        check_comment(comment)?;
        let now = unix_now();
        let id =
            self.write(|conn| {
                let tx = conn.unchecked_transaction()?;
                let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO playlists (user_id, name, comment, public, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
                )?
                .query_row(params![user, name.trim(), comment, public, now], |r| r.get(0))
                .map_err(crate::accounts::user_must_exist(user))?;
                set_tracks(&tx, id, track_ids)?;
                tx.commit()?;
                Ok(id)
            })?;
        self.playlist(user, id)?
            .ok_or(LibraryError::PlaylistNotFound(id))
    }

    /// Changes a playlist of `user`'s; another user's public one is
    /// [`LibraryError::NotYourPlaylist`], one they cannot see [`LibraryError::PlaylistNotFound`].
    pub fn update_playlist(
        &self,
        user: i64,
        id: i64,
        update: &PlaylistUpdate,
    ) -> Result<PlaylistDetail> {
        if let Some(name) = &update.name {
            check_name(name)?;
        }
        if let Some(comment) = &update.comment {
            check_comment(comment)?;
        }
        self.write(|conn| {
            let tx = conn.unchecked_transaction()?;
            let owner = match visible(&tx, user, id)? {
                None => return Err(LibraryError::PlaylistNotFound(id)),
                Some(p) => p.owner_id,
            };
            if owner != user {
                return Err(LibraryError::NotYourPlaylist(id));
            }
            if let Some(name) = &update.name {
                tx.execute(
                    "UPDATE playlists SET name = ?2 WHERE id = ?1",
                    params![id, name.trim()],
                )?;
            }
            if let Some(comment) = &update.comment {
                tx.execute(
                    "UPDATE playlists SET comment = ?2 WHERE id = ?1",
                    params![id, comment],
                )?;
            }
            if let Some(public) = update.public {
                tx.execute(
                    "UPDATE playlists SET public = ?2 WHERE id = ?1",
                    params![id, public],
                )?;
            }
            if let Some(ids) = &update.track_ids {
                set_tracks(&tx, id, ids)?;
            }
            tx.execute(
                "UPDATE playlists SET updated_at = ?2 WHERE id = ?1",
                params![id, unix_now()],
            )?;
            tx.commit()?;
            Ok(())
        })?;
        self.playlist(user, id)?
            .ok_or(LibraryError::PlaylistNotFound(id))
    }

    pub fn delete_playlist(&self, user: i64, id: i64) -> Result<()> {
        self.write(|conn| {
            let owner = match visible(conn, user, id)? {
                None => return Err(LibraryError::PlaylistNotFound(id)),
                Some(p) => p.owner_id,
            };
            if owner != user {
                return Err(LibraryError::NotYourPlaylist(id));
            }
            conn.execute("DELETE FROM playlists WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// The id of the track at each path relative to the music folder (`/`-separated), where
    /// there is one (for playlist imports).
    pub fn track_ids_by_path(&self, paths: &[String]) -> Result<Vec<Option<i64>>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id FROM tracks WHERE path = ?1")?;
            paths
                .iter()
                .map(|p| Ok(stmt.query_row([p.as_bytes()], |r| r.get(0)).optional()?))
                .collect()
        })
    }
}
