//! The accounts service: first-run setup, sign-in and sessions, API keys, users, and the
//! throttling of wrong passwords. Storage and hashing are the library's (`auralis_library::
//! accounts`); this service adds the rules a network-facing server needs and runs the blocking
//! work (SQLite, argon2) off the async workers.
//!
//! Not for: cookies, headers and status codes (the transports), or deciding which route needs
//! what (the extractors `Auth` and `Admin` in `http::auth`).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auralis_library::accounts::unix_now;
use auralis_library::{ApiKey, Library, SecretBox, User};
use parking_lot::Mutex;

use super::error::{Error, Result};

/// Failures allowed per name and per client address within [`THROTTLE_WINDOW`].
pub const THROTTLE_FAILURES: usize = 10;
/// The window the failures are counted in.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(60);
/// Names and addresses remembered at most (the oldest are forgotten past this).
const THROTTLE_KEYS: usize = 10_000;

/// Who is calling, once authenticated.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    /// How: the session token (so sign-out can end it), or the API key's id.
    pub via: Via,
}

#[derive(Clone, Debug)]
pub enum Via {
    Session(String),
    ApiKey(i64),
    /// A Subsonic request's own credentials (`p`, or `t` + `s`).
    Subsonic,
}

/// What a Subsonic app sends to prove who it is.
pub enum SubsonicCredential {
    /// The password (`p`, decoded from `enc:` hex if it was).
    Password(String),
    /// `t` = md5(password + `s`).
    Token { token: String, salt: String },
}

/// Why a Subsonic sign-in failed.
pub enum SubsonicAuthError {
    Wrong,
    /// Token auth needs the password copy, which this user has none of (or it cannot be
    /// decrypted: the key file was replaced).
    TokenUnsupported,
    /// Too many failures: wait this many seconds.
    Throttled(u64),
    Failed(Error),
}

/// Compares two byte strings in time that depends only on their lengths.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// md5(password + salt) in lower-case hex, as Subsonic's token auth defines it.
fn subsonic_token(password: &str, salt: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(format!("{password}{salt}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts failed sign-ins per key (a user name, a client address) in a sliding window.
///
/// An attempt is counted as a failure when it starts ([`Throttle::begin`]) and taken back if it
/// succeeds: checking first and counting after the verification would let a burst of parallel
/// guesses all pass the check before any of them is counted.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// An attempt in progress, counted as a failure until [`Throttle::succeed`] or
/// [`Throttle::cancel`] takes it back.
#[must_use]
pub struct Attempt {
    keys: [String; 2],
    at: Instant,
}

impl Throttle {
    /// Starts an attempt for `keys` (counting it as a failure), or the seconds to wait if one of
    /// them is over the limit.
    pub fn begin(&self, keys: [String; 2], now: Instant) -> std::result::Result<Attempt, u64> {
        let mut map = self.failures.lock();
        let wait = keys
            .iter()
            .filter_map(|k| {
                let q = map.get_mut(k)?;
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= THROTTLE_WINDOW)
                {
                    q.pop_front();
                }
                if q.len() < THROTTLE_FAILURES {
                    return None;
                }
                let oldest = *q.front()?;
                let wait = THROTTLE_WINDOW.saturating_sub(now.duration_since(oldest));
                Some(wait.as_secs().max(1))
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        if map.len() > THROTTLE_KEYS {
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < THROTTLE_WINDOW)
            });
        }
        for k in &keys {
            map.entry(k.clone()).or_default().push_back(now);
        }
        Ok(Attempt { keys, at: now })
    }

    /// The attempt was not a wrong credential (e.g. the database failed): it does not count.
    pub fn cancel(&self, attempt: Attempt) {
        let mut map = self.failures.lock();
        for k in &attempt.keys {
            if let Some(q) = map.get_mut(k) {
                if let Some(i) = q.iter().position(|t| *t == attempt.at) {
                    q.remove(i);
                }
            }
        }
    }

    /// A good sign-in: it does not count, and it clears the name's failures (the address keeps
    /// its other failures).
    pub fn succeed(&self, attempt: Attempt) {
        let name_key = attempt.keys[0].clone();
        self.cancel(attempt);
        self.failures.lock().remove(&name_key);
    }
}

/// The throttle keys of a sign-in: the user name first, then the client's address.
fn throttle_keys(name: &str, client: IpAddr) -> [String; 2] {
    [
        format!("name:{}", name.to_lowercase()),
        format!("addr:{client}"),
    ]
}

#[derive(Clone)]
pub struct AuthService {
    library: Arc<Library>,
    secrets: SecretBox,
    throttle: Arc<Throttle>,
}

impl AuthService {
    pub(crate) fn new(library: Arc<Library>, secrets: SecretBox) -> Self {
        Self {
            library,
            secrets,
            throttle: Arc::new(Throttle::default()),
        }
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Library, &SecretBox) -> auralis_library::Result<T> + Send + 'static,
    ) -> Result<T> {
        let lib = self.library.clone();
        let secrets = self.secrets.clone();
        Ok(tokio::task::spawn_blocking(move || f(&lib, &secrets)).await??)
    }

    /// True until the first account exists.
    pub async fn setup_required(&self) -> Result<bool> {
        Ok(self.db(|l, _| l.user_count()).await? == 0)
    }

    /// Creates the first account, an admin, and signs it in; 409 once any user exists.
    pub async fn setup(&self, name: String, password: String) -> Result<(User, String)> {
        self.db(move |l, s| {
            let user = l.setup_first_admin(&name, &password, s)?;
            let token = l.create_session(user.id)?;
            Ok((user, token))
        })
        .await
    }

    /// Checks a name and password; answers with a new session. Wrong names and wrong passwords
    /// get the same answer at the same cost; past [`THROTTLE_FAILURES`] failures in a minute
    /// for the name or from the address, 429 without checking anything.
    pub async fn login(
        &self,
        name: String,
        password: String,
        client: IpAddr,
    ) -> Result<(User, String)> {
        let attempt = self
            .throttle
            .begin(throttle_keys(&name, client), Instant::now())
            .map_err(|wait| Error::TooManyRequests {
                message: format!("too many failed sign-ins; try again in {wait} s"),
                retry_after: wait,
            })?;
        let found = self
            .db(move |l, _| {
                let Some(user) = l.verify_password(&name, &password)? else {
                    return Ok(None);
                };
                let token = l.create_session(user.id)?;
                Ok(Some((user, token)))
            })
            .await;
        match found {
            Ok(Some(ok)) => {
                self.throttle.succeed(attempt);
                Ok(ok)
            }
            // The attempt stays counted.
            Ok(None) => Err(Error::unauthorized("wrong user name or password")),
            Err(e) => {
                self.throttle.cancel(attempt);
                Err(e)
            }
        }
    }

    pub async fn logout(&self, caller: &Caller) -> Result<()> {
        if let Via::Session(token) = &caller.via {
            let token = token.clone();
            self.db(move |l, _| l.delete_session(&token)).await?;
        }
        Ok(())
    }

    /// The user of a session token, if it is valid.
    pub async fn session(&self, token: String) -> Result<Option<Caller>> {
        self.db(move |l, _| {
            Ok(l.session_user(&token, unix_now())?.map(|user| Caller {
                user,
                via: Via::Session(token),
            }))
        })
        .await
    }

    /// The user of an API key, if it is valid.
    pub async fn api_key(&self, key: String) -> Result<Option<Caller>> {
        self.db(move |l, _| {
            Ok(l.api_key_user(&key, unix_now())?.map(|(user, id)| Caller {
                user,
                via: Via::ApiKey(id),
            }))
        })
        .await
    }

    pub async fn keys(&self, caller: &Caller) -> Result<Vec<ApiKey>> {
        let id = caller.user.id;
        self.db(move |l, _| l.api_keys(id)).await
    }

    pub async fn create_key(&self, caller: &Caller, name: String) -> Result<(ApiKey, String)> {
        let id = caller.user.id;
        self.db(move |l, _| l.create_api_key(id, &name)).await
    }

    pub async fn delete_key(&self, caller: &Caller, key_id: i64) -> Result<()> {
        let id = caller.user.id;
        if self.db(move |l, _| l.delete_api_key(id, key_id)).await? {
            Ok(())
        } else {
            Err(Error::not_found(format!(
                "you have no API key with id {key_id}"
            )))
        }
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        self.db(|l, _| l.users()).await
    }

    pub async fn create_user(&self, name: String, password: String, admin: bool) -> Result<User> {
        self.db(move |l, s| l.create_user(&name, &password, admin, s))
            .await
    }

    pub async fn delete_user(&self, id: i64) -> Result<()> {
        if self.db(move |l, _| l.delete_user(id)).await? {
            Ok(())
        } else {
            Err(Error::not_found(format!("no user with id {id}")))
        }
    }

    /// Sets user `target`'s password: the user themself with their old password, or an admin
    /// without it. The user's other sessions end (the caller's own stays).
    pub async fn change_password(
        &self,
        caller: &Caller,
        target: i64,
        old: Option<String>,
        new: String,
    ) -> Result<()> {
        let own = caller.user.id == target;
        if !own && !caller.user.admin {
            return Err(Error::forbidden(
                "only an admin can change another user's password",
            ));
        }
        let keep = match &caller.via {
            Via::Session(t) if own => Some(t.clone()),
            _ => None,
        };
        let check_old = if own && !caller.user.admin {
            Some(old.ok_or_else(|| Error::bad_request("old_password is required"))?)
        } else {
            old.filter(|_| own)
        };
        let name = caller.user.name.clone();
        let ok = self
            .db(move |l, s| {
                if l.user(target)?.is_none() {
                    return Err(auralis_library::LibraryError::UserNotFound(target));
                }
                if let Some(old) = check_old {
                    if l.verify_password(&name, &old)?.is_none() {
                        return Ok(false);
                    }
                }
                l.set_password(target, &new, s)?;
                l.delete_sessions_of(target, keep.as_deref())?;
                Ok(true)
            })
            .await?;
        if ok {
            Ok(())
        } else {
            Err(Error::unauthorized("the old password is wrong"))
        }
    }

    /// Checks a Subsonic app's credentials for user `name`, throttled like web sign-in. Token
    /// auth and plain passwords are checked against the user's encrypted password copy (so a
    /// request does not cost an argon2 hash); without a copy, a plain password falls back to
    /// the argon2 check and token auth is refused (`TokenUnsupported`).
    pub async fn subsonic_login(
        &self,
        name: String,
        credential: SubsonicCredential,
        client: IpAddr,
    ) -> std::result::Result<Caller, SubsonicAuthError> {
        let attempt = self
            .throttle
            .begin(throttle_keys(&name, client), Instant::now())
            .map_err(SubsonicAuthError::Throttled)?;
        enum Outcome {
            Ok(User),
            Wrong,
            TokenUnsupported,
        }
        let outcome = self
            .db(move |l, s| {
                let Some(user) = l.user_by_name(&name)? else {
                    // The same cost as a wrong password where one is paid.
                    if let SubsonicCredential::Password(p) = &credential {
                        l.verify_password(&name, p)?;
                    }
                    return Ok(Outcome::Wrong);
                };
                let copy = match l.subsonic_password(user.id, s) {
                    Ok(copy) => copy,
                    Err(auralis_library::LibraryError::SecretDecrypt { .. }) => None,
                    Err(e) => return Err(e),
                };
                Ok(match (credential, copy) {
                    (SubsonicCredential::Token { token, salt }, Some(pw)) => {
                        let want = subsonic_token(&pw, &salt);
                        if same_bytes(want.as_bytes(), token.to_ascii_lowercase().as_bytes()) {
                            Outcome::Ok(user)
                        } else {
                            Outcome::Wrong
                        }
                    }
                    (SubsonicCredential::Token { .. }, None) => Outcome::TokenUnsupported,
                    (SubsonicCredential::Password(p), Some(pw)) => {
                        if same_bytes(p.as_bytes(), pw.as_bytes()) {
                            Outcome::Ok(user)
                        } else {
                            Outcome::Wrong
                        }
                    }
                    (SubsonicCredential::Password(p), None) => {
                        match l.verify_password(&name, &p)? {
                            Some(u) => Outcome::Ok(u),
                            None => Outcome::Wrong,
                        }
                    }
                })
            })
            .await;
        match outcome {
            Ok(Outcome::Ok(user)) => {
                self.throttle.succeed(attempt);
                Ok(Caller {
                    user,
                    via: Via::Subsonic,
                })
            }
            // The attempt stays counted.
            Ok(Outcome::Wrong) => Err(SubsonicAuthError::Wrong),
            Ok(Outcome::TokenUnsupported) => {
                self.throttle.cancel(attempt);
                Err(SubsonicAuthError::TokenUnsupported)
            }
            Err(e) => {
                self.throttle.cancel(attempt);
                Err(SubsonicAuthError::Failed(e))
            }
        }
    }

    /// A user by name (for Subsonic's `getUser`).
    pub async fn user_named(&self, name: String) -> Result<Option<User>> {
        self.db(move |l, _| l.user_by_name(&name)).await
    }

    /// Ends sessions idle past the limit (called now and then).
    pub async fn expire_sessions(&self) -> Result<usize> {
        self.db(|l, _| l.delete_expired_sessions(unix_now())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str, addr: &str) -> [String; 2] {
        [format!("name:{name}"), format!("addr:{addr}")]
    }

    #[test]
    fn ten_failures_in_a_minute_block_the_name_and_the_address_until_the_window_passes() {
        let t = Throttle::default();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        for i in 0..10 {
            // Failed attempts: begun and never taken back.
            assert!(
                t.begin(keys("alice", "10.0.0.1"), at(i)).is_ok(),
                "attempt {i}"
            );
        }
        // Blocked by name from anywhere, and by address for any name.
        assert_eq!(t.begin(keys("alice", "10.9.9.9"), at(10)).err(), Some(50));
        assert_eq!(t.begin(keys("bob", "10.0.0.1"), at(10)).err(), Some(50));
        let bob = t.begin(keys("bob", "10.9.9.9"), at(10)).unwrap();
        t.succeed(bob);
        // The oldest failure leaves the window at 60 s: one more attempt is allowed.
        let carol = t.begin(keys("carol", "10.0.0.1"), at(60)).unwrap();
        t.cancel(carol);
    }

    #[test]
    fn attempts_count_from_their_start_so_a_parallel_burst_cannot_pass() {
        let t = Throttle::default();
        let now = Instant::now();
        // Ten attempts in flight at once (none has finished): the eleventh is refused.
        let open: Vec<Attempt> = (0..10)
            .map(|_| t.begin(keys("alice", "10.0.0.1"), now).unwrap())
            .collect();
        assert!(t.begin(keys("alice", "10.0.0.2"), now).is_err());
        assert!(t.begin(keys("zed", "10.0.0.1"), now).is_err());
        // Taken back (not wrong credentials): they no longer count.
        for a in open {
            t.cancel(a);
        }
        assert!(t.begin(keys("alice", "10.0.0.2"), now).is_ok());
    }

    #[test]
    fn a_good_sign_in_clears_the_name_but_not_the_address() {
        let t = Throttle::default();
        let now = Instant::now();
        for _ in 0..9 {
            let _failed = t.begin(keys("alice", "10.0.0.1"), now).unwrap();
        }
        let good = t.begin(keys("alice", "10.0.0.1"), now).unwrap();
        t.succeed(good);
        // The name is clear; the address still holds nine failures: one more, then blocked.
        assert!(t.begin(keys("alice", "10.0.0.2"), now).is_ok());
        let _failed = t.begin(keys("bob", "10.0.0.1"), now).unwrap();
        assert_eq!(t.begin(keys("carol", "10.0.0.1"), now).err(), Some(60));
    }
}
