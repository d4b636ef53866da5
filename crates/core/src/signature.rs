//! What identifies one version of a file's content. The chunk cache keys on it, so a file that
//! changed never serves stale audio; the library compares it to skip unchanged files on a scan.

use serde::{Deserialize, Serialize};
use std::fs::{File, Metadata};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use xxhash_rust::xxh3::Xxh3;

/// Bytes hashed at each end of a file.
const HASH_EDGE: u64 = 64 * 1024;

/// Size, modification time and a content hash of one file.
///
/// `content_hash` is xxh3-64 of `size` (little-endian) followed by the first and last 64 KiB of
/// the file (the whole file when it is at most 128 KiB). Hashing whole files at scan time would
/// cap the scan at disk bandwidth (a 30 MB FLAC per file: ~100 files/s); head + tail cover every
/// tag rewrite (tags live at the head, or at the tail for ID3v1/APE) and every re-encode changes
/// the size or the frames at both ends. Together with `size` and `mtime_ns` a stale match needs
/// an edit that keeps the length, the modification time and both ends, which audio tools do not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileSignature {
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch, negative before it (see
    /// [`mtime_ns`]).
    pub mtime_ns: i64,
    pub content_hash: u64,
}

impl FileSignature {
    /// Reads the signature of the file at `path` (one stat, two 64 KiB reads at most).
    pub fn of_file(path: &Path) -> std::io::Result<FileSignature> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        Self::of_open_file(&mut file, &meta)
    }

    /// The signature of an already open file whose metadata the caller has.
    pub fn of_open_file(file: &mut File, meta: &Metadata) -> std::io::Result<FileSignature> {
        let size = meta.len();
        Ok(FileSignature {
            size,
            mtime_ns: mtime_ns(meta),
            content_hash: sampled_hash(file, size)?,
        })
    }

    /// Do a file's size and modification time still match this signature? (One `stat`: the
    /// cheap check before trusting anything remembered about the file.)
    pub fn matches_metadata(&self, meta: &Metadata) -> bool {
        meta.len() == self.size && mtime_ns(meta) == self.mtime_ns
    }

    /// [`FileSignature::matches_metadata`] for the file at `path`; false if it is gone.
    pub fn matches_file(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| self.matches_metadata(&m))
    }
}

/// Modification time in ns since the epoch: negative before 1970 (so such a file is not taken
/// for a changed one on every look), 0 when the platform cannot tell. The one place this is
/// computed.
pub fn mtime_ns(meta: &Metadata) -> i64 {
    match meta.modified() {
        Ok(time) => match time.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        },
        Err(_) => 0,
    }
}

/// xxh3 of the size and the first and last [`HASH_EDGE`] bytes.
fn sampled_hash(file: &mut File, size: u64) -> std::io::Result<u64> {
    let mut hasher = Xxh3::new();
    hasher.update(&size.to_le_bytes());
    let mut buf = Vec::with_capacity((2 * HASH_EDGE).min(size) as usize);
    if size <= 2 * HASH_EDGE {
        file.take(2 * HASH_EDGE).read_to_end(&mut buf)?;
        hasher.update(&buf);
    } else {
        (&mut *file).take(HASH_EDGE).read_to_end(&mut buf)?;
        hasher.update(&buf);
        buf.clear();
        file.seek(SeekFrom::End(-(HASH_EDGE as i64)))?;
        (&mut *file).take(HASH_EDGE).read_to_end(&mut buf)?;
        hasher.update(&buf);
    }
    Ok(hasher.digest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn hash_depends_on_both_ends_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        let mut data = vec![7u8; 300_000];
        std::fs::write(&path, &data).unwrap();
        let h = |p: &Path| FileSignature::of_file(p).unwrap().content_hash;
        let base = h(&path);
        data[299_999] = 8;
        std::fs::write(&path, &data).unwrap();
        let tail = h(&path);
        assert_ne!(base, tail);
        data[0] = 9;
        std::fs::write(&path, &data).unwrap();
        assert_ne!(tail, h(&path));
        let small = dir.path().join("b.bin");
        std::fs::write(&small, b"abc").unwrap();
        assert_ne!(h(&small), h(&path));
        assert_eq!(FileSignature::of_file(&small).unwrap().size, 3);
    }

    #[test]
    fn a_file_dated_before_1970_matches_its_own_signature() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.flac");
        std::fs::write(&path, b"old").unwrap();
        let f = File::options().write(true).open(&path).unwrap();
        f.set_modified(UNIX_EPOCH - Duration::from_secs(86_400 * 365))
            .unwrap();
        drop(f);
        let sig = FileSignature::of_file(&path).unwrap();
        assert!(sig.mtime_ns < 0, "{}", sig.mtime_ns);
        assert!(sig.matches_file(&path));
        std::fs::write(&path, b"new!").unwrap();
        assert!(!sig.matches_file(&path));
        assert!(!sig.matches_file(&dir.path().join("gone")));
    }
}
