//! Favourites ("starred" in Subsonic): tracks, albums and artists a user marked, with when.

use std::collections::{HashMap, HashSet};

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::accounts::unix_now;
use crate::error::{LibraryError, Result};
use crate::{
    album_from_row, artist_from_row, track_from_row, Album, Artist, Library, Track, ALBUM_COLUMNS,
    TRACK_COLUMNS,
};

/// What can be a favourite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Track,
    Album,
    Artist,
}

impl ItemKind {
    fn table(self) -> &'static str {
        match self {
            ItemKind::Track => "favorite_tracks",
            ItemKind::Album => "favorite_albums",
            ItemKind::Artist => "favorite_artists",
        }
    }

    fn items(self) -> &'static str {
        match self {
            ItemKind::Track => "tracks",
            ItemKind::Album => "albums",
            ItemKind::Artist => "artists",
        }
    }

    fn not_found(self, id: i64) -> LibraryError {
        match self {
            ItemKind::Track => LibraryError::TrackNotFound(id),
            ItemKind::Album => LibraryError::AlbumNotFound(id),
            ItemKind::Artist => LibraryError::ArtistNotFound(id),
        }
    }
}

/// A user's favourites, most recently marked first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Favorites {
    pub tracks: Vec<Track>,
    pub albums: Vec<Album>,
    pub artists: Vec<Artist>,
}

impl Library {
    /// Marks (or unmarks) an item as a favourite of `user`. Marking twice keeps the first time.
    pub fn set_favorite(&self, user: i64, kind: ItemKind, id: i64, favorite: bool) -> Result<()> {
        self.write(|conn| {
            let exists = conn
                .prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", kind.items()))?
                .exists([id])?;
            if !exists {
                return Err(kind.not_found(id));
            }
            if favorite {
                conn.prepare_cached(&format!(
                    "INSERT INTO {} (user_id, item_id, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    kind.table()
                ))?
                .execute(params![user, id, unix_now()])
                .map_err(crate::accounts::user_must_exist(user))?;
            } else {
                conn.prepare_cached(&format!(
                    "DELETE FROM {} WHERE user_id = ?1 AND item_id = ?2",
                    kind.table()
                ))?
                .execute(params![user, id])?;
            }
            Ok(())
        })
    }

    /// Which of `ids` are favourites of `user`.
    pub fn favorite_ids(&self, user: i64, kind: ItemKind, ids: &[i64]) -> Result<HashSet<i64>> {
        Ok(self.favorite_times(user, kind, ids)?.into_keys().collect())
    }

    /// When each of `ids` that is a favourite of `user` was made one (Unix seconds).
    pub fn favorite_times(
        &self,
        user: i64,
        kind: ItemKind,
        ids: &[i64],
    ) -> Result<HashMap<i64, i64>> {
        self.read(|conn| {
            let sql = format!(
                "SELECT item_id, created_at FROM {} WHERE user_id = ?1 AND item_id IN ({{ids}})",
                kind.table()
            );
            super::for_ids(conn, &sql, &[user], ids, |r| Ok((r.get(0)?, r.get(1)?)))
        })
    }

    pub fn favorites(&self, user: i64) -> Result<Favorites> {
        self.read(|conn| {
            let tracks = conn
                .prepare_cached(&format!(
                    "SELECT {TRACK_COLUMNS} FROM favorite_tracks f JOIN tracks t ON t.id = f.item_id
                     WHERE f.user_id = ?1 ORDER BY f.created_at DESC, t.id"
                ))?
                .query_map([user], track_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let albums = conn
                .prepare_cached(&format!(
                    "SELECT {ALBUM_COLUMNS} FROM favorite_albums f JOIN albums al ON al.id = f.item_id
                     WHERE f.user_id = ?1 ORDER BY f.created_at DESC, al.id"
                ))?
                .query_map([user], album_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let artists = conn
                .prepare_cached(
                    "SELECT ar.id, ar.name, ar.track_count, ar.album_count
                     FROM favorite_artists f JOIN artists ar ON ar.id = f.item_id
                     WHERE f.user_id = ?1 ORDER BY f.created_at DESC, ar.id",
                )?
                .query_map([user], artist_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Favorites {
                tracks,
                albums,
                artists,
            })
        })
    }
}
