//! The key that encrypts each user's password copy, for Subsonic token auth.
//!
//! Subsonic's token auth sends `t = md5(password + s)` with a random salt `s`. To check it the
//! server must know the password itself, which an argon2 hash cannot give back. So, as
//! Navidrome does, Auralis keeps a second copy of each password, encrypted with
//! XChaCha20-Poly1305 under a 32-byte key that lives in a file of its own in the data folder
//! (`secret.key`, mode 0600), not in the database.
//!
//! The trade-off, to state in the user docs:
//! - whoever holds **both** the database and the key file (a full backup of the data folder, or
//!   the server's own user account) can recover every password, and so try it on other sites;
//! - the database alone (a copied `library.sqlite`, a leaked backup without the key) gives the
//!   argon2 hashes and ciphertexts, neither of which yields the password;
//! - web sign-in never uses the copy: it checks only the argon2 hash;
//! - deleting the key file disables token auth (the copies no longer decrypt; plain `p=` auth
//!   and API keys keep working) until each user sets their password again.
//!
//! Each value is stored as `nonce (24 bytes) || ciphertext+tag`, with a fresh random nonce per
//! value (192-bit nonces make random ones safe). The user id is bound as associated data, so a
//! copy pasted onto another user's row does not decrypt there.
//!
//! Not for: anything web sign-in checks, or any other secret (a new use gets its own
//! associated-data label, like `SUBSONIC_LABEL`).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::tokens::random_bytes;
use crate::error::{LibraryError, Result};

/// Key length in bytes.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

/// Associated-data prefix of the Subsonic password copy (domain separation from any later
/// use of the same key).
const SUBSONIC_LABEL: &[u8] = b"auralis/subsonic-password/v1\0";

/// The file name `open_or_create` is meant for, in the data folder.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// An encryption key loaded from (or created in) a key file. Cloning shares nothing mutable;
/// the key is wiped from memory when dropped.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    path: PathBuf,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SecretBox {
    /// Loads the key from `path`, or, if there is no file there, makes a new key with the OS
    /// random generator and writes it atomically with mode 0600 (creating the folder).
    ///
    /// Refuses a file that is not exactly 32 bytes ([`LibraryError::SecretKeySize`]) and, on
    /// Unix, one that group or others may access ([`LibraryError::SecretKeyPermissions`],
    /// whose message gives the `chmod`). Two processes starting at once end up with the same
    /// key: the file is never overwritten once it exists.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<SecretBox> {
        let path = path.as_ref();
        match fs::File::open(path) {
            Ok(file) => Self::load(path, file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(e) => Err(LibraryError::io(path, e)),
        }
    }

    /// The key file this box was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(path: &Path, mut file: fs::File) -> Result<SecretBox> {
        let meta = file.metadata().map_err(|e| LibraryError::io(path, e))?;
        if !meta.is_file() {
            let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
            return Err(LibraryError::io(path, e));
        }
        // Size first: no chmod makes a file of the wrong size usable.
        if meta.len() != KEY_BYTES as u64 {
            return Err(LibraryError::SecretKeySize {
                path: path.to_path_buf(),
                found: meta.len(),
            });
        }
        check_private(path, &meta)?;
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        file.read_exact(key.as_mut())
            .map_err(|e| LibraryError::io(path, e))?;
        Ok(Self::from_key(path, &key))
    }

    fn create(path: &Path) -> Result<SecretBox> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|e| LibraryError::Write {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let key = Zeroizing::new(random_bytes::<KEY_BYTES>()?);
        let write_error = |source| LibraryError::Write {
            path: path.to_path_buf(),
            source,
        };
        // `tempfile` creates the file with mode 0600 on Unix: the key is never readable by
        // others, not even for a moment.
        let mut tmp = tempfile::Builder::new()
            .prefix(".secret.key.")
            .tempfile_in(dir)
            .map_err(write_error)?;
        tmp.write_all(key.as_ref()).map_err(write_error)?;
        tmp.as_file().sync_all().map_err(write_error)?;
        match tmp.persist_noclobber(path) {
            Ok(_) => {
                // Make the new name durable too.
                if let Ok(d) = fs::File::open(dir) {
                    let _ = d.sync_all();
                }
                Ok(Self::from_key(path, &key))
            }
            // Another process made it first: use theirs, so both encrypt with one key.
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                let file = fs::File::open(path).map_err(|e| LibraryError::io(path, e))?;
                Self::load(path, file)
            }
            Err(e) => Err(write_error(e.error)),
        }
    }

    fn from_key(path: &Path, key: &[u8; KEY_BYTES]) -> SecretBox {
        SecretBox {
            cipher: XChaCha20Poly1305::new(key.into()),
            path: path.to_path_buf(),
        }
    }

    /// Encrypts the password copy of `user_id`: `nonce || ciphertext`.
    pub(crate) fn seal_password(&self, user_id: i64, password: &str) -> Result<Vec<u8>> {
        let nonce_bytes = random_bytes::<NONCE_BYTES>()?;
        let nonce = XNonce::from(nonce_bytes);
        let aad = associated_data(user_id);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: password.as_bytes(),
                    aad: &aad,
                },
            )
            // Only possible for messages of gigabytes.
            .map_err(|_| LibraryError::SecretEncrypt { user_id })?;
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts the password copy of `user_id`; fails if it was made for another user or with
    /// another key, or was altered.
    pub(crate) fn open_password(&self, user_id: i64, sealed: &[u8]) -> Result<String> {
        let failed = || LibraryError::SecretDecrypt { user_id };
        if sealed.len() < NONCE_BYTES {
            return Err(failed());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| failed())?;
        let aad = associated_data(user_id);
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| failed())?;
        String::from_utf8(plain).map_err(|_| failed())
    }
}

fn associated_data(user_id: i64) -> Vec<u8> {
    let mut aad = SUBSONIC_LABEL.to_vec();
    aad.extend_from_slice(&user_id.to_le_bytes());
    aad
}

/// Refuses a key file that group or others may read or write.
#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(LibraryError::SecretKeyPermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_associated_data_binding() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretBox::open_or_create(dir.path().join("secret.key")).unwrap();
        let sealed = secrets.seal_password(7, "sesame open").unwrap();
        assert_eq!(sealed.len(), 24 + "sesame open".len() + 16);
        assert!(!sealed.windows(6).any(|w| w == b"sesame"));
        assert_eq!(secrets.open_password(7, &sealed).unwrap(), "sesame open");
        // Another user's row, or an altered value, does not decrypt.
        assert!(matches!(
            secrets.open_password(8, &sealed),
            Err(LibraryError::SecretDecrypt { user_id: 8 })
        ));
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(secrets.open_password(7, &altered).is_err());
        assert!(secrets.open_password(7, &sealed[..10]).is_err());
        // A fresh nonce each time.
        assert_ne!(secrets.seal_password(7, "sesame open").unwrap(), sealed);
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretBox::open_or_create(dir.path().join("k")).unwrap();
        let shown = format!("{secrets:?}");
        assert!(shown.starts_with("SecretBox { path: "), "{shown}");
    }
}
