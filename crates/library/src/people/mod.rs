//! Each user's music (schema v4): playlists, favourites, plays, the saved play queue, ratings;
//! and the waveform the analysis stores per file version. One file per concern.
//!
//! Everything belongs to one user and goes with them (foreign keys with `ON DELETE CASCADE`),
//! and with the tracks, albums and artists it names: a track that leaves the library leaves its
//! playlists, favourites and plays cleanly. Playlists are the only things other users may see,
//! and only public ones, read-only.
//!
//! Not for: HTTP or Subsonic shapes, or the rule deciding when listening becomes a play (the
//! server's playback service applies it and calls [`Library::record_play`]).

pub mod favorites;
pub mod m3u;
pub mod playlists;
pub mod plays;
pub mod queue;
pub mod ratings;
pub mod waveforms;

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};
use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use favorites::{Favorites, ItemKind};
pub use playlists::{Playlist, PlaylistDetail, PlaylistUpdate};
pub use plays::{HistoryEntry, PlayOrder};
pub use queue::PlayQueue;

/// What one user has to say about one track: the marks a track listing shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackMarks {
    pub favorite: bool,
    /// When it was made a favourite (Unix seconds).
    pub starred_at: Option<i64>,
    pub play_count: u64,
    /// Unix seconds.
    pub last_played: Option<i64>,
    /// 1-5, or none.
    pub rating: Option<u8>,
}

/// Rows of `sql` for `ids`, keyed by the first column: `sql` takes the `lead` parameters as
/// `?1`, `?2`, ... and an `IN ({ids})` list, filled in chunks small enough for SQLite's
/// parameter limit.
pub(crate) fn for_ids<T>(
    conn: &Connection,
    sql: &str,
    lead: &[i64],
    ids: &[i64],
    mut row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<(i64, T)>,
) -> Result<HashMap<i64, T>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = (0..chunk.len())
            .map(|i| format!("?{}", i + 1 + lead.len()))
            .collect::<Vec<_>>()
            .join(",");
        let sql = sql.replace("{ids}", &marks);
        let mut stmt = conn.prepare_cached(&sql)?;
        let params: Vec<Value> = lead
            .iter()
            .chain(chunk)
            .map(|&v| Value::Integer(v))
            .collect();
        let rows = stmt.query_map(params_from_iter(params), |r| row(r))?;
        for r in rows {
            let (id, v) = r?;
            out.insert(id, v);
        }
    }
    Ok(out)
}
