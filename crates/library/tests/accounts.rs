//! Integration tests of accounts: users, passwords, sessions, API keys, the encrypted Subsonic
//! password copy and its key file, and the error a damaged database gives. Time is passed in
//! (`now`), so expiry is tested without sleeping; the raw tables are read to prove that no
//! token, key or password is stored in clear.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use auralis_library::accounts::{unix_now, LAST_USE_RESOLUTION, SESSION_IDLE_LIMIT};
use auralis_library::{Library, LibraryError, PasswordPolicy, SecretBox, User};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

const PASSWORD: &str = "correct horse battery";

struct Env {
    dir: tempfile::TempDir,
    lib: Library,
    secrets: SecretBox,
}

impl Env {
    fn db(&self) -> PathBuf {
        self.dir.path().join("library.sqlite")
    }

    /// A second connection, to read what is really stored.
    fn raw(&self) -> Connection {
        Connection::open(self.db()).unwrap()
    }

    fn user(&self, name: &str, admin: bool) -> User {
        self.lib
            .create_user(name, PASSWORD, admin, &self.secrets)
            .unwrap()
    }
}

fn open_fast(db: &Path) -> Library {
    let lib = Library::open(db).unwrap();
    lib.set_password_policy(PasswordPolicy::INSECURE_FAST)
        .unwrap();
    lib
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let lib = open_fast(&dir.path().join("library.sqlite"));
    let secrets = SecretBox::open_or_create(dir.path().join("secret.key")).unwrap();
    Env { dir, lib, secrets }
}

// -- users and passwords ----------------------------------------------------------------------

#[test]
fn right_password_signs_in_wrong_one_and_unknown_user_do_not() {
    let e = env();
    let alice = e.user("Alice", false);
    assert!(!alice.admin);
    assert_eq!(e.lib.user_count().unwrap(), 1);
    assert_eq!(e.lib.user(alice.id).unwrap().as_ref(), Some(&alice));

    assert_eq!(
        e.lib.verify_password("Alice", PASSWORD).unwrap(),
        Some(alice.clone())
    );
    // Names compare case-insensitively, passwords do not.
    assert_eq!(
        e.lib.verify_password("aLICE", PASSWORD).unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        e.lib
            .verify_password("Alice", &PASSWORD.to_uppercase())
            .unwrap(),
        None
    );
    assert_eq!(e.lib.verify_password("Alice", "").unwrap(), None);
    assert_eq!(e.lib.verify_password("Bob", PASSWORD).unwrap(), None);
}

#[test]
fn every_sign_in_runs_exactly_one_argon2_verification() {
    let e = env();
    e.user("alice", false);
    let long = "x".repeat(500);
    let attempts = [
        ("alice", PASSWORD),
        ("alice", "wrong password"),
        ("nobody", "wrong password"),
        ("", ""),
        (long.as_str(), PASSWORD),
    ];
    for (name, password) in attempts {
        let before = e.lib.password_verifications();
        e.lib.verify_password(name, password).unwrap();
        assert_eq!(
            e.lib.password_verifications(),
            before + 1,
            "{name:?}/{password:?}"
        );
    }
    // A stored hash that does not parse: the same one verification, a failed sign-in, no panic.
    e.raw()
        .execute(
            "UPDATE users SET password_hash = '$argon2id$garbage' WHERE name = 'alice'",
            [],
        )
        .unwrap();
    let before = e.lib.password_verifications();
    assert_eq!(e.lib.verify_password("alice", PASSWORD).unwrap(), None);
    assert_eq!(e.lib.password_verifications(), before + 1);
}

#[test]
fn the_hash_is_argon2id_and_the_user_never_carries_it() {
    let e = env();
    let alice = e.user("alice", true);
    let hash: String = e
        .raw()
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
    let json = serde_json::to_value(&alice).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "id": alice.id, "name": "alice", "admin": true, "created_at": alice.created_at
        })
    );
    assert!((unix_now() - alice.created_at).abs() < 60);
}

#[test]
fn names_and_passwords_follow_the_rules() {
    let e = env();
    for bad in [
        "",
        " alice",
        "alice ",
        "al\tice",
        "al\u{0}ice",
        &"a".repeat(65),
    ] {
        assert!(
            matches!(
                e.lib.create_user(bad, PASSWORD, false, &e.secrets),
                Err(LibraryError::InvalidUserName(_))
            ),
            "{bad:?}"
        );
    }
    for bad in ["short", "1234567", &"x".repeat(1025)] {
        assert!(matches!(
            e.lib.create_user("alice", bad, false, &e.secrets),
            Err(LibraryError::InvalidPassword(_))
        ));
    }
    let long = "é".repeat(64);
    e.user(&long, false);
    e.user("Jean-Luc Picard", false);
    assert!(e.lib.user_by_name("jean-luc picard").unwrap().is_some());
    assert_eq!(e.lib.user_count().unwrap(), 2);
}

#[test]
fn names_are_unique_whatever_their_case() {
    let e = env();
    e.user("Émile", false);
    for taken in ["Émile", "émile", "ÉMILE"] {
        match e.lib.create_user(taken, PASSWORD, false, &e.secrets) {
            Err(LibraryError::UserNameTaken(name)) => assert_eq!(name, taken),
            other => panic!("{taken}: {other:?}"),
        }
    }
    assert_eq!(
        e.lib.user_by_name("éMILE").unwrap().map(|u| u.name),
        Some("Émile".to_owned())
    );
    e.user("bob", false);
    let names: Vec<String> = e.lib.users().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["bob", "Émile"]);
}

#[test]
fn setup_creates_one_admin_once() {
    let e = env();
    let admin = e
        .lib
        .setup_first_admin("root", PASSWORD, &e.secrets)
        .unwrap();
    assert!(admin.admin);
    assert!(matches!(
        e.lib.setup_first_admin("other", PASSWORD, &e.secrets),
        Err(LibraryError::AlreadySetUp)
    ));
    assert_eq!(e.lib.user_count().unwrap(), 1);
}

/// Two threads on one `Library`, and two on two `Library` handles of one file (as two
/// processes would be): exactly one admin each time.
#[test]
fn concurrent_setups_create_exactly_one_admin() {
    for shared in [true, false] {
        let e = env();
        let second = Arc::new(if shared {
            None
        } else {
            Some(open_fast(&e.db()))
        });
        let lib = Arc::new(e.lib);
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<_> = (0..2)
            .map(|i| {
                let (lib, second, barrier) = (lib.clone(), second.clone(), barrier.clone());
                let secrets = e.secrets.clone();
                std::thread::spawn(move || {
                    let lib = match (i, second.as_ref()) {
                        (1, Some(other)) => other,
                        _ => &*lib,
                    };
                    barrier.wait();
                    lib.setup_first_admin(&format!("admin{i}"), PASSWORD, &secrets)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let created = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(LibraryError::AlreadySetUp)))
            .count();
        assert_eq!((created, refused), (1, 1), "shared={shared}: {results:?}");
        assert_eq!(lib.user_count().unwrap(), 1);
    }
}

#[test]
fn the_last_admin_cannot_be_deleted() {
    let e = env();
    let root = e
        .lib
        .setup_first_admin("root", PASSWORD, &e.secrets)
        .unwrap();
    let bob = e.user("bob", false);
    assert!(matches!(
        e.lib.delete_user(root.id),
        Err(LibraryError::LastAdmin)
    ));
    assert!(e.lib.delete_user(bob.id).unwrap());
    assert!(!e.lib.delete_user(bob.id).unwrap(), "already gone");
    let carol = e.user("carol", true);
    assert!(e.lib.delete_user(root.id).unwrap());
    assert!(matches!(
        e.lib.delete_user(carol.id),
        Err(LibraryError::LastAdmin)
    ));
    assert_eq!(e.lib.users().unwrap(), [carol]);
}

#[test]
fn deleting_a_user_takes_their_sessions_keys_and_settings() {
    let e = env();
    e.user("root", true);
    let bob = e.user("bob", false);
    let token = e.lib.create_session(bob.id).unwrap();
    let (_, key) = e.lib.create_api_key(bob.id, "phone").unwrap();
    e.lib.set_user_setting(bob.id, "preset", "warm").unwrap();
    assert!(e.lib.delete_user(bob.id).unwrap());
    let now = unix_now();
    assert_eq!(e.lib.session_user(&token, now).unwrap(), None);
    assert_eq!(e.lib.api_key_user(&key, now).unwrap(), None);
    let raw = e.raw();
    for table in ["sessions", "api_keys", "user_settings"] {
        let n: i64 = raw
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    // Ids are not reused.
    assert!(e.user("bob", false).id > bob.id);
}

#[test]
fn changing_a_password() {
    let e = env();
    let alice = e.user("alice", false);
    assert!(matches!(
        e.lib.set_password(alice.id, "short", &e.secrets),
        Err(LibraryError::InvalidPassword(_))
    ));
    e.lib
        .set_password(alice.id, "a new passphrase", &e.secrets)
        .unwrap();
    assert_eq!(e.lib.verify_password("alice", PASSWORD).unwrap(), None);
    assert!(e
        .lib
        .verify_password("alice", "a new passphrase")
        .unwrap()
        .is_some());
    assert_eq!(
        e.lib
            .subsonic_password(alice.id, &e.secrets)
            .unwrap()
            .as_deref(),
        Some("a new passphrase")
    );
    assert!(matches!(
        e.lib.set_password(9999, "a new passphrase", &e.secrets),
        Err(LibraryError::UserNotFound(9999))
    ));
}

#[test]
fn a_hash_from_an_older_policy_is_upgraded_at_sign_in() {
    let e = env();
    e.user("alice", false);
    let stronger = PasswordPolicy {
        m_cost_kib: 32,
        ..PasswordPolicy::INSECURE_FAST
    };
    e.lib.set_password_policy(stronger).unwrap();
    assert!(e.lib.verify_password("alice", PASSWORD).unwrap().is_some());
    let hash: String = e
        .raw()
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=32,t=1,p=1$"), "{hash}");
    assert!(e.lib.verify_password("alice", PASSWORD).unwrap().is_some());
}

// -- sessions ---------------------------------------------------------------------------------

fn last_seen(e: &Env) -> Option<i64> {
    e.raw()
        .query_row("SELECT last_seen FROM sessions", [], |r| r.get(0))
        .ok()
}

#[test]
fn a_session_finds_its_user_until_signed_out() {
    let e = env();
    let alice = e.user("alice", false);
    let token = e.lib.create_session(alice.id).unwrap();
    assert_eq!(token.len(), 43);
    let now = unix_now();
    assert_eq!(e.lib.session_user(&token, now).unwrap(), Some(alice));
    assert_eq!(e.lib.session_user("not a token", now).unwrap(), None);
    assert_eq!(e.lib.session_user("", now).unwrap(), None);
    assert!(e.lib.delete_session(&token).unwrap());
    assert!(!e.lib.delete_session(&token).unwrap());
    assert_eq!(e.lib.session_user(&token, now).unwrap(), None);
    assert!(matches!(
        e.lib.create_session(4242),
        Err(LibraryError::UserNotFound(4242))
    ));
}

#[test]
fn a_session_expires_after_30_idle_days_and_is_deleted() {
    let e = env();
    let alice = e.user("alice", false);
    let token = e.lib.create_session(alice.id).unwrap();
    let t0 = last_seen(&e).unwrap();

    // Read within the minute: no write.
    assert!(e
        .lib
        .session_user(&token, t0 + LAST_USE_RESOLUTION - 1)
        .unwrap()
        .is_some());
    assert_eq!(last_seen(&e), Some(t0));
    // A minute later: refreshed.
    let t1 = t0 + LAST_USE_RESOLUTION;
    assert!(e.lib.session_user(&token, t1).unwrap().is_some());
    assert_eq!(last_seen(&e), Some(t1));
    // A clock going back never moves it back.
    assert!(e.lib.session_user(&token, t0).unwrap().is_some());
    assert_eq!(last_seen(&e), Some(t1));

    // Exactly 30 days idle is still valid (and refreshes).
    let t2 = t1 + SESSION_IDLE_LIMIT;
    assert!(e.lib.session_user(&token, t2).unwrap().is_some());
    assert_eq!(last_seen(&e), Some(t2));
    // One second more is expired, and the row goes.
    assert_eq!(
        e.lib
            .session_user(&token, t2 + SESSION_IDLE_LIMIT + 1)
            .unwrap(),
        None
    );
    assert_eq!(last_seen(&e), None);
    assert_eq!(e.lib.session_user(&token, t2).unwrap(), None);
}

#[test]
fn expired_sessions_are_swept() {
    let e = env();
    let alice = e.user("alice", false);
    let old = e.lib.create_session(alice.id).unwrap();
    let t0 = last_seen(&e).unwrap();
    let fresh = e.lib.create_session(alice.id).unwrap();
    let later = t0 + SESSION_IDLE_LIMIT - 10;
    assert!(e.lib.session_user(&fresh, later).unwrap().is_some());
    assert_eq!(e.lib.delete_expired_sessions(later).unwrap(), 0);
    assert_eq!(
        e.lib
            .delete_expired_sessions(t0 + SESSION_IDLE_LIMIT + 1)
            .unwrap(),
        1
    );
    assert_eq!(e.lib.session_user(&old, later).unwrap(), None);
    assert!(e.lib.session_user(&fresh, later).unwrap().is_some());
}

#[test]
fn a_password_change_can_end_the_other_sessions() {
    let e = env();
    let alice = e.user("alice", false);
    let bob = e.user("bob", false);
    let here = e.lib.create_session(alice.id).unwrap();
    let phone = e.lib.create_session(alice.id).unwrap();
    let laptop = e.lib.create_session(alice.id).unwrap();
    let bobs = e.lib.create_session(bob.id).unwrap();
    assert_eq!(e.lib.delete_sessions_of(alice.id, Some(&here)).unwrap(), 2);
    let now = unix_now();
    assert!(e.lib.session_user(&here, now).unwrap().is_some());
    assert_eq!(e.lib.session_user(&phone, now).unwrap(), None);
    assert_eq!(e.lib.session_user(&laptop, now).unwrap(), None);
    assert!(e.lib.session_user(&bobs, now).unwrap().is_some());
    assert_eq!(e.lib.delete_sessions_of(alice.id, None).unwrap(), 1);
    assert_eq!(e.lib.session_user(&here, now).unwrap(), None);
}

#[test]
fn sessions_keys_and_users_survive_reopening_the_database() {
    let e = env();
    let alice = e.user("alice", true);
    let token = e.lib.create_session(alice.id).unwrap();
    let (_, key) = e.lib.create_api_key(alice.id, "script").unwrap();
    let db = e.db();
    let secrets_path = e.secrets.path().to_path_buf();
    let dir = e.dir;
    drop(e.lib);
    drop(e.secrets);

    let lib = open_fast(&db);
    let secrets = SecretBox::open_or_create(&secrets_path).unwrap();
    let now = unix_now();
    assert_eq!(lib.session_user(&token, now).unwrap(), Some(alice.clone()));
    assert_eq!(
        lib.api_key_user(&key, now).unwrap().map(|(u, _)| u),
        Some(alice.clone())
    );
    assert!(lib.verify_password("alice", PASSWORD).unwrap().is_some());
    assert_eq!(
        lib.subsonic_password(alice.id, &secrets)
            .unwrap()
            .as_deref(),
        Some(PASSWORD)
    );
    drop(dir);
}

// -- API keys ---------------------------------------------------------------------------------

#[test]
fn keys_are_made_listed_used_and_revoked() {
    let e = env();
    let alice = e.user("alice", false);
    let bob = e.user("bob", false);
    let (listed, key) = e.lib.create_api_key(alice.id, "Symfonium").unwrap();
    assert!(key.starts_with("aur_") && key.len() == 4 + 43, "{key}");
    assert_eq!(listed.name, "Symfonium");
    assert_eq!(listed.user_id, alice.id);
    assert_eq!(listed.last_used, None);
    let (second, _) = e.lib.create_api_key(alice.id, "backup script").unwrap();
    assert_eq!(
        e.lib.api_keys(alice.id).unwrap(),
        [listed.clone(), second.clone()]
    );
    assert!(e.lib.api_keys(bob.id).unwrap().is_empty());

    let now = unix_now();
    assert_eq!(
        e.lib.api_key_user(&key, now).unwrap(),
        Some((alice.clone(), listed.id))
    );
    let used = |lib: &Library| lib.api_keys(alice.id).unwrap()[0].last_used;
    assert_eq!(used(&e.lib), Some(now));
    // Within the minute: not written again.
    e.lib
        .api_key_user(&key, now + LAST_USE_RESOLUTION - 1)
        .unwrap();
    assert_eq!(used(&e.lib), Some(now));
    e.lib.api_key_user(&key, now + LAST_USE_RESOLUTION).unwrap();
    assert_eq!(used(&e.lib), Some(now + LAST_USE_RESOLUTION));

    // Unknown, altered and prefix-less keys find nobody.
    assert_eq!(e.lib.api_key_user("aur_nope", now).unwrap(), None);
    assert_eq!(e.lib.api_key_user(&key[4..], now).unwrap(), None);
    let mut altered = key.clone();
    altered.pop();
    altered.push('A');
    if altered != key {
        assert_eq!(e.lib.api_key_user(&altered, now).unwrap(), None);
    }

    // Bob cannot revoke Alice's key; Alice can.
    assert!(!e.lib.delete_api_key(bob.id, listed.id).unwrap());
    assert!(e.lib.api_key_user(&key, now).unwrap().is_some());
    assert!(e.lib.delete_api_key(alice.id, listed.id).unwrap());
    assert!(!e.lib.delete_api_key(alice.id, listed.id).unwrap());
    assert_eq!(e.lib.api_key_user(&key, now).unwrap(), None);
    assert_eq!(e.lib.api_keys(alice.id).unwrap(), [second]);
}

#[test]
fn key_names_follow_the_rules() {
    let e = env();
    let alice = e.user("alice", false);
    for bad in ["", " x", "x ", "a\nb", &"k".repeat(65)] {
        assert!(matches!(
            e.lib.create_api_key(alice.id, bad),
            Err(LibraryError::InvalidKeyName(_))
        ));
    }
    assert!(matches!(
        e.lib.create_api_key(777, "phone"),
        Err(LibraryError::UserNotFound(777))
    ));
}

// -- nothing secret in clear -------------------------------------------------------------------

fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

#[test]
fn tokens_keys_and_passwords_are_never_stored_in_clear() {
    let e = env();
    let alice = e.user("alice", false);
    let token = e.lib.create_session(alice.id).unwrap();
    let (_, key) = e.lib.create_api_key(alice.id, "phone").unwrap();

    let raw = e.raw();
    let session_hash: Vec<u8> = raw
        .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(session_hash, sha256(&token));
    let key_hash: Vec<u8> = raw
        .query_row("SELECT key_hash FROM api_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(key_hash, sha256(&key));
    drop(raw);

    // Nowhere in the database files, in any column or page.
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let path = PathBuf::from(format!("{}{suffix}", e.db().display()));
        if let Ok(b) = fs::read(&path) {
            bytes.extend(b);
        }
    }
    assert!(bytes.len() > 4096);
    for secret in [token.as_str(), &key, &key[4..], PASSWORD] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} found in the database"
        );
    }
}

// -- the encrypted password copy and its key file ---------------------------------------------

#[test]
fn the_password_copy_decrypts_with_its_key_only_for_its_user() {
    let e = env();
    let alice = e.user("alice", false);
    let bob = e.user("bob", false);
    assert_eq!(
        e.lib
            .subsonic_password(alice.id, &e.secrets)
            .unwrap()
            .as_deref(),
        Some(PASSWORD)
    );
    assert_eq!(e.lib.subsonic_password(12345, &e.secrets).unwrap(), None);

    // The same file loads the same key.
    let again = SecretBox::open_or_create(e.secrets.path()).unwrap();
    assert_eq!(
        e.lib
            .subsonic_password(alice.id, &again)
            .unwrap()
            .as_deref(),
        Some(PASSWORD)
    );
    // Another key file does not decrypt it.
    let other = SecretBox::open_or_create(e.dir.path().join("other.key")).unwrap();
    assert!(matches!(
        e.lib.subsonic_password(alice.id, &other),
        Err(LibraryError::SecretDecrypt { user_id }) if user_id == alice.id
    ));
    // Alice's copy pasted onto Bob's row does not decrypt as Bob's.
    e.raw()
        .execute(
            "UPDATE users SET subsonic_password =
                (SELECT subsonic_password FROM users WHERE id = ?1) WHERE id = ?2",
            [alice.id, bob.id],
        )
        .unwrap();
    assert!(matches!(
        e.lib.subsonic_password(bob.id, &e.secrets),
        Err(LibraryError::SecretDecrypt { user_id }) if user_id == bob.id
    ));
    // A user without a copy: none.
    e.raw()
        .execute("UPDATE users SET subsonic_password = NULL", [])
        .unwrap();
    assert_eq!(e.lib.subsonic_password(alice.id, &e.secrets).unwrap(), None);
}

#[cfg(unix)]
#[test]
fn the_key_file_is_made_private_and_refused_when_it_is_not() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("secret.key");
    let secrets = SecretBox::open_or_create(&path).unwrap();
    assert_eq!(secrets.path(), path);
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.len(), 32);
    // No temporary file left behind.
    assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = SecretBox::open_or_create(&path).unwrap_err();
    assert!(
        matches!(err, LibraryError::SecretKeyPermissions { mode: 0o644, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("chmod 600 {}", path.display())),
        "{message}"
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    assert!(SecretBox::open_or_create(&path).is_err());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(SecretBox::open_or_create(&path).is_ok());
}

#[test]
fn a_key_file_of_the_wrong_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for len in [0usize, 31, 33, 64] {
        let path = dir.path().join(format!("key{len}"));
        fs::write(&path, vec![7u8; len]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        match SecretBox::open_or_create(&path) {
            Err(LibraryError::SecretKeySize { found, .. }) => assert_eq!(found, len as u64),
            other => panic!("{len} bytes: {other:?}"),
        }
    }
    // A folder is not a key file.
    assert!(matches!(
        SecretBox::open_or_create(dir.path()),
        Err(LibraryError::Io { .. })
    ));
}

// -- per-user settings ------------------------------------------------------------------------

#[test]
fn user_settings_are_per_user() {
    let e = env();
    let alice = e.user("alice", false);
    let bob = e.user("bob", false);
    e.lib.set_user_setting(alice.id, "preset", "warm").unwrap();
    e.lib
        .set_user_setting(alice.id, "preset", "bright")
        .unwrap();
    assert_eq!(
        e.lib.user_setting(alice.id, "preset").unwrap().as_deref(),
        Some("bright")
    );
    assert_eq!(e.lib.user_setting(bob.id, "preset").unwrap(), None);
    assert!(e.lib.remove_user_setting(alice.id, "preset").unwrap());
    assert!(!e.lib.remove_user_setting(alice.id, "preset").unwrap());
    assert_eq!(e.lib.user_setting(alice.id, "preset").unwrap(), None);
    assert!(matches!(
        e.lib.set_user_setting(999, "preset", "warm"),
        Err(LibraryError::UserNotFound(999))
    ));
}
