//! Accounts: users, sign-in sessions, API keys, and the encrypted password copy that Subsonic
//! token auth needs. Everything is stored in the library database (schema v3) and reached
//! through methods on [`Library`](crate::Library), blocking like the rest of the crate.
//!
//! What is stored, and what is not:
//! - a user's password only as an **argon2id** hash (PHC string, [`password`]); web sign-in
//!   checks nothing else;
//! - sessions and API keys only as the SHA-256 of their token (`tokens`): the token is
//!   returned once, when it is made, and a stolen database does not sign anybody in;
//! - a copy of the password encrypted with a key kept in a separate file ([`SecretBox`]), for
//!   Subsonic's `t`+`s` token auth. The trade-off is explained in [`secret_box`].
//!
//! One file per concern: [`users`], [`sessions`], [`api_keys`], [`user_settings`], with the
//! hashing in [`password`] and `tokens` and the cipher in [`secret_box`].
//!
//! Not for: HTTP. Cookies, `Authorization` headers, throttling of wrong passwords, role checks
//! and the Host/Origin rules are the server's; it calls these methods on a blocking thread.
//! Times are unix seconds; methods whose answer depends on the clock take `now` (pass
//! [`unix_now`]) so that expiry is testable without waiting.

pub mod api_keys;
pub mod password;
pub mod secret_box;
pub mod sessions;
pub(crate) mod tokens;
pub mod user_settings;
pub mod users;

use std::sync::atomic::AtomicU64;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::error::LibraryError;

pub use password::PasswordPolicy;
pub use secret_box::SecretBox;
pub use sessions::SESSION_IDLE_LIMIT;

/// A user as the rest of the server sees one: never with the password hash or its copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    /// As typed at creation (names compare case-insensitively).
    pub name: String,
    pub admin: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// An API key as listed to its owner: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, to the minute (see [`LAST_USE_RESOLUTION`]); `None` until first used.
    pub last_used: Option<i64>,
}

/// Session `last_seen` and key `last_used` are refreshed at most this often (seconds), so a
/// page making many requests does not write to the database on each one.
pub const LAST_USE_RESOLUTION: i64 = 60;

/// The current time in unix seconds (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Per-`Library` account state that is not in the database.
#[derive(Default)]
pub(crate) struct AccountsState {
    policy: Mutex<PasswordPolicy>,
    /// The hash verified for unknown users, made lazily with the policy it was made with.
    dummy_hash: Mutex<Option<(PasswordPolicy, String)>>,
    /// Argon2 verifications run, for tests (and metrics): see
    /// [`Library::password_verifications`](crate::Library::password_verifications).
    verifications: AtomicU64,
}

/// Checks a display label (user name, key name): 1-64 characters, no control characters, no
/// leading or trailing whitespace. Returns the reason it is refused.
pub(crate) fn check_label(label: &str) -> std::result::Result<(), &'static str> {
    let chars = label.chars().count();
    if chars == 0 {
        return Err("it is empty");
    }
    if chars > 64 {
        return Err("it is longer than 64 characters");
    }
    if label.chars().any(char::is_control) {
        return Err("it contains control characters");
    }
    if label.trim() != label {
        return Err("it starts or ends with a space");
    }
    Ok(())
}

/// Maps the foreign-key failure of an insert for a user that does not exist.
pub(crate) fn user_must_exist(user_id: i64) -> impl Fn(rusqlite::Error) -> LibraryError {
    move |e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => LibraryError::UserNotFound(user_id),
        _ => LibraryError::Db(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_rules() {
        assert!(check_label("a").is_ok());
        assert!(check_label("Émile Zola").is_ok());
        assert!(check_label(&"é".repeat(64)).is_ok());
        assert!(check_label(&"é".repeat(65)).is_err());
        assert!(check_label("").is_err());
        assert!(check_label(" bob").is_err());
        assert!(check_label("bob ").is_err());
        assert!(check_label("bo\nb").is_err());
        assert!(check_label("bo\u{7f}b").is_err());
    }
}
