//! Ratings: 1 to 5 stars per user and track (Subsonic's `setRating`); 0 removes one.

use rusqlite::params;

use crate::error::{LibraryError, Result};
use crate::Library;

impl Library {
    pub fn set_rating(&self, user: i64, track: i64, rating: i64) -> Result<()> {
        if !(0..=5).contains(&rating) {
            return Err(LibraryError::InvalidRating(rating));
        }
        self.write(|conn| {
            if !conn
                .prepare_cached("SELECT 1 FROM tracks WHERE id = ?1")?
                .exists([track])?
            {
                return Err(LibraryError::TrackNotFound(track));
            }
            if rating == 0 {
                conn.prepare_cached("DELETE FROM ratings WHERE user_id = ?1 AND track_id = ?2")?
                    .execute(params![user, track])?;
            } else {
                conn.prepare_cached(
                    "INSERT INTO ratings (user_id, track_id, rating) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id, track_id) DO UPDATE SET rating = excluded.rating",
                )?
                .execute(params![user, track, rating])
                .map_err(crate::accounts::user_must_exist(user))?;
            }
            Ok(())
        })
    }
}
