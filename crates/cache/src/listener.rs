//! Who is listening: a listener is one playing client (a browser tab, a Subsonic app) of one
//! user. Its key is the pair (user, client-chosen id), so two users' tabs can never collide and
//! a user's listeners can be found without a second index.
//!
//! Not for: what a listener is doing (the manager keeps that).

use crate::CacheError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Longest client-chosen listener id, in bytes.
pub const MAX_CLIENT_ID: usize = 64;

/// The listener a request without an id belongs to (scripts, old clients).
pub const DEFAULT_CLIENT_ID: &str = "default";

/// One listener: the user it belongs to (0 when there are no accounts) and the id its client
/// chose (at most 64 printable ASCII characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ListenerKey {
    pub user: i64,
    pub client: Arc<str>,
}

impl ListenerKey {
    /// Checks the client id: 1-64 printable ASCII characters (no control characters, so it can
    /// be logged and shown as is).
    pub fn new(user: i64, client: &str) -> Result<ListenerKey, CacheError> {
        if client.is_empty() || client.len() > MAX_CLIENT_ID {
            return Err(CacheError::InvalidListener(format!(
                "a listener id has 1 to {MAX_CLIENT_ID} characters, got {}",
                client.len()
            )));
        }
        if !client.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(CacheError::InvalidListener(
                "a listener id is printable ASCII".into(),
            ));
        }
        Ok(ListenerKey {
            user,
            client: client.into(),
        })
    }

    /// The user's `default` listener.
    pub fn default_for(user: i64) -> ListenerKey {
        ListenerKey {
            user,
            client: DEFAULT_CLIENT_ID.into(),
        }
    }
}

impl fmt::Display for ListenerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.user, self.client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_and_printable() {
        assert!(ListenerKey::new(1, "3f0c-tab").is_ok());
        assert!(ListenerKey::new(1, &"x".repeat(64)).is_ok());
        assert!(ListenerKey::new(1, &"x".repeat(65)).is_err());
        assert!(ListenerKey::new(1, "").is_err());
        assert!(ListenerKey::new(1, "a\nb").is_err());
        assert!(ListenerKey::new(1, "é").is_err());
        assert_ne!(
            ListenerKey::new(1, "t").unwrap(),
            ListenerKey::new(2, "t").unwrap()
        );
    }
}
