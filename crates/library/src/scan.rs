//! The scanner: walks the music folder, skips unchanged files (same size and mtime), reads the
//! new and changed ones in parallel, writes them in one transaction per batch, then regroups
//! albums and artists. Not for serving queries (see `lib.rs`).
//!
//! Security: the walk never leaves the music folder. Symbolic links are followed only when
//! their canonical target lies inside it (with a guard against directory loops); hidden entries
//! (names starting with '.') are skipped.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::artwork::cover_rank;
use crate::error::{LibraryError, Result};
use crate::model::ScanReport;
use crate::tags::{mtime_ns, read_track, TrackMeta};
use crate::Library;

/// Extensions (lower case) of the files the scan indexes; matched case-insensitively.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "flac", "mp3", "m4a", "mp4", "aac", "alac", "ogg", "oga", "opus", "wav", "aiff", "aif",
];

/// Files read and written per transaction.
const BATCH: usize = 512;

pub(crate) const ARTWORK_NONE: i64 = 0;
pub(crate) const ARTWORK_EMBEDDED: i64 = 1;
pub(crate) const ARTWORK_FOLDER: i64 = 2;

/// Where a scan is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanPhase {
    Idle,
    /// Listing the music folder; `total` is not known yet.
    Walking,
    /// Reading new and changed files and writing them.
    Reading,
    /// Rebuilding albums and artists.
    Grouping,
    Done,
    Failed,
}

impl ScanPhase {
    fn from_u8(value: u8) -> ScanPhase {
        match value {
            1 => ScanPhase::Walking,
            2 => ScanPhase::Reading,
            3 => ScanPhase::Grouping,
            4 => ScanPhase::Done,
            5 => ScanPhase::Failed,
            _ => ScanPhase::Idle,
        }
    }
}

/// Live progress of a scan, updated with atomics: share it (e.g. in an `Arc`) and poll
/// [`ScanProgress::snapshot`] from another thread while `Library::scan` runs.
#[derive(Debug, Default)]
pub struct ScanProgress {
    phase: AtomicU8,
    files_seen: AtomicU64,
    processed: AtomicU64,
    /// `u64::MAX` while unknown.
    total: AtomicU64,
}

/// A consistent-enough copy of [`ScanProgress`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanProgressSnapshot {
    pub phase: ScanPhase,
    /// Audio files found so far by the walk.
    pub files_seen: u64,
    /// Files handled (skipped as unchanged, or read).
    pub processed: u64,
    /// Audio files in the folder, known once the walk is over.
    pub total: Option<u64>,
}

impl ScanProgress {
    pub fn new() -> Arc<ScanProgress> {
        Arc::new(ScanProgress::default())
    }

    pub fn snapshot(&self) -> ScanProgressSnapshot {
        let total = self.total.load(Ordering::Relaxed);
        ScanProgressSnapshot {
            phase: ScanPhase::from_u8(self.phase.load(Ordering::Relaxed)),
            files_seen: self.files_seen.load(Ordering::Relaxed),
            processed: self.processed.load(Ordering::Relaxed),
            total: (total != u64::MAX).then_some(total),
        }
    }

    pub fn phase(&self) -> ScanPhase {
        ScanPhase::from_u8(self.phase.load(Ordering::Relaxed))
    }

    fn reset(&self) {
        self.files_seen.store(0, Ordering::Relaxed);
        self.processed.store(0, Ordering::Relaxed);
        self.total.store(u64::MAX, Ordering::Relaxed);
        self.set_phase(ScanPhase::Walking);
    }

    fn set_phase(&self, phase: ScanPhase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }
}

/// Is `name` a file the scan indexes?
pub fn is_audio_file(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && AUDIO_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext))
    })
}

// ---------------------------------------------------------------------------------------------
// Paths are stored as bytes relative to the music folder (exact on Unix, whatever the name's
// encoding), with '/' as separator.

#[cfg(unix)]
pub(crate) fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
pub(crate) fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().replace('\\', "/").into_bytes()
}

#[cfg(unix)]
pub(crate) fn bytes_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
pub(crate) fn bytes_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

// ---------------------------------------------------------------------------------------------
// Walk

struct FoundFile {
    rel: Vec<u8>,
    dir: Vec<u8>,
    size: u64,
    mtime_ns: i64,
}

#[derive(Default)]
struct Walk {
    files: Vec<FoundFile>,
    /// Folder (relative) → best cover image in it (relative).
    covers: HashMap<Vec<u8>, Vec<u8>>,
    /// Entries that could not be listed or stat'ed, with the reason.
    errors: Vec<(Vec<u8>, String)>,
}

struct Dir {
    abs: PathBuf,
    rel: PathBuf,
    /// Canonical folders from the root down to this one: a link to any of them is a loop.
    chain: Vec<PathBuf>,
}

fn walk(root: &Path, progress: &ScanProgress) -> Walk {
    let mut out = Walk::default();
    let mut stack = vec![Dir {
        abs: root.to_path_buf(),
        rel: PathBuf::new(),
        chain: vec![root.to_path_buf()],
    }];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir.abs) {
            Ok(entries) => entries,
            Err(e) => {
                out.errors
                    .push((path_bytes(&dir.rel), format!("cannot list folder: {e}")));
                continue;
            }
        };
        let mut best_cover: Option<(usize, Vec<u8>)> = None;
        for entry in entries {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            if name.as_encoded_bytes().first() == Some(&b'.') {
                continue;
            }
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let rel = dir.rel.join(&name);
            let mut metadata = None;
            if file_type.is_symlink() {
                // Resolve fully; anything pointing outside the music folder is ignored
                // without touching the target's content.
                let Ok(target) = fs::canonicalize(entry.path()) else {
                    continue;
                };
                if !target.starts_with(root) {
                    continue;
                }
                let Ok(meta) = fs::metadata(&target) else {
                    continue;
                };
                if meta.is_dir() {
                    if !dir.chain.iter().any(|a| a == &target) {
                        let mut chain = dir.chain.clone();
                        chain.push(target.clone());
                        stack.push(Dir {
                            abs: target,
                            rel,
                            chain,
                        });
                    }
                    continue;
                }
                if !meta.is_file() {
                    continue;
                }
                metadata = Some(meta);
            } else if file_type.is_dir() {
                let abs = entry.path();
                let mut chain = dir.chain.clone();
                chain.push(abs.clone());
                stack.push(Dir { abs, rel, chain });
                continue;
            } else if !file_type.is_file() {
                continue;
            }

            let name = name.to_string_lossy();
            if is_audio_file(&name) {
                let meta = match metadata {
                    Some(meta) => meta,
                    None => match entry.metadata() {
                        Ok(meta) => meta,
                        Err(e) => {
                            out.errors
                                .push((path_bytes(&rel), format!("cannot stat: {e}")));
                            continue;
                        }
                    },
                };
                out.files.push(FoundFile {
                    rel: path_bytes(&rel),
                    dir: path_bytes(&dir.rel),
                    size: meta.len(),
                    mtime_ns: mtime_ns(&meta),
                });
                progress.files_seen.fetch_add(1, Ordering::Relaxed);
            } else if let Some(rank) = cover_rank(&name) {
                if best_cover.as_ref().is_none_or(|(best, _)| rank < *best) {
                    best_cover = Some((rank, path_bytes(&rel)));
                }
            }
        }
        if let Some((_, cover)) = best_cover {
            out.covers.insert(path_bytes(&dir.rel), cover);
        }
    }
    out.files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    out
}

// ---------------------------------------------------------------------------------------------
// Scan

struct Existing {
    id: i64,
    size: u64,
    mtime_ns: i64,
    artwork_kind: i64,
    artwork_path: Option<Vec<u8>>,
}

pub(crate) fn scan(lib: &Library, music_dir: &Path, progress: &ScanProgress) -> Result<ScanReport> {
    let Some(_scan_guard) = lib.scan_lock.try_lock() else {
        return Err(LibraryError::ScanInProgress);
    };
    progress.reset();
    let result = scan_locked(lib, music_dir, progress);
    progress.set_phase(if result.is_ok() {
        ScanPhase::Done
    } else {
        ScanPhase::Failed
    });
    result
}

fn scan_locked(lib: &Library, music_dir: &Path, progress: &ScanProgress) -> Result<ScanReport> {
    let started = Instant::now();
    // A missing music folder is an error, never "every track was removed".
    let root = fs::canonicalize(music_dir).map_err(|e| LibraryError::io(music_dir, e))?;
    if !root.is_dir() {
        return Err(LibraryError::NotADirectory(music_dir.to_path_buf()));
    }

    let walked = walk(&root, progress);
    progress
        .total
        .store(walked.files.len() as u64, Ordering::Relaxed);
    progress.set_phase(ScanPhase::Reading);

    let (mut existing, unreadable_before) = lib.read(|conn| {
        let mut stmt = conn
            .prepare("SELECT path, id, size, mtime_ns, artwork_kind, artwork_path FROM tracks")?;
        let tracks = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    Existing {
                        id: row.get(1)?,
                        size: row.get::<_, i64>(2)? as u64,
                        mtime_ns: row.get(3)?,
                        artwork_kind: row.get(4)?,
                        artwork_path: row.get(5)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        let mut stmt = conn.prepare("SELECT path, size, mtime_ns FROM unreadable")?;
        let unreadable = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    (row.get::<_, i64>(1)? as u64, row.get::<_, i64>(2)?),
                ))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok((tracks, unreadable))
    })?;

    let mut report = ScanReport::default();
    let mut to_read: Vec<(&FoundFile, Option<i64>)> = Vec::new();
    let mut artwork_updates: Vec<(i64, i64, Option<&Vec<u8>>)> = Vec::new();
    for file in &walked.files {
        if let Some(old) = existing.remove(&file.rel) {
            if old.size == file.size && old.mtime_ns == file.mtime_ns {
                report.unchanged += 1;
                progress.processed.fetch_add(1, Ordering::Relaxed);
                // The audio file is the same, but a cover image may have come or gone.
                if old.artwork_kind != ARTWORK_EMBEDDED {
                    let cover = walked.covers.get(&file.dir);
                    let kind = if cover.is_some() {
                        ARTWORK_FOLDER
                    } else {
                        ARTWORK_NONE
                    };
                    if kind != old.artwork_kind || cover != old.artwork_path.as_ref() {
                        artwork_updates.push((old.id, kind, cover));
                    }
                }
            } else {
                to_read.push((file, Some(old.id)));
            }
        } else if unreadable_before.get(&file.rel) == Some(&(file.size, file.mtime_ns)) {
            // Still unreadable and unchanged: not retried.
            progress.processed.fetch_add(1, Ordering::Relaxed);
        } else {
            to_read.push((file, None));
        }
    }
    let removed: Vec<i64> = existing.values().map(|e| e.id).collect();

    for batch in to_read.chunks(BATCH) {
        let results: Vec<Result<TrackMeta, String>> = batch
            .par_iter()
            .map(|(file, _)| {
                // Resolved again at read time: a folder swapped for a link to the outside
                // since the walk is not followed.
                let result = crate::resolve_inside(&root, &bytes_path(&file.rel))
                    .map_err(|e| format!("cannot open: {e}"))
                    .and_then(|path| read_guarded(&path));
                progress.processed.fetch_add(1, Ordering::Relaxed);
                result
            })
            .collect();
        let mut conn = lib.writer.lock();
        let tx = conn.transaction()?;
        for ((file, id), result) in batch.iter().zip(results) {
            match result {
                Ok(meta) => {
                    let artwork = if meta.embedded_picture {
                        (ARTWORK_EMBEDDED, None)
                    } else if let Some(cover) = walked.covers.get(&file.dir) {
                        (ARTWORK_FOLDER, Some(cover))
                    } else {
                        (ARTWORK_NONE, None)
                    };
                    write_track(&tx, file, *id, &meta, artwork)?;
                    if id.is_some() {
                        report.updated += 1;
                    } else {
                        report.added += 1;
                    }
                    tx.prepare_cached("DELETE FROM unreadable WHERE path = ?1")?
                        .execute([&file.rel])?;
                }
                Err(reason) => {
                    if let Some(id) = id {
                        tx.prepare_cached("DELETE FROM tracks WHERE id = ?1")?
                            .execute([id])?;
                        report.removed += 1;
                    }
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO unreadable (path, size, mtime_ns, reason)
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![
                        file.rel,
                        file.size as i64,
                        file.mtime_ns,
                        reason
                    ])?;
                }
            }
        }
        tx.commit()?;
    }

    let mut conn = lib.writer.lock();
    let tx = conn.transaction()?;
    {
        let mut delete = tx.prepare_cached("DELETE FROM tracks WHERE id = ?1")?;
        for id in &removed {
            delete.execute([id])?;
        }
        report.removed += removed.len() as u64;

        let mut update = tx.prepare_cached(
            "UPDATE tracks SET artwork_kind = ?2, artwork_path = ?3 WHERE id = ?1",
        )?;
        for (id, kind, path) in &artwork_updates {
            update.execute(params![id, kind, path])?;
        }
        report.updated += artwork_updates.len() as u64;

        // Unreadable entries: keep the ones still there and unchanged, and the ones written
        // above; drop the rest (file gone, or readable now).
        let error_paths: HashSet<&[u8]> = walked.errors.iter().map(|(p, _)| &p[..]).collect();
        let present: HashSet<&[u8]> = walked.files.iter().map(|f| &f.rel[..]).collect();
        let mut delete = tx.prepare_cached("DELETE FROM unreadable WHERE path = ?1")?;
        for path in unreadable_before.keys() {
            if !present.contains(&path[..]) && !error_paths.contains(&path[..]) {
                delete.execute([path])?;
            }
        }
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO unreadable (path, size, mtime_ns, reason) VALUES (?1, 0, 0, ?2)",
        )?;
        for (path, reason) in &walked.errors {
            insert.execute(params![path, reason])?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('music_dir', ?1)",
            [path_bytes(&root)],
        )?;

        if report.added + report.updated + report.removed > 0 || !all_tracks_grouped(&tx)? {
            progress.set_phase(ScanPhase::Grouping);
            regroup(&tx)?;
        }
        report.unreadable = tx.query_row("SELECT COUNT(*) FROM unreadable", [], |row| {
            row.get::<_, i64>(0)
        })? as u64;
    }
    tx.commit()?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Reads one file; a panic inside the tag reader fails this file only.
fn read_guarded(path: &Path) -> Result<TrackMeta, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_track(path)))
        .unwrap_or_else(|_| Err("the tag reader crashed on this file".to_string()))
}

fn all_tracks_grouped(tx: &Transaction) -> Result<bool> {
    let ungrouped: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM tracks WHERE album_id IS NULL LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(ungrouped.is_none())
}

fn write_track(
    tx: &Transaction,
    file: &FoundFile,
    id: Option<i64>,
    meta: &TrackMeta,
    (artwork_kind, artwork_path): (i64, Option<&Vec<u8>>),
) -> Result<()> {
    let title = meta.title.clone().unwrap_or_else(|| {
        bytes_path(&file.rel)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let search = [
        Some(title.as_str()),
        meta.artist.as_deref(),
        meta.album.as_deref(),
        meta.album_artist.as_deref(),
    ]
    .iter()
    .flatten()
    .map(|s| s.to_lowercase())
    .collect::<Vec<_>>()
    .join("\n");
    let sig = meta.signature;
    let rg = meta.replay_gain;
    let values = params![
        file.rel,
        file.dir,
        sig.size as i64,
        sig.mtime_ns,
        sig.content_hash as i64,
        meta.format,
        title,
        meta.artist,
        meta.album,
        meta.album_artist,
        meta.track_number,
        meta.disc_number,
        meta.year,
        meta.genre,
        meta.duration_seconds,
        meta.sample_rate,
        meta.channels,
        meta.bit_depth,
        artwork_kind,
        artwork_path,
        search,
        rg.track_gain_db,
        rg.track_peak,
        rg.album_gain_db,
        rg.album_peak,
        id,
    ];
    match id {
        None => {
            tx.prepare_cached(
                "INSERT INTO tracks (path, dir, size, mtime_ns, content_hash, format, title,
                    artist, album, album_artist, track_number, disc_number, year, genre,
                    duration, sample_rate, channels, bit_depth, artwork_kind, artwork_path,
                    search, rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                    ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
            )?
            .execute(&values[..25])?;
        }
        Some(id) => {
            tx.prepare_cached(
                "UPDATE tracks SET path = ?1, dir = ?2, size = ?3, mtime_ns = ?4,
                    content_hash = ?5, format = ?6, title = ?7, artist = ?8, album = ?9,
                    album_artist = ?10, track_number = ?11, disc_number = ?12, year = ?13,
                    genre = ?14, duration = ?15, sample_rate = ?16, channels = ?17,
                    bit_depth = ?18, artwork_kind = ?19, artwork_path = ?20, search = ?21,
                    rg_track_gain = ?22, rg_track_peak = ?23, rg_album_gain = ?24,
                    rg_album_peak = ?25
                 WHERE id = ?26",
            )?
            .execute(values)?;
            // The analysis of the old content is stale.
            tx.prepare_cached("DELETE FROM profiles WHERE track_id = ?1")?
                .execute([id])?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Albums and artists

struct GroupRow {
    id: i64,
    dir: Vec<u8>,
    album: Option<String>,
    album_artist: Option<String>,
    artist: Option<String>,
    year: Option<i32>,
    duration: f64,
    has_artwork: bool,
}

struct AlbumGroup {
    title: String,
    /// (display name, is a real artist) — "Various Artists" is not.
    artist: Option<(String, bool)>,
    year: Option<i32>,
    rows: Vec<usize>,
    duration: f64,
    artwork_track_id: Option<i64>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Rebuilds albums and artists from the tracks. Deterministic: the same tracks give the same
/// groups; album and artist ids are kept by their keys across rescans.
fn regroup(tx: &Transaction) -> Result<()> {
    let rows: Vec<GroupRow> = {
        let mut stmt = tx.prepare(
            "SELECT id, dir, album, album_artist, artist, year, duration, artwork_kind
             FROM tracks
             ORDER BY COALESCE(disc_number, 0), COALESCE(track_number, 0), path",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok(GroupRow {
                    id: row.get(0)?,
                    dir: row.get(1)?,
                    album: row.get(2)?,
                    album_artist: row.get(3)?,
                    artist: row.get(4)?,
                    year: row.get(5)?,
                    duration: row.get(6)?,
                    has_artwork: row.get::<_, i64>(7)? != ARTWORK_NONE,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows
    };

    // Album key: album artist + title when both are tagged (merges CD1/CD2 folders), else
    // folder + title (keeps untagged compilations whole).
    let mut groups: BTreeMap<String, AlbumGroup> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let key = match (&row.album_artist, &row.album) {
            (Some(aa), Some(album)) => format!("a\u{1}{}\u{1}{}", norm(aa), norm(album)),
            _ => format!(
                "d\u{1}{}\u{1}{}",
                String::from_utf8_lossy(&row.dir),
                row.album.as_deref().map(norm).unwrap_or_default()
            ),
        };
        let group = groups.entry(key).or_insert_with(|| AlbumGroup {
            title: row.album.clone().unwrap_or_else(|| {
                bytes_path(&row.dir)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "Unknown Album".to_string())
            }),
            artist: None,
            year: None,
            rows: Vec::new(),
            duration: 0.0,
            artwork_track_id: None,
        });
        group.rows.push(i);
        group.duration += row.duration;
        group.year = match (group.year, row.year) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if group.artwork_track_id.is_none() && row.has_artwork {
            group.artwork_track_id = Some(row.id);
        }
    }
    for group in groups.values_mut() {
        let tagged = group
            .rows
            .iter()
            .find_map(|&i| rows[i].album_artist.clone());
        group.artist = match tagged {
            Some(name) => Some((name, true)),
            None => {
                let mut artists = group.rows.iter().filter_map(|&i| rows[i].artist.as_deref());
                match artists.next() {
                    None => None,
                    Some(first) if artists.all(|a| norm(a) == norm(first)) => {
                        Some((first.to_string(), true))
                    }
                    Some(_) => Some(("Various Artists".to_string(), false)),
                }
            }
        };
    }

    // Artists: every track artist and every (real) album artist.
    struct ArtistAcc {
        name: String,
        tracks: u32,
        albums: BTreeSet<usize>,
    }
    let mut artists: BTreeMap<String, ArtistAcc> = BTreeMap::new();
    let mut touch = |name: &str| -> String {
        let key = norm(name);
        artists.entry(key.clone()).or_insert_with(|| ArtistAcc {
            name: name.trim().to_string(),
            tracks: 0,
            albums: BTreeSet::new(),
        });
        key
    };
    let mut album_of_row = vec![0usize; rows.len()];
    let mut track_artist_keys: Vec<Option<String>> = vec![None; rows.len()];
    let mut album_artist_keys: Vec<Option<String>> = vec![None; groups.len()];
    for (g, group) in groups.values().enumerate() {
        if let Some((name, true)) = &group.artist {
            album_artist_keys[g] = Some(touch(name));
        }
        for &i in &group.rows {
            album_of_row[i] = g;
            if let Some(artist) = &rows[i].artist {
                track_artist_keys[i] = Some(touch(artist));
            }
        }
    }
    for (g, key) in album_artist_keys.iter().enumerate() {
        if let Some(acc) = key.as_ref().and_then(|k| artists.get_mut(k)) {
            acc.albums.insert(g);
        }
    }
    for (i, key) in track_artist_keys.iter().enumerate() {
        if let Some(acc) = key.as_ref().and_then(|k| artists.get_mut(k)) {
            acc.tracks += 1;
            acc.albums.insert(album_of_row[i]);
        }
    }

    let mut artist_ids: HashMap<&str, i64> = HashMap::new();
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO artists (key, name, track_count, album_count) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET name = excluded.name,
                track_count = excluded.track_count, album_count = excluded.album_count
             RETURNING id",
        )?;
        for (key, acc) in &artists {
            let id: i64 = upsert.query_row(
                params![key, acc.name, acc.tracks, acc.albums.len() as u32],
                |r| r.get(0),
            )?;
            artist_ids.insert(key, id);
        }
    }
    let mut album_ids: Vec<i64> = Vec::with_capacity(groups.len());
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO albums (key, title, artist, artist_id, year, track_count, duration,
                artwork_track_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (key) DO UPDATE SET title = excluded.title, artist = excluded.artist,
                artist_id = excluded.artist_id, year = excluded.year,
                track_count = excluded.track_count, duration = excluded.duration,
                artwork_track_id = excluded.artwork_track_id
             RETURNING id",
        )?;
        for (g, (key, group)) in groups.iter().enumerate() {
            let artist_id = album_artist_keys[g]
                .as_deref()
                .and_then(|k| artist_ids.get(k).copied());
            let id: i64 = upsert.query_row(
                params![
                    key,
                    group.title,
                    group.artist.as_ref().map(|(name, _)| name),
                    artist_id,
                    group.year,
                    group.rows.len() as u32,
                    group.duration,
                    group.artwork_track_id,
                ],
                |r| r.get(0),
            )?;
            album_ids.push(id);
        }
    }
    {
        let mut update = tx.prepare_cached(
            "UPDATE tracks SET album_id = ?1, artist_id = ?2
             WHERE id = ?3 AND (album_id IS NOT ?1 OR artist_id IS NOT ?2)",
        )?;
        for (i, row) in rows.iter().enumerate() {
            let artist_id = track_artist_keys[i]
                .as_deref()
                .and_then(|k| artist_ids.get(k).copied());
            update.execute(params![album_ids[album_of_row[i]], artist_id, row.id])?;
        }
    }
    // Albums and artists with no tracks left vanish.
    let keep_albums: HashSet<&str> = groups.keys().map(String::as_str).collect();
    let keep_artists: HashSet<&str> = artists.keys().map(String::as_str).collect();
    for (table, keep) in [("albums", &keep_albums), ("artists", &keep_artists)] {
        let stale: Vec<String> = tx
            .prepare(&format!("SELECT key FROM {table}"))?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|k| !keep.contains(k.as_str()))
            .collect();
        let mut delete = tx.prepare(&format!("DELETE FROM {table} WHERE key = ?1"))?;
        for key in stale {
            delete.execute([key])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_extensions_are_case_insensitive() {
        for name in [
            "a.flac", "b.MP3", "c.M4a", "d.mp4", "e.aac", "f.alac", "g.ogg", "h.OGA", "i.opus",
            "j.wav", "k.AIFF", "l.aif",
        ] {
            assert!(is_audio_file(name), "{name}");
        }
        for name in ["cover.jpg", "notes.txt", "flac", ".flac", "a.flac.part"] {
            assert!(!is_audio_file(name), "{name}");
        }
    }

    #[test]
    fn progress_snapshot_reports_total_only_when_known() {
        let progress = ScanProgress::default();
        progress.reset();
        assert_eq!(progress.snapshot().total, None);
        assert_eq!(progress.snapshot().phase, ScanPhase::Walking);
        progress.total.store(0, Ordering::Relaxed);
        progress.set_phase(ScanPhase::Reading);
        assert_eq!(progress.snapshot().total, Some(0));
    }
}
