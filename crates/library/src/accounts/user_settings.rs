//! Per-user settings (e.g. a user's enhancement on/off, preset and intensity): a key-value
//! table like the global `settings`, one namespace per user, deleted with the user.
//!
//! Not for: server-wide settings ([`Library::setting`]), or interpreting the values (the
//! server owns their format, as it does for the global ones).

use rusqlite::{params, OptionalExtension};

use super::user_must_exist;
use crate::error::Result;
use crate::Library;

impl Library {
    /// The value of `key` for `user_id`, if set.
    pub fn user_setting(&self, user_id: i64, key: &str) -> Result<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT value FROM user_settings WHERE user_id = ?1 AND key = ?2")?
                .query_row(params![user_id, key], |r| r.get(0))
                .optional()?)
        })
    }

    /// Sets `key` for `user_id`. Fails with
    /// [`LibraryError::UserNotFound`](crate::LibraryError::UserNotFound) for an unknown user.
    pub fn set_user_setting(&self, user_id: i64, key: &str, value: &str) -> Result<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO user_settings (user_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![user_id, key, value])
            .map_err(user_must_exist(user_id))?;
            Ok(())
        })
    }

    /// Removes `key` for `user_id` (back to the default). `false` if it was not set.
    pub fn remove_user_setting(&self, user_id: i64, key: &str) -> Result<bool> {
        self.write(|conn| {
            let n = conn
                .prepare_cached("DELETE FROM user_settings WHERE user_id = ?1 AND key = ?2")?
                .execute(params![user_id, key])?;
            Ok(n > 0)
        })
    }
}
