//! Cache keys: what identifies a chunk, so that a changed file or a new DSP version can never
//! be served stale audio.
//!
//! A chunk is identified by its track key (file signature, DSP version, chunk length, format),
//! its variant ("original" or a preset name) and its index. The track key's xxh3 hash names the
//! track's directory on disk; the full key text is also written into every chunk file's header
//! and compared on read, so even a hash collision cannot serve the wrong audio.
//!
//! Not for: deciding what to cache (see `manager`) or file I/O (see `tier2`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// The server's identifier of a track (the library's row id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrackId(pub i64);

impl fmt::Display for TrackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which audio a chunk holds: the untouched original, or the output of one preset at intensity
/// 1.0. Serialised as its name: `"original"` or the preset name (e.g. `"adaptive"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Variant {
    Original,
    Processed(String),
}

impl Variant {
    /// The processed variant of preset `name`. Names must be 1-64 characters of `[a-z0-9_-]`
    /// (they become a directory name) and not `original`.
    pub fn processed(name: &str) -> Result<Variant, String> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name != "original"
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(Variant::Processed(name.to_string()))
        } else {
            Err(format!(
                "invalid preset name {name:?}: use 1-64 characters of a-z, 0-9, '_' or '-'"
            ))
        }
    }

    /// `"original"` or the preset name; also the variant's directory name on disk.
    pub fn name(&self) -> &str {
        match self {
            Variant::Original => "original",
            Variant::Processed(p) => p,
        }
    }

    /// Checks that the name is safe to use as a path component.
    pub(crate) fn validate(&self) -> Result<(), String> {
        match self {
            Variant::Original => Ok(()),
            Variant::Processed(p) => Variant::processed(p).map(|_| ()),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Variant> for String {
    fn from(v: Variant) -> String {
        v.name().to_string()
    }
}

impl TryFrom<String> for Variant {
    type Error = String;
    fn try_from(s: String) -> Result<Variant, String> {
        s.parse()
    }
}

impl std::str::FromStr for Variant {
    type Err = String;
    fn from_str(s: &str) -> Result<Variant, String> {
        if s == "original" {
            Ok(Variant::Original)
        } else {
            Variant::processed(s)
        }
    }
}

/// What a file looked like when its chunks were rendered: any change means new audio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileSignature {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 if unavailable).
    pub mtime_ns: u128,
    /// xxh3-64 of the file's content.
    pub content_hash: u64,
}

impl FileSignature {
    /// Reads `path` once: size and mtime from its metadata, xxh3-64 over its bytes
    /// (several GB/s, so a few ms for a typical track).
    pub fn of_file(path: &Path) -> std::io::Result<FileSignature> {
        let mut file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(FileSignature {
            size: meta.len(),
            mtime_ns,
            content_hash: hasher.digest(),
        })
    }
}

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
}

impl TrackDesc {
    /// The canonical text of the track part of the key.
    pub(crate) fn key_text(&self) -> String {
        let s = &self.signature;
        format!(
            "size={};mtime_ns={};content={:016x};dsp={};chunk_len={};format={};chunks={}",
            s.size,
            s.mtime_ns,
            s.content_hash,
            self.dsp_version,
            self.chunk_len,
            self.format.escape_default(),
            self.chunk_count
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
    pub fn chunk_text_of(track_text: &str, variant: &Variant, chunk: u64) -> String {
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
    }

    #[test]
    fn variant_names_round_trip_and_reject_paths() {
        for s in ["original", "adaptive", "warm", "my-preset_2"] {
            let v: Variant = s.parse().unwrap();
            assert_eq!(v.name(), s);
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{s}\""));
        }
        for bad in ["", "../x", "a/b", "Warm", ".", "original2/.."] {
            assert!(bad.parse::<Variant>().is_err(), "{bad}");
        }
        assert!(Variant::Processed("../../etc".into()).validate().is_err());
    }

    #[test]
    fn signature_of_file_sees_content_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        std::fs::write(&p, b"hello").unwrap();
        let a = FileSignature::of_file(&p).unwrap();
        std::fs::write(&p, b"hellp").unwrap();
        let b = FileSignature::of_file(&p).unwrap();
        assert_eq!(a.size, 5);
        assert_ne!(a.content_hash, b.content_hash);
    }
}
