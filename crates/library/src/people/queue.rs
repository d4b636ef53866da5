//! The saved play queue ("resume anywhere"): one per user, the tracks, which one plays and
//! where. The player saves it as it plays; another device or a reload picks it up.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::accounts::unix_now;
use crate::error::Result;
use crate::Library;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlayQueue {
    pub track_ids: Vec<i64>,
    pub current_index: u64,
    pub position_s: f64,
    /// Unix seconds of the last save; `None` when never saved.
    pub updated_at: Option<i64>,
}

impl Library {
    /// The user's saved queue, without the tracks that left the library since (the current
    /// index follows the track it pointed at).
    pub fn play_queue(&self, user: i64) -> Result<PlayQueue> {
        let stored = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT track_ids, current_index, position_s, updated_at FROM play_queues
                     WHERE user_id = ?1",
                )?
                .query_row([user], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, f64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .optional()?)
        })?;
        let Some((ids, index, position, updated)) = stored else {
            return Ok(PlayQueue::default());
        };
        let ids: Vec<i64> = serde_json::from_str(&ids).unwrap_or_default();
        let present = self.existing_tracks(&ids)?;
        let index = usize::try_from(index).unwrap_or(0);
        let mut kept = Vec::with_capacity(ids.len());
        let mut current = 0u64;
        for (i, id) in ids.into_iter().enumerate() {
            if present.contains(&id) {
                if i <= index {
                    current = kept.len() as u64;
                }
                kept.push(id);
            }
        }
        Ok(PlayQueue {
            track_ids: kept,
            current_index: current,
            position_s: position,
            updated_at: Some(updated),
        })
    }

    pub fn save_play_queue(
        &self,
        user: i64,
        track_ids: &[i64],
        current_index: u64,
        position_s: f64,
    ) -> Result<()> {
        let json = serde_json::to_string(track_ids).unwrap_or_else(|_| "[]".into());
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO play_queues (user_id, track_ids, current_index, position_s, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id) DO UPDATE SET track_ids = excluded.track_ids,
                    current_index = excluded.current_index, position_s = excluded.position_s,
                    updated_at = excluded.updated_at",
            )?
            .execute(params![
                user,
                json,
                i64::try_from(current_index).unwrap_or(0),
                position_s,
                unix_now()
            ])
            .map_err(crate::accounts::user_must_exist(user))?;
            Ok(())
        })
    }

    /// Which of `ids` are tracks of the library.
    pub fn existing_tracks(&self, ids: &[i64]) -> Result<std::collections::HashSet<i64>> {
        self.read(|conn| {
            Ok(super::for_ids(
                conn,
                "SELECT id FROM tracks WHERE id IN ({ids})",
                &[],
                ids,
                |r| Ok((r.get(0)?, ())),
            )?
            .into_keys()
            .collect())
        })
    }
}
