//! Plays: one row per counted playthrough (the server decides when listening counts), the
//! history they make, the per-track marks of a listing, and albums by recent or frequent play.

use std::collections::HashMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::TrackMarks;
use crate::error::Result;
use crate::{album_from_row, track_from_row, Album, Library, Track, ALBUM_COLUMNS, TRACK_COLUMNS};

/// One play of the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub track: Track,
    /// Unix seconds.
    pub played_at: i64,
}

/// How to order albums by a user's listening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayOrder {
    /// By the last play, newest first.
    Recent,
    /// By the number of plays, most first.
    Frequent,
}

impl Library {
    /// Counts one play of `track` by `user` at `at` (Unix seconds).
    pub fn record_play(&self, user: i64, track: i64, at: i64) -> Result<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO plays (user_id, track_id, played_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![user, track, at])
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => {
                    crate::LibraryError::TrackNotFound(track)
                }
                _ => e.into(),
            })?;
            Ok(())
        })
    }

    /// `user`'s favourite flag, play count, last play and rating of each of `ids` (tracks with
    /// none of them are left out: their marks are the default).
    pub fn track_marks(&self, user: i64, ids: &[i64]) -> Result<HashMap<i64, TrackMarks>> {
        self.read(|conn| {
            let mut marks: HashMap<i64, TrackMarks> = HashMap::new();
            let plays = super::for_ids(
                conn,
                "SELECT track_id, COUNT(*), MAX(played_at) FROM plays
                 WHERE user_id = ?1 AND track_id IN ({ids}) GROUP BY track_id",
                &[user],
                ids,
                |r| Ok((r.get(0)?, (r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)?))),
            )?;
            for (id, (count, last)) in plays {
                let m = marks.entry(id).or_default();
                m.play_count = count;
                m.last_played = Some(last);
            }
            let favorites = super::for_ids(
                conn,
                "SELECT item_id, created_at FROM favorite_tracks
                 WHERE user_id = ?1 AND item_id IN ({ids})",
                &[user],
                ids,
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)),
            )?;
            for (id, at) in favorites {
                let m = marks.entry(id).or_default();
                m.favorite = true;
                m.starred_at = Some(at);
            }
            let ratings = super::for_ids(
                conn,
                "SELECT track_id, rating FROM ratings WHERE user_id = ?1 AND track_id IN ({ids})",
                &[user],
                ids,
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)),
            )?;
            for (id, rating) in ratings {
                marks.entry(id).or_default().rating = u8::try_from(rating).ok();
            }
            Ok(marks)
        })
    }

    /// `user`'s plays, newest first, and how many there are.
    pub fn history(
        &self,
        user: i64,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<HistoryEntry>, u64)> {
        self.read(|conn| {
            let total: i64 = conn
                .prepare_cached("SELECT COUNT(*) FROM plays WHERE user_id = ?1")?
                .query_row([user], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TRACK_COLUMNS}, p.played_at FROM plays p JOIN tracks t ON t.id = p.track_id
                 WHERE p.user_id = ?1 ORDER BY p.played_at DESC, p.id DESC LIMIT ?2 OFFSET ?3"
            ))?;
            let n = TRACK_COLUMNS.split(',').count();
            let items = stmt
                .query_map(
                    params![
                        user,
                        i64::try_from(limit).unwrap_or(i64::MAX),
                        i64::try_from(offset).unwrap_or(i64::MAX)
                    ],
                    |r| {
                        Ok(HistoryEntry {
                            track: track_from_row(r)?,
                            played_at: r.get(n)?,
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((items, total as u64))
        })
    }

    /// Albums `user` has played, by `order` (albums never played are left out).
    pub fn albums_by_plays(&self, user: i64, order: PlayOrder) -> Result<Vec<Album>> {
        let order_by = match order {
            PlayOrder::Recent => "MAX(p.played_at) DESC",
            PlayOrder::Frequent => "COUNT(*) DESC, MAX(p.played_at) DESC",
        };
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ALBUM_COLUMNS} FROM plays p JOIN tracks t ON t.id = p.track_id
                    JOIN albums al ON al.id = t.album_id
                 WHERE p.user_id = ?1 GROUP BY al.id ORDER BY {order_by}, al.id"
            ))?;
            let albums = stmt
                .query_map([user], album_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(albums)
        })
    }

    /// The tracks `user` played most, most first (for Subsonic's top songs).
    pub fn most_played_tracks(&self, user: i64, limit: usize) -> Result<Vec<(Track, u64)>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TRACK_COLUMNS}, COUNT(*) AS n FROM plays p JOIN tracks t ON t.id = p.track_id
                 WHERE p.user_id = ?1 GROUP BY t.id ORDER BY n DESC, MAX(p.played_at) DESC LIMIT ?2"
            ))?;
            let n = TRACK_COLUMNS.split(',').count();
            let rows = stmt
                .query_map(params![user, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                    Ok((track_from_row(r)?, r.get::<_, i64>(n)? as u64))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}
