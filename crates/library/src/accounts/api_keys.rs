//! API keys for scripts and apps (`Authorization: Bearer …`, and later OpenSubsonic's `apiKey`
//! parameter): named, listed with their last use, revocable, stored only as SHA-256.
//!
//! A key reads `aur_` followed by 43 base64url characters: the prefix makes a leaked key easy
//! to recognise (and to grep for in logs and repositories).
//!
//! Not for: sessions (`sessions`; keys do not expire by idleness), or who may call what.

use rusqlite::{params, OptionalExtension, Row};

use super::tokens::{new_token, token_hash};
use super::users::user_from_row;
use super::{check_label, unix_now, user_must_exist, ApiKey, User, LAST_USE_RESOLUTION};
use crate::error::{LibraryError, Result};
use crate::Library;

/// What every key starts with.
pub const API_KEY_PREFIX: &str = "aur_";

fn api_key_from_row(row: &Row) -> rusqlite::Result<ApiKey> {
    Ok(ApiKey {
        id: row.get(0)?,
        user_id: row.get(1)?,
        name: row.get(2)?,
        created_at: row.get(3)?,
        last_used: row.get(4)?,
    })
}

impl Library {
    /// Makes a key for `user_id` named `name` (1-64 characters, as user names). Returns the key
    /// as listed, and the key itself, which is not stored and cannot be shown again.
    pub fn create_api_key(&self, user_id: i64, name: &str) -> Result<(ApiKey, String)> {
        check_label(name).map_err(LibraryError::InvalidKeyName)?;
        let key = new_token(API_KEY_PREFIX)?;
        let created_at = unix_now();
        let id = self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO api_keys (user_id, name, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![user_id, name, token_hash(&key), created_at])
            .map_err(user_must_exist(user_id))?;
            Ok(conn.last_insert_rowid())
        })?;
        let listed = ApiKey {
            id,
            user_id,
            name: name.to_owned(),
            created_at,
            last_used: None,
        };
        Ok((listed, key))
    }

    /// The keys of `user_id`, oldest first.
    pub fn api_keys(&self, user_id: i64) -> Result<Vec<ApiKey>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, user_id, name, created_at, last_used FROM api_keys
                 WHERE user_id = ?1 ORDER BY created_at, id",
            )?;
            let keys = stmt
                .query_map([user_id], api_key_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(keys)
        })
    }

    /// Revokes key `key_id` if it belongs to `user_id`. `false` if there is no such key of
    /// theirs (another user's key is left alone).
    pub fn delete_api_key(&self, user_id: i64, key_id: i64) -> Result<bool> {
        self.write(|conn| {
            let n = conn
                .prepare_cached("DELETE FROM api_keys WHERE id = ?1 AND user_id = ?2")?
                .execute([key_id, user_id])?;
            Ok(n > 0)
        })
    }

    /// The user a key belongs to, and the key's id, at time `now`; `None` for an unknown or
    /// revoked key. Records the use (at most once a minute per key).
    pub fn api_key_user(&self, key: &str, now: i64) -> Result<Option<(User, i64)>> {
        if !key.starts_with(API_KEY_PREFIX) {
            return Ok(None);
        }
        let hash = token_hash(key);
        let found = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT u.id, u.name, u.admin, u.created_at, k.id, k.last_used
                     FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?1",
                )?
                .query_row([&hash], |r| {
                    Ok((
                        user_from_row(r)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                    ))
                })
                .optional()?)
        })?;
        let Some((user, key_id, last_used)) = found else {
            return Ok(None);
        };
        let stale = last_used.is_none_or(|t| now.saturating_sub(t) >= LAST_USE_RESOLUTION);
        if stale {
            self.write(|conn| {
                conn.prepare_cached(
                    "UPDATE api_keys SET last_used = ?2
                     WHERE id = ?1 AND (last_used IS NULL OR last_used < ?2)",
                )?
                .execute([key_id, now])?;
                Ok(())
            })?;
        }
        Ok(Some((user, key_id)))
    }
}
