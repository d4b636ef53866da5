//! Password rules and argon2id hashing.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so each carries the
//! parameters it was made with: raising [`PasswordPolicy::DEFAULT`] later keeps old hashes
//! verifiable, and they are re-hashed at the next successful sign-in.
//!
//! Verification of an unknown user runs the same argon2 verification, against a dummy hash
//! made once with the current policy, so the time a sign-in takes does not tell whether the
//! name exists. A malformed stored hash (or one with absurd parameters) is verified the same
//! way and simply fails: it never panics and never allocates gigabytes.
//!
//! Not for: tokens (sessions, API keys; see `tokens`), or throttling (the server's).

use std::sync::atomic::Ordering;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use parking_lot::{Condvar, Mutex};
use zeroize::Zeroizing;

use super::AccountsState;
use crate::error::{LibraryError, Result};
use crate::Library;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in bytes (argon2 would take more, but nobody types this much,
/// and a cap keeps request handling bounded).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Stored hashes with parameters above these are treated as malformed rather than verified:
/// a hash edited in the database must not make a sign-in allocate gigabytes or run for minutes.
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 64;
const MAX_P_COST: u32 = 16;

/// Argon2id cost parameters for new hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Memory, in KiB.
    pub m_cost_kib: u32,
    /// Passes over the memory.
    pub t_cost: u32,
    /// Lanes. The `argon2` crate computes lanes one after the other (no `parallel` feature),
    /// so more lanes cost time, not throughput: keep 1.
    pub p_cost: u32,
}

impl PasswordPolicy {
    /// The production cost: 64 MiB, 2 passes, 1 lane (RFC 9106's memory-constrained choice
    /// is 64 MiB with 3 passes; OWASP's minimum is 19 MiB with 2).
    ///
    /// Measured on the project's 2-core machine with `cargo run -p auralis-library --example
    /// password_cost` (median of 9, while other builds ran, load average about 3): one
    /// verification takes 97-157 ms, typically 100 ms, inside the 50-250 ms sign-in budget.
    /// Neighbours measured in the same runs: 19 MiB/t=2 about 28 ms, 46 MiB/t=1 about 44 ms
    /// (both under budget), 64 MiB/t=3 about 140-165 ms.
    pub const DEFAULT: PasswordPolicy = PasswordPolicy {
        m_cost_kib: 64 * 1024,
        t_cost: 2,
        p_cost: 1,
    };

    /// The cheapest argon2id there is (8 KiB, 1 pass): for test suites only, where hundreds of
    /// hashes would otherwise take minutes. Never use it for real accounts.
    pub const INSECURE_FAST: PasswordPolicy = PasswordPolicy {
        m_cost_kib: 8,
        t_cost: 1,
        p_cost: 1,
    };

    fn params(&self) -> Result<Params> {
        Params::new(self.m_cost_kib, self.t_cost, self.p_cost, None)
            .map_err(|e| LibraryError::PasswordHash(e.to_string()))
    }

    fn hasher(&self) -> Result<Argon2<'static>> {
        Ok(Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            self.params()?,
        ))
    }

    /// Whether `hash` was made with exactly this policy (otherwise it is re-hashed at the next
    /// successful sign-in).
    fn made_with(&self, hash: &PasswordHash) -> bool {
        let Ok(params) = Params::try_from(hash) else {
            return false;
        };
        hash.algorithm.as_str() == "argon2id"
            && params.m_cost() == self.m_cost_kib
            && params.t_cost() == self.t_cost
            && params.p_cost() == self.p_cost
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy::DEFAULT
    }
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes.
pub fn check_password(password: &str) -> Result<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(LibraryError::InvalidPassword(
            "it is longer than 1024 bytes",
        ));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(LibraryError::InvalidPassword(
            "it is shorter than 8 characters",
        ));
    }
    Ok(())
}

/// At most this many argon2 computations at once per process: each holds `m_cost` of memory,
/// and a burst of sign-ins (or an attack on many names) must queue, not exhaust memory.
static GATE: Gate = Gate::new();

struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
}

impl Gate {
    const fn new() -> Gate {
        Gate {
            running: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let limit = std::thread::available_parallelism().map_or(2, |n| n.get());
        {
            let mut running = self.running.lock();
            while *running >= limit {
                self.freed.wait(&mut running);
            }
            *running += 1;
        }
        // Released even if `f` panics, so one bad hash cannot wedge every later sign-in.
        struct Release<'a>(&'a Gate);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.running.lock() -= 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        f()
    }
}

/// Parses a stored hash, refusing parameters beyond the caps above.
fn parse_stored(stored: &str) -> Option<PasswordHash> {
    let hash = PasswordHash::new(stored).ok()?;
    let params = Params::try_from(&hash).ok()?;
    let sane = params.m_cost() <= MAX_M_COST_KIB
        && params.t_cost() <= MAX_T_COST
        && params.p_cost() <= MAX_P_COST;
    sane.then_some(hash)
}

/// The outcome of checking a password against a stored hash.
pub(crate) enum Verified {
    Wrong,
    Right,
    /// Right, but the hash was made with another policy: store this new hash.
    RightRehashed(String),
}

impl AccountsState {
    pub(crate) fn policy(&self) -> PasswordPolicy {
        *self.policy.lock()
    }

    /// A new PHC string for `password` with the current policy and a random salt.
    pub(crate) fn hash(&self, password: &str) -> Result<String> {
        let hasher = self.policy().hasher()?;
        let salt = super::tokens::random_bytes::<16>()?;
        let hash = GATE
            .run(|| hasher.hash_password_with_salt(password.as_bytes(), &salt))
            .map_err(|e| LibraryError::PasswordHash(e.to_string()))?;
        Ok(hash.to_string())
    }

    /// Runs one argon2 verification of `password` against `stored`, or against the dummy
    /// hash when there is no usable stored hash (unknown user, malformed hash), so every
    /// outcome costs one verification.
    pub(crate) fn verify(&self, password: &str, stored: Option<&str>) -> Result<Verified> {
        let policy = self.policy();
        let dummy = self.dummy_hash(policy)?;
        let parsed = stored.and_then(parse_stored);
        let real = parsed.is_some();
        let Some(target) = parsed.or_else(|| PasswordHash::new(&dummy).ok()) else {
            return Err(LibraryError::PasswordHash(
                "the dummy hash does not parse".into(),
            ));
        };
        // Parameters come from the stored hash; the instance's own do not matter.
        let verifier = Argon2::default();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let matches = GATE
            .run(|| verifier.verify_password(password.as_bytes(), &target))
            .is_ok();
        Ok(match (real && matches, policy.made_with(&target)) {
            (false, _) => Verified::Wrong,
            (true, true) => Verified::Right,
            (true, false) => Verified::RightRehashed(self.hash(password)?),
        })
    }

    /// The dummy hash for `policy`, made on first use (so the first sign-in of any kind, known
    /// user or not, pays for it: no first-call timing difference between the two).
    fn dummy_hash(&self, policy: PasswordPolicy) -> Result<String> {
        if let Some((made_with, hash)) = self.dummy_hash.lock().as_ref() {
            if *made_with == policy {
                return Ok(hash.clone());
            }
        }
        // A random password nobody knows, so the dummy can never match.
        let secret = Zeroizing::new(super::tokens::new_token("")?);
        let hash = self.hash(&secret)?;
        *self.dummy_hash.lock() = Some((policy, hash.clone()));
        Ok(hash)
    }
}

impl Library {
    /// The argon2 cost used for new password hashes ([`PasswordPolicy::DEFAULT`] unless
    /// changed).
    pub fn password_policy(&self) -> PasswordPolicy {
        self.accounts.policy()
    }

    /// Changes the argon2 cost of new hashes. Existing hashes keep verifying with the cost
    /// they were made with, and are re-hashed at their next successful sign-in. Test suites
    /// set [`PasswordPolicy::INSECURE_FAST`]; an invalid policy is refused here.
    pub fn set_password_policy(&self, policy: PasswordPolicy) -> Result<()> {
        policy.params()?;
        *self.accounts.policy.lock() = policy;
        Ok(())
    }

    /// How many argon2 verifications this `Library` has run: sign-ins of known and unknown
    /// users alike count one each. For tests and metrics.
    pub fn password_verifications(&self) -> u64 {
        self.accounts.verifications.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> AccountsState {
        let state = AccountsState::default();
        *state.policy.lock() = PasswordPolicy::INSECURE_FAST;
        state
    }

    #[test]
    fn right_and_wrong_passwords() {
        let state = fast();
        let hash = state.hash("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert!(matches!(
            state.verify("correct horse", Some(&hash)).unwrap(),
            Verified::Right
        ));
        assert!(matches!(
            state.verify("correct horsE", Some(&hash)).unwrap(),
            Verified::Wrong
        ));
        // Same password, new salt.
        assert_ne!(state.hash("correct horse").unwrap(), hash);
    }

    #[test]
    fn unknown_users_and_malformed_hashes_cost_one_verification_and_fail() {
        let state = fast();
        let huge = "$argon2id$v=19$m=4000000000,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        for stored in [
            None,
            Some(""),
            Some("not a hash"),
            Some("$argon2id$v=19$m=8,t=1,p=1$"),
            Some("$2b$12$abcdefghijklmnopqrstuv"),
            Some(huge),
        ] {
            let before = state.verifications.load(Ordering::Relaxed);
            assert!(matches!(
                state.verify("whatever1", stored).unwrap(),
                Verified::Wrong
            ));
            assert_eq!(state.verifications.load(Ordering::Relaxed), before + 1);
        }
    }

    #[test]
    fn a_hash_made_with_another_policy_is_rehashed_on_success() {
        let state = fast();
        let old = state.hash("correct horse").unwrap();
        *state.policy.lock() = PasswordPolicy {
            m_cost_kib: 16,
            ..PasswordPolicy::INSECURE_FAST
        };
        let Verified::RightRehashed(new) = state.verify("correct horse", Some(&old)).unwrap()
        else {
            panic!("not rehashed");
        };
        assert!(new.starts_with("$argon2id$v=19$m=16,t=1,p=1$"), "{new}");
        assert!(matches!(
            state.verify("correct horse", Some(&new)).unwrap(),
            Verified::Right
        ));
        assert!(matches!(
            state.verify("wrong horse", Some(&old)).unwrap(),
            Verified::Wrong
        ));
    }

    #[test]
    fn password_rules() {
        assert!(check_password("12345678").is_ok());
        assert!(check_password("ééééééé").is_err(), "7 characters, 14 bytes");
        assert!(check_password("éééééééé").is_ok());
        assert!(check_password(&"x".repeat(1024)).is_ok());
        assert!(matches!(
            check_password(&"x".repeat(1025)),
            Err(LibraryError::InvalidPassword(_))
        ));
    }

    #[test]
    fn the_default_policy_is_valid_and_recommended_strength() {
        assert!(PasswordPolicy::DEFAULT.params().is_ok());
        assert!(PasswordPolicy::INSECURE_FAST.params().is_ok());
        const { assert!(PasswordPolicy::DEFAULT.m_cost_kib >= 19 * 1024) };
        assert!(PasswordPolicy {
            m_cost_kib: 0,
            t_cost: 1,
            p_cost: 1
        }
        .params()
        .is_err());
    }
}
