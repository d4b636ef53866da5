//! Cache keys: what identifies a chunk, so that a changed file or a new DSP version can never
//! be served stale audio.
//!
//! A chunk is identified by its track key (file signature, DSP version, chunk length, format),
//! its variant ("original" or a preset name) and its index. The track key's xxh3 hash names the
//! track's directory on disk; the full key text is also written into every chunk file's header
//! and compared on read, so even a hash collision cannot serve the wrong audio.
//!
//! The shared types (`TrackId`, `Variant`, `FileSignature`) live in `auralis-core`.
//!
//! Not for: deciding what to cache (see `manager`) or file I/O (see `tier2`).

use crate::{FileSignature, Variant};
use serde::{Deserialize, Serialize};

/// A description of a track, as the [`crate::Renderer`] reports it. Everything in it except
/// `chunk_count` is part of the cache key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackDesc {
    pub signature: FileSignature,
    /// Number of chunks on the track's timeline.
    pub chunk_count: u64,
    /// Encoded format of a chunk, e.g. `"flac16"`.
    pub format: String,
    /// Chunk length in samples at the output rate.
    pub chunk_len: u64,
    /// The DSP version (`auralis_master::DSP_VERSION`).
    pub dsp_version: u32,
    /// What the processed variants depend on besides the file and the DSP version, as the
    /// renderer names it (the engine: the album's membership, see its album rule); empty when
    /// nothing. A renderer must change it whenever that changes.
    pub processed_key: String,
}

impl TrackDesc {
    /// The canonical text of the track part of the key.
    pub(crate) fn key_text(&self) -> String {
        let s = &self.signature;
        format!(
            "size={};mtime_ns={};content={:016x};dsp={};chunk_len={};format={};chunks={};processed={}",
            s.size,
            s.mtime_ns,
            s.content_hash,
            self.dsp_version,
            self.chunk_len,
            self.format.escape_default(),
            self.chunk_count,
            self.processed_key.escape_default()
        )
    }
}

/// A track key: the canonical key text and its hash (which names the directory on disk).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TrackKey {
    pub text: String,
    pub hash: u64,
}

impl TrackKey {
    pub fn of(desc: &TrackDesc) -> TrackKey {
        let text = desc.key_text();
        let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        TrackKey { text, hash }
    }

    /// The full key of one chunk (track key text + variant + index), as written into the
    /// chunk file's header.
    pub fn chunk_text_of(track_text: &str, variant: Variant, chunk: u64) -> String {
        format!("{track_text};variant={};chunk={chunk}", variant.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc() -> TrackDesc {
        TrackDesc {
            signature: FileSignature {
                size: 10,
                mtime_ns: 5,
                content_hash: 7,
            },
            chunk_count: 3,
            format: "flac16".into(),
            chunk_len: 441_000,
            dsp_version: 1,
            processed_key: String::new(),
        }
    }

    #[test]
    fn every_key_field_changes_the_hash() {
        let base = TrackKey::of(&desc()).hash;
        let mut d = desc();
        d.signature.size = 11;
        assert_ne!(TrackKey::of(&d).hash, base);
        let mut d = desc();
        d.signature.mtime_ns = 6;
        assert_ne!(TrackKey::of(&d).hash, base);
        let mut d = desc();
        d.signature.content_hash = 8;
        assert_ne!(TrackKey::of(&d).hash, base);
        let mut d = desc();
        d.dsp_version = 2;
        assert_ne!(TrackKey::of(&d).hash, base);
        let mut d = desc();
        d.chunk_len = 1;
        assert_ne!(TrackKey::of(&d).hash, base);
        let mut d = desc();
        d.format = "flac24".into();
        assert_ne!(TrackKey::of(&d).hash, base);
        let mut d = desc();
        d.processed_key = "album=1".into();
        assert_ne!(TrackKey::of(&d).hash, base);
    }
}
