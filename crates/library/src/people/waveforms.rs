//! Waveforms: the original's peak level in fixed slices, computed by the analysis and stored per
//! file version (like profiles), so the player's seek bar never costs a decode.

use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::Library;

impl Library {
    /// Stores the peaks (0-255 per slice) of a track's current file version.
    pub fn set_waveform(&self, track: i64, peaks: &[u8]) -> Result<()> {
        self.write(|conn| {
            let n = conn
                .prepare_cached(
                    "INSERT INTO waveforms (track_id, size, mtime_ns, content_hash, peaks)
                     SELECT id, size, mtime_ns, content_hash, ?2 FROM tracks WHERE id = ?1
                     ON CONFLICT (track_id) DO UPDATE SET size = excluded.size,
                        mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash,
                        peaks = excluded.peaks",
                )?
                .execute(params![track, peaks])?;
            if n == 0 {
                return Err(crate::LibraryError::TrackNotFound(track));
            }
            Ok(())
        })
    }

    /// The stored peaks, if they were computed from the file as it is now.
    pub fn waveform(&self, track: i64) -> Result<Option<Vec<u8>>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT w.peaks FROM waveforms w JOIN tracks t ON t.id = w.track_id
                     WHERE w.track_id = ?1 AND w.size = t.size AND w.mtime_ns = t.mtime_ns
                        AND w.content_hash = t.content_hash",
                )?
                .query_row([track], |r| r.get(0))
                .optional()?)
        })
    }
}
