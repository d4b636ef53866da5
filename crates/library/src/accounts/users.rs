//! Users: creation (with the first-run admin), lookup, password checks and changes, removal.
//!
//! Names are unique case-insensitively: each row also stores `name_key`, the name in Unicode
//! lowercase, under a UNIQUE index, and every lookup by name goes through it. Argon2 runs
//! before the write lock is taken, so a sign-in or an account creation never holds up a scan's
//! writes for the length of a hash.
//!
//! Not for: who may call what (admin checks are the server's), sessions and keys (their own
//! files).

use rusqlite::{params, OptionalExtension, Row};

use super::password::{check_password, Verified};
use super::{check_label, unix_now, SecretBox, User};
use crate::error::{LibraryError, Result};
use crate::Library;

const USER_COLUMNS: &str = "u.id, u.name, u.admin, u.created_at";

pub(crate) fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        admin: row.get(2)?,
        created_at: row.get(3)?,
    })
}

/// What names are compared by.
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Checks a new user name: 1-64 characters, no control characters, no leading or trailing
/// space.
pub fn check_user_name(name: &str) -> Result<()> {
    check_label(name).map_err(LibraryError::InvalidUserName)
}

impl Library {
    /// The number of accounts (0 means the server still needs its first admin).
    pub fn user_count(&self) -> Result<u64> {
        self.read(|conn| {
            let n: i64 = conn
                .prepare_cached("SELECT COUNT(*) FROM users")?
                .query_row([], |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    /// All users, by name (case-insensitively).
    pub fn users(&self) -> Result<Vec<User>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users u ORDER BY u.name_key, u.id"
            ))?;
            let users = stmt
                .query_map([], user_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(users)
        })
    }

    pub fn user(&self, id: i64) -> Result<Option<User>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"
                ))?
                .query_row([id], user_from_row)
                .optional()?)
        })
    }

    /// The user called `name`, compared case-insensitively.
    pub fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.name_key = ?1"
                ))?
                .query_row([name_key(name)], user_from_row)
                .optional()?)
        })
    }

    /// Creates an account. The name must pass [`check_user_name`] and be free
    /// ([`LibraryError::UserNameTaken`], whatever its case); the password must pass
    /// [`check_password`]. Stores the argon2id hash and the
    /// encrypted copy made with `secrets`.
    pub fn create_user(
        &self,
        name: &str,
        password: &str,
        admin: bool,
        secrets: &SecretBox,
    ) -> Result<User> {
        self.insert_user(name, password, admin, secrets, false)
    }

    /// Creates the first account, an admin, if there is no account yet; otherwise fails with
    /// [`LibraryError::AlreadySetUp`]. Atomic: of two concurrent calls (threads or processes)
    /// exactly one succeeds.
    pub fn setup_first_admin(
        &self,
        name: &str,
        password: &str,
        secrets: &SecretBox,
    ) -> Result<User> {
        self.insert_user(name, password, true, secrets, true)
    }

    fn insert_user(
        &self,
        name: &str,
        password: &str,
        admin: bool,
        secrets: &SecretBox,
        first: bool,
    ) -> Result<User> {
        check_user_name(name)?;
        check_password(password)?;
        // Cheap answers before the costly hash; repeated under the lock below.
        if first && self.user_count()? > 0 {
            return Err(LibraryError::AlreadySetUp);
        }
        if self.user_by_name(name)?.is_some() {
            return Err(LibraryError::UserNameTaken(name.to_owned()));
        }
        let hash = self.accounts.hash(password)?;
        let created_at = unix_now();
        self.write_tx(|tx| {
            if first {
                let n: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
                if n > 0 {
                    return Err(LibraryError::AlreadySetUp);
                }
            }
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO users (name, name_key, password_hash, admin, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name_key) DO NOTHING",
                )?
                .execute(params![name, name_key(name), hash, admin, created_at])?;
            if inserted == 0 {
                return Err(LibraryError::UserNameTaken(name.to_owned()));
            }
            let id = tx.last_insert_rowid();
            // The copy is bound to the id, known only now.
            let sealed = secrets.seal_password(id, password)?;
            tx.prepare_cached("UPDATE users SET subsonic_password = ?2 WHERE id = ?1")?
                .execute(params![id, sealed])?;
            Ok(User {
                id,
                name: name.to_owned(),
                admin,
                created_at,
            })
        })
    }

    /// Checks a sign-in: the user called `name` (case-insensitively) if `password` is theirs.
    ///
    /// Runs exactly one argon2 verification whatever the outcome (an unknown name is checked
    /// against a dummy hash; a malformed stored hash just fails), so the time taken does not
    /// tell whether the name exists; see [`Library::password_verifications`]. A hash made
    /// with an older [`PasswordPolicy`](super::PasswordPolicy) is replaced on success.
    pub fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let found = self.read(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.name_key = ?1"
                ))?
                .query_row([name_key(name)], |r| {
                    Ok((user_from_row(r)?, r.get::<_, String>(4)?))
                })
                .optional()?)
        })?;
        let (user, stored) = match found {
            Some((user, stored)) => (Some(user), Some(stored)),
            None => (None, None),
        };
        match self.accounts.verify(password, stored.as_deref())? {
            Verified::Wrong => Ok(None),
            Verified::Right => Ok(user),
            Verified::RightRehashed(new_hash) => {
                if let (Some(user), Some(old_hash)) = (&user, &stored) {
                    // Best effort: the sign-in stands even if this write fails, and the next
                    // one tries again. Only replaces the hash that was just verified.
                    let _ = self.write(|conn| {
                        conn.prepare_cached(
                            "UPDATE users SET password_hash = ?3
                             WHERE id = ?1 AND password_hash = ?2",
                        )?
                        .execute(params![user.id, old_hash, new_hash])?;
                        Ok(())
                    });
                }
                Ok(user)
            }
        }
    }

    /// Replaces a user's password (hash and encrypted copy). Sessions are not touched: the
    /// caller ends the others with [`Library::delete_sessions_of`].
    pub fn set_password(
        &self,
        user_id: i64,
        new_password: &str,
        secrets: &SecretBox,
    ) -> Result<()> {
        check_password(new_password)?;
        let hash = self.accounts.hash(new_password)?;
        let sealed = secrets.seal_password(user_id, new_password)?;
        let updated = self.write(|conn| {
            Ok(conn
                .prepare_cached(
                    "UPDATE users SET password_hash = ?2, subsonic_password = ?3 WHERE id = ?1",
                )?
                .execute(params![user_id, hash, sealed])?)
        })?;
        if updated == 0 {
            return Err(LibraryError::UserNotFound(user_id));
        }
        Ok(())
    }

    /// Deletes a user with their sessions, API keys and settings. `false` if there was no such
    /// user; [`LibraryError::LastAdmin`] if they are the only admin (the server would be left
    /// with nobody able to manage it).
    pub fn delete_user(&self, user_id: i64) -> Result<bool> {
        self.write_tx(|tx| {
            let admin: Option<bool> = tx
                .query_row("SELECT admin FROM users WHERE id = ?1", [user_id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(admin) = admin else {
                return Ok(false);
            };
            if admin {
                let admins: i64 =
                    tx.query_row("SELECT COUNT(*) FROM users WHERE admin", [], |r| r.get(0))?;
                if admins <= 1 {
                    return Err(LibraryError::LastAdmin);
                }
            }
            // Sessions, keys and settings go with it (ON DELETE CASCADE).
            tx.execute("DELETE FROM users WHERE id = ?1", [user_id])?;
            Ok(true)
        })
    }

    /// The user's password, decrypted from its copy, for Subsonic token auth. `None` if the
    /// user does not exist or has no copy; [`LibraryError::SecretDecrypt`] if the copy does not
    /// decrypt with `secrets` (another key file, or a copy moved from another row).
    pub fn subsonic_password(&self, user_id: i64, secrets: &SecretBox) -> Result<Option<String>> {
        let sealed: Option<Vec<u8>> = self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT subsonic_password FROM users WHERE id = ?1")?
                .query_row([user_id], |r| r.get(0))
                .optional()?
                .flatten())
        })?;
        sealed
            .map(|sealed| secrets.open_password(user_id, &sealed))
            .transpose()
    }
}
