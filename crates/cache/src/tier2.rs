//! Tier 2: every chunk of recent tracks on disk, and its in-memory index.
//!
//! Layout under the cache directory:
//! ```text
//! tracks/<track-key-hash:016x>/<variant>/<chunk>.chunk   one chunk file
//! tracks/<track-key-hash:016x>/streams/<name>.stream     a whole encoded stream (see `streams`)
//! tmp/                                                 files being written (emptied at start-up)
//! trash/                                               evicted tracks being deleted (emptied at start-up)
//! ```
//! A chunk file is `magic "AURCHNK1" | key_len u32 LE | key text | payload_len u64 LE | payload
//! | xxh3-64 of everything before it (u64 LE)`. The key text is the full key (file signature,
//! DSP version, chunk length, format, variant, chunk). Files are written to `tmp/` and renamed
//! into place, so a reader sees a whole file or none; reads check the length, the key and the
//! checksum, and a file failing any of them is never served.
//!
//! Start-up work per chunk is one readdir entry and one stat; contents are validated lazily on
//! read. The index keeps sizes only, never chunk bytes.
//!
//! Not for: deciding what to keep (the index evicts on the manager's say-so).

use crate::{TrackId, Variant};
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

const MAGIC: &[u8; 8] = b"AURCHNK1";
const EXT: &str = "chunk";
/// The folder of a track's encoded streams, beside its variant folders.
pub(crate) const STREAMS_DIR: &str = "streams";
const STREAM_EXT: &str = "stream";

/// Names a stream file may have: short, lower-case ASCII letters, digits and `@._-`, not
/// starting with a dot (so a name can never leave its folder).
pub fn valid_stream_name(name: &str) -> bool {
    (1..=96).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"@._-".contains(&b))
}

/// Why a chunk file could not be served.
#[derive(Debug)]
#[allow(dead_code)] // the payloads are for Debug output
pub(crate) enum ReadError {
    Io(io::Error),
    Damaged(&'static str),
}

/// Encodes a chunk file.
pub(crate) fn encode(key_text: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 4 + key_text.len() + 8 + payload.len() + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(key_text.len() as u32).to_le_bytes());
    out.extend_from_slice(key_text.as_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let sum = xxhash_rust::xxh3::xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Validates a chunk file's bytes against the expected key; returns the payload (no copy).
pub(crate) fn decode(data: Vec<u8>, key_text: &str) -> Result<Bytes, ReadError> {
    let damaged = ReadError::Damaged;
    let n = data.len();
    if n < 8 + 4 + 8 + 8 || &data[..8] != MAGIC {
        return Err(damaged("bad header"));
    }
    let key_len = u32::from_le_bytes(data[8..12].try_into().unwrap_or_default()) as usize;
    let key_end = 12usize.saturating_add(key_len);
    if key_end.saturating_add(16) > n {
        return Err(damaged("truncated"));
    }
    if &data[12..key_end] != key_text.as_bytes() {
        return Err(damaged("key mismatch"));
    }
    let payload_len =
        u64::from_le_bytes(data[key_end..key_end + 8].try_into().unwrap_or_default()) as usize;
    let payload_start = key_end + 8;
    if payload_start
        .checked_add(payload_len)
        .and_then(|e| e.checked_add(8))
        != Some(n)
    {
        return Err(damaged("length mismatch"));
    }
    let stored = u64::from_le_bytes(data[n - 8..].try_into().unwrap_or_default());
    if xxhash_rust::xxh3::xxh3_64(&data[..n - 8]) != stored {
        return Err(damaged("checksum mismatch"));
    }
    Ok(Bytes::from(data).slice(payload_start..payload_start + payload_len))
}

/// A track found on disk at start-up.
pub(crate) struct ScannedTrack {
    pub hash: u64,
    pub newest: SystemTime,
    pub chunks: Vec<(Variant, u64, u64)>,
    /// Encoded streams: name and size.
    pub streams: Vec<(String, u64)>,
}

/// The chunk files on disk.
pub(crate) struct DiskStore {
    tracks: PathBuf,
    tmp: PathBuf,
    trash: PathBuf,
    seq: AtomicU64,
}

impl DiskStore {
    /// Creates the layout under `root`, removes leftovers of an interrupted run (temp files,
    /// half-deleted tracks) and lists the chunk files.
    pub fn open(root: &Path) -> io::Result<(DiskStore, Vec<ScannedTrack>)> {
        let store = DiskStore {
            tracks: root.join("tracks"),
            tmp: root.join("tmp"),
            trash: root.join("trash"),
            seq: AtomicU64::new(0),
        };
        for dir in [&store.tmp, &store.trash] {
            if dir.exists() {
                fs::remove_dir_all(dir)?;
            }
        }
        fs::create_dir_all(&store.tracks)?;
        fs::create_dir_all(&store.tmp)?;
        fs::create_dir_all(&store.trash)?;
        let scanned = store.scan()?;
        Ok((store, scanned))
    }

    /// Lists the chunk files. Anything that cannot be read (a folder without permission, an
    /// entry that vanished) is skipped with a warning: one bad entry must not stop start-up.
    /// Entries that are not ours are removed.
    fn scan(&self) -> io::Result<Vec<ScannedTrack>> {
        let mut out = Vec::new();
        for track_dir in entries(&self.tracks)? {
            let name = track_dir.file_name();
            let hash = match name
                .to_str()
                .and_then(|s| (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok())?)
            {
                Some(h) if is_dir(&track_dir) => h,
                _ => {
                    remove_any(&track_dir.path());
                    continue;
                }
            };
            let mut track = ScannedTrack {
                hash,
                newest: SystemTime::UNIX_EPOCH,
                chunks: Vec::new(),
                streams: Vec::new(),
            };
            let Ok(variant_dirs) = entries(&track_dir.path()) else {
                continue;
            };
            for variant_dir in variant_dirs {
                if variant_dir.file_name() == STREAMS_DIR && is_dir(&variant_dir) {
                    self.scan_streams(&variant_dir.path(), &mut track);
                    continue;
                }
                let variant = variant_dir
                    .file_name()
                    .to_str()
                    .and_then(|s| s.parse::<Variant>().ok());
                let variant = match variant {
                    Some(v) if is_dir(&variant_dir) => v,
                    _ => {
                        remove_any(&variant_dir.path());
                        continue;
                    }
                };
                let Ok(files) = entries(&variant_dir.path()) else {
                    continue;
                };
                for file in files {
                    let path = file.path();
                    let chunk = path
                        .extension()
                        .filter(|e| *e == EXT)
                        .and_then(|_| path.file_stem()?.to_str()?.parse::<u64>().ok());
                    let meta = match file.metadata() {
                        Ok(m) => m,
                        Err(e) => {
                            tracing::warn!(path = %path.display(), error = %e, "skipping an unreadable cache entry");
                            continue;
                        }
                    };
                    match chunk {
                        Some(c) if meta.is_file() => {
                            if let Ok(m) = meta.modified() {
                                track.newest = track.newest.max(m);
                            }
                            track.chunks.push((variant, c, meta.len()));
                        }
                        _ => remove_any(&path),
                    }
                }
            }
            out.push(track);
        }
        Ok(out)
    }

    fn scan_streams(&self, dir: &Path, track: &mut ScannedTrack) {
        let Ok(files) = entries(dir) else {
            return;
        };
        for file in files {
            let path = file.path();
            let name = path
                .extension()
                .filter(|e| *e == STREAM_EXT)
                .and_then(|_| path.file_stem()?.to_str())
                .filter(|n| valid_stream_name(n))
                .map(str::to_string);
            match (name, file.metadata()) {
                (Some(name), Ok(meta)) if meta.is_file() => {
                    if let Ok(m) = meta.modified() {
                        track.newest = track.newest.max(m);
                    }
                    track.streams.push((name, meta.len()));
                }
                (_, Err(e)) => {
                    tracing::warn!(path = %path.display(), error = %e, "skipping an unreadable cache entry");
                }
                _ => remove_any(&path),
            }
        }
    }

    /// Where a track's encoded stream `name` lives (whether or not it exists).
    pub fn stream_path(&self, hash: u64, name: &str) -> PathBuf {
        self.track_dir(hash)
            .join(STREAMS_DIR)
            .join(format!("{name}.{STREAM_EXT}"))
    }

    /// A fresh temporary file path (under `tmp/`, emptied at start-up).
    pub fn temp_path(&self) -> PathBuf {
        self.tmp.join(format!(
            "{}-{}.tmp",
            std::process::id(),
            self.seq.fetch_add(1, Ordering::Relaxed)
        ))
    }

    pub fn track_dir(&self, hash: u64) -> PathBuf {
        self.tracks.join(format!("{hash:016x}"))
    }

    pub fn chunk_path(&self, hash: u64, variant: Variant, chunk: u64) -> PathBuf {
        self.track_dir(hash)
            .join(variant.name())
            .join(format!("{chunk}.{EXT}"))
    }

    /// Writes a chunk file atomically (temp file + rename); returns its size in bytes.
    pub fn write(
        &self,
        hash: u64,
        variant: Variant,
        chunk: u64,
        key_text: &str,
        payload: &[u8],
    ) -> io::Result<u64> {
        let data = encode(key_text, payload);
        let path = self.chunk_path(hash, variant, chunk);
        let tmp = self.temp_path();
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&data)?;
            drop(f);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| data.len() as u64)
    }

    /// Reads and validates a chunk file.
    pub fn read(
        &self,
        hash: u64,
        variant: Variant,
        chunk: u64,
        key_text: &str,
    ) -> Result<Bytes, ReadError> {
        let data = fs::read(self.chunk_path(hash, variant, chunk)).map_err(ReadError::Io)?;
        decode(data, key_text)
    }

    pub fn remove_chunk(&self, hash: u64, variant: Variant, chunk: u64) {
        let _ = fs::remove_file(self.chunk_path(hash, variant, chunk));
    }

    /// Moves a track's directory to the trash (one rename, cheap under the lock); delete the
    /// returned path later with [`DiskStore::delete`].
    pub fn trash_track(&self, hash: u64) -> Option<PathBuf> {
        self.to_trash(&self.track_dir(hash))
    }

    /// Moves every track to the trash.
    pub fn trash_all(&self) -> Option<PathBuf> {
        let moved = self.to_trash(&self.tracks);
        let _ = fs::create_dir_all(&self.tracks);
        moved
    }

    fn to_trash(&self, dir: &Path) -> Option<PathBuf> {
        let dest = self.trash.join(format!(
            "{}-{}",
            std::process::id(),
            self.seq.fetch_add(1, Ordering::Relaxed)
        ));
        fs::rename(dir, &dest).ok().map(|()| dest)
    }

    pub fn delete(path: &Path) {
        remove_any(path);
    }
}

/// The readable entries of a folder; unreadable ones are logged and skipped. Fails only when
/// the folder itself cannot be listed.
fn entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let list = fs::read_dir(dir).inspect_err(|e| {
        tracing::warn!(path = %dir.display(), error = %e, "skipping an unreadable cache folder");
    })?;
    Ok(list
        .filter_map(|e| {
            e.inspect_err(|e| {
                tracing::warn!(path = %dir.display(), error = %e, "skipping an unreadable cache entry");
            })
            .ok()
        })
        .collect())
}

fn is_dir(entry: &fs::DirEntry) -> bool {
    entry.file_type().is_ok_and(|t| t.is_dir())
}

fn remove_any(path: &Path) {
    if path.is_dir() {
        let _ = fs::remove_dir_all(path);
    } else {
        let _ = fs::remove_file(path);
    }
}

/// One track in tier 2.
pub(crate) struct TrackEntry {
    pub hash: u64,
    /// The last track id seen for this key (None if only found on disk).
    pub track: Option<TrackId>,
    /// Variant → chunk → file size in bytes.
    pub chunks: HashMap<Variant, BTreeMap<u64, u64>>,
    /// Encoded stream name → file size in bytes.
    pub streams: HashMap<String, u64>,
    pub bytes: u64,
    pub last_used: u64,
    /// When caching work for it started in this process (for "seconds to full").
    pub started: Instant,
    /// The presets it was reported fully cached for, and how long that took.
    pub full: HashMap<Variant, Option<f64>>,
}

impl TrackEntry {
    pub fn count(&self, variant: Variant) -> u64 {
        self.chunks.get(&variant).map_or(0, |m| m.len() as u64)
    }
}

/// The tier-2 index: tracks in LRU order (by `last_used` tick) with exact byte totals.
#[derive(Default)]
pub(crate) struct Index {
    tracks: HashMap<u64, TrackEntry>,
    bytes: u64,
    chunks: u64,
    tick: u64,
}

impl Index {
    pub fn from_scan(scanned: Vec<ScannedTrack>) -> Index {
        let mut index = Index::default();
        let mut scanned = scanned;
        scanned.sort_by_key(|t| t.newest);
        for t in scanned {
            index.entry(t.hash);
            for (v, c, size) in t.chunks {
                index.insert(t.hash, None, c, v, size);
            }
            for (name, size) in t.streams {
                index.insert_stream(t.hash, None, name, size);
            }
        }
        index
    }

    pub fn get(&self, hash: u64) -> Option<&TrackEntry> {
        self.tracks.get(&hash)
    }

    pub fn get_mut(&mut self, hash: u64) -> Option<&mut TrackEntry> {
        self.tracks.get_mut(&hash)
    }

    pub fn entry(&mut self, hash: u64) -> &mut TrackEntry {
        self.tick += 1;
        let tick = self.tick;
        self.tracks.entry(hash).or_insert_with(|| TrackEntry {
            hash,
            track: None,
            chunks: HashMap::new(),
            streams: HashMap::new(),
            bytes: 0,
            last_used: tick,
            started: Instant::now(),
            full: HashMap::new(),
        })
    }

    /// Marks a track most recently used.
    pub fn touch(&mut self, hash: u64) {
        self.tick += 1;
        let tick = self.tick;
        if let Some(e) = self.tracks.get_mut(&hash) {
            e.last_used = tick;
        }
    }

    pub fn contains(&self, hash: u64, chunk: u64, variant: Variant) -> bool {
        self.tracks
            .get(&hash)
            .and_then(|e| e.chunks.get(&variant))
            .is_some_and(|m| m.contains_key(&chunk))
    }

    pub fn insert(
        &mut self,
        hash: u64,
        track: Option<TrackId>,
        chunk: u64,
        variant: Variant,
        size: u64,
    ) {
        let entry = self.entry(hash);
        if track.is_some() {
            entry.track = track;
        }
        let old = entry.chunks.entry(variant).or_default().insert(chunk, size);
        entry.bytes = entry.bytes - old.unwrap_or(0) + size;
        self.bytes = self.bytes - old.unwrap_or(0) + size;
        if old.is_none() {
            self.chunks += 1;
        }
    }

    /// Records an encoded stream file (replacing one of the same name).
    pub fn insert_stream(&mut self, hash: u64, track: Option<TrackId>, name: String, size: u64) {
        let entry = self.entry(hash);
        if track.is_some() {
            entry.track = track;
        }
        let old = entry.streams.insert(name, size).unwrap_or(0);
        entry.bytes = entry.bytes - old + size;
        self.bytes = self.bytes - old + size;
    }

    /// The size of a track's encoded stream `name`, if recorded.
    pub fn stream_size(&self, hash: u64, name: &str) -> Option<u64> {
        self.tracks.get(&hash)?.streams.get(name).copied()
    }

    pub fn remove_stream(&mut self, hash: u64, name: &str) -> bool {
        let Some(entry) = self.tracks.get_mut(&hash) else {
            return false;
        };
        let Some(size) = entry.streams.remove(name) else {
            return false;
        };
        entry.bytes -= size;
        self.bytes -= size;
        true
    }

    pub fn remove_chunk(&mut self, hash: u64, chunk: u64, variant: Variant) -> bool {
        let Some(entry) = self.tracks.get_mut(&hash) else {
            return false;
        };
        let Some(size) = entry
            .chunks
            .get_mut(&variant)
            .and_then(|m| m.remove(&chunk))
        else {
            return false;
        };
        entry.bytes -= size;
        entry.full.clear();
        self.bytes -= size;
        self.chunks -= 1;
        true
    }

    pub fn remove_track(&mut self, hash: u64) -> Option<TrackEntry> {
        let entry = self.tracks.remove(&hash)?;
        self.bytes -= entry.bytes;
        self.chunks -= entry.chunks.values().map(|m| m.len() as u64).sum::<u64>();
        Some(entry)
    }

    /// Removes least recently used tracks until at most `max_tracks` tracks remain besides the
    /// `pinned` ones (every listener's current and next track, which are never removed) and
    /// the bytes fit `budget`. Returns the removed tracks, oldest first. When the pinned tracks
    /// alone exceed the budget, everything else goes and the pinned ones stay: playback must
    /// not thrash (the manager logs it).
    pub fn evict(&mut self, pinned: &[u64], max_tracks: usize, budget: u64) -> Vec<TrackEntry> {
        let mut evicted = Vec::new();
        loop {
            let held = self.tracks.keys().filter(|h| pinned.contains(h)).count();
            let counted = self.tracks.len() - held;
            if counted <= max_tracks && self.bytes <= budget {
                break;
            }
            let victim = self
                .tracks
                .values()
                .filter(|e| !pinned.contains(&e.hash))
                .min_by_key(|e| e.last_used)
                .map(|e| e.hash);
            match victim.and_then(|h| self.remove_track(h)) {
                Some(e) => evicted.push(e),
                None => break,
            }
        }
        evicted
    }

    /// Bytes of the given tracks.
    pub fn bytes_of(&self, hashes: &[u64]) -> u64 {
        hashes
            .iter()
            .filter_map(|h| self.tracks.get(h))
            .map(|e| e.bytes)
            .sum()
    }

    pub fn clear(&mut self) -> Vec<TrackEntry> {
        self.bytes = 0;
        self.chunks = 0;
        self.tracks.drain().map(|(_, e)| e).collect()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    pub fn len(&self) -> usize {
        self.tracks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip_and_every_damage_is_caught() {
        let data = encode("k=1", b"payload bytes");
        assert_eq!(&decode(data.clone(), "k=1").unwrap()[..], b"payload bytes");
        assert!(matches!(
            decode(data.clone(), "k=2"),
            Err(ReadError::Damaged(_))
        ));
        for cut in 0..data.len() {
            assert!(
                decode(data[..cut].to_vec(), "k=1").is_err(),
                "truncated at {cut}"
            );
        }
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] ^= 0x01;
            assert!(decode(d, "k=1").is_err(), "flip at {i}");
        }
        let mut longer = data.clone();
        longer.push(0);
        assert!(decode(longer, "k=1").is_err());
    }

    #[test]
    fn index_bytes_are_exact_and_eviction_skips_protected() {
        let mut ix = Index::default();
        ix.insert(1, None, 0, Variant::Original, 100);
        ix.insert(2, None, 0, Variant::Original, 200);
        ix.insert(3, None, 0, Variant::Original, 300);
        ix.insert(3, None, 0, Variant::Original, 310); // replace
        assert_eq!((ix.bytes(), ix.chunks()), (610, 3));
        // Budget 520: must drop 100 bytes at least; 1 is pinned, so 2 goes.
        let ev = ix.evict(&[1], 10, 520);
        assert_eq!(ev.iter().map(|e| e.hash).collect::<Vec<_>>(), vec![2]);
        assert_eq!(ix.bytes(), 410);
        // Track count: pinned tracks are not counted.
        ix.insert(4, None, 0, Variant::Original, 1);
        assert!(ix.evict(&[4], 2, u64::MAX).is_empty());
        let ev = ix.evict(&[], 2, u64::MAX);
        assert_eq!(ev[0].hash, 1);
        // Pinned tracks over the budget stay; everything else goes.
        ix.insert(5, None, 0, Variant::Original, 1000);
        let ev = ix.evict(&[5, 3], 10, 500);
        assert_eq!(ev.iter().map(|e| e.hash).collect::<Vec<_>>(), vec![4]);
        assert_eq!(ix.bytes_of(&[3, 5]), 1310);
    }
}
