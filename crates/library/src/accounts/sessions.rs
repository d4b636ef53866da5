//! Sign-in sessions: a random token handed to the browser (as a cookie, by the server), stored
//! here only as its SHA-256, with the time it was last seen.
//!
//! A session idle for more than [`SESSION_IDLE_LIMIT`] is expired: the lookup that finds it
//! so deletes it, and [`Library::delete_expired_sessions`] sweeps the ones nobody presents
//! again. `last_seen` is written at most once a minute per session, so a busy page does not
//! turn every read request into a database write. Sessions are rows, so they survive a
//! restart.
//!
//! Not for: cookies and their attributes (the server's), API keys (`api_keys`).

use rusqlite::{params, OptionalExtension};

use super::tokens::{new_token, token_hash};
use super::users::user_from_row;
use super::{unix_now, user_must_exist, User, LAST_USE_RESOLUTION};
use crate::error::Result;
use crate::Library;

/// A session unused for longer than this (seconds) is expired: 30 days.
pub const SESSION_IDLE_LIMIT: i64 = 30 * 24 * 60 * 60;

impl Library {
    /// Starts a session for `user_id` and returns its token (base64url, 43 characters). The
    /// token is not stored and cannot be shown again. Fails with
    /// [`LibraryError::UserNotFound`](crate::LibraryError::UserNotFound) for an unknown user.
    pub fn create_session(&self, user_id: i64) -> Result<String> {
        let token = new_token("")?;
        let now = unix_now();
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen)
                 VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![token_hash(&token), user_id, now])
            .map_err(user_must_exist(user_id))?;
            Ok(())
        })?;
        Ok(token)
    }

    /// The user signed in with `token` at time `now` (unix seconds), or `None` for an unknown,
    /// ended or expired session (an expired one is deleted).
    pub fn session_user(&self, token: &str, now: i64) -> Result<Option<User>> {
        let hash = token_hash(token);
        let found = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT u.id, u.name, u.admin, u.created_at, s.last_seen
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
                )?
                .query_row([&hash], |r| Ok((user_from_row(r)?, r.get::<_, i64>(4)?)))
                .optional()?)
        })?;
        let Some((user, last_seen)) = found else {
            return Ok(None);
        };
        let idle = now.saturating_sub(last_seen);
        if idle > SESSION_IDLE_LIMIT {
            self.write(|conn| {
                conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
                    .execute([&hash])?;
                Ok(())
            })?;
            return Ok(None);
        }
        if idle >= LAST_USE_RESOLUTION {
            // `last_seen < ?2` keeps a slower concurrent request from moving it back.
            self.write(|conn| {
                conn.prepare_cached(
                    "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1 AND last_seen < ?2",
                )?
                .execute(params![&hash, now])?;
                Ok(())
            })?;
        }
        Ok(Some(user))
    }

    /// Ends the session of `token` (sign-out). `false` if there was none.
    pub fn delete_session(&self, token: &str) -> Result<bool> {
        self.write(|conn| {
            let n = conn
                .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
                .execute([token_hash(token)])?;
            Ok(n > 0)
        })
    }

    /// Ends every session of `user_id` except `except_token`'s (the one changing the
    /// password stays signed in). Returns how many ended.
    pub fn delete_sessions_of(&self, user_id: i64, except_token: Option<&str>) -> Result<usize> {
        let keep = except_token.map(token_hash);
        self.write(|conn| {
            Ok(conn
                .prepare_cached(
                    "DELETE FROM sessions
                     WHERE user_id = ?1 AND (?2 IS NULL OR token_hash != ?2)",
                )?
                .execute(params![user_id, keep])?)
        })
    }

    /// Deletes every session idle for more than [`SESSION_IDLE_LIMIT`] at `now`. For a
    /// periodic sweep (e.g. at start-up and daily); returns how many went.
    pub fn delete_expired_sessions(&self, now: i64) -> Result<usize> {
        self.write(|conn| {
            Ok(conn
                .prepare_cached("DELETE FROM sessions WHERE last_seen < ?1")?
                .execute([now.saturating_sub(SESSION_IDLE_LIMIT)])?)
        })
    }
}
