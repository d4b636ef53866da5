//! Random bearer tokens (sessions, API keys) and the hash they are stored under.
//!
//! A token is 32 bytes from the OS random generator, shown once as base64url. The database
//! keeps only SHA-256 of the token's text: a token carries 256 bits of entropy, so a fast hash
//! is enough (no salt, no argon2), and lookups by hash need no comparison of secrets in Rust.
//!
//! Not for: passwords (low entropy: argon2, in `password`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::{LibraryError, Result};

/// Bytes of entropy in a token.
const TOKEN_BYTES: usize = 32;

/// `n` bytes from the operating system's random generator.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| LibraryError::Random(e.to_string()))?;
    Ok(bytes)
}

/// A fresh token, base64url without padding (43 characters), after `prefix`.
pub(crate) fn new_token(prefix: &str) -> Result<String> {
    let bytes = random_bytes::<TOKEN_BYTES>()?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What a token is stored and looked up by.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_url_safe_and_hashed() {
        let a = new_token("aur_").unwrap();
        let b = new_token("aur_").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("aur_"));
        assert_eq!(a.len(), 4 + 43);
        assert!(a[4..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            token_hash("abc")[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "token_hash is SHA-256"
        );
    }
}
