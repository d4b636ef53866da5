//! Music library: scan, tags, artwork, SQLite.
//!
//! [`Library`] owns one SQLite database (WAL mode, versioned schema, see [`schema`]). A scan
//! ([`Library::scan`]) indexes a music folder incrementally; the query methods serve the
//! server's browsing API. Everything is blocking: the server calls it from `spawn_blocking`.
//! `Library` is `Send + Sync`: writes go through one connection behind a mutex, reads through a
//! small pool of read connections, so browsing stays responsive while a scan writes.
//!
//! Accounts (users, sessions, API keys, the encrypted Subsonic password copy) live in the same
//! database: see [`accounts`].
//!
//! Not here: audio decoding and analysis. The library only stores the analysis profile the
//! server computes ([`Library::set_profile`]). Nor HTTP: cookies, throttling and role checks
//! belong to the server, which calls the account methods here.

pub mod accounts;
mod artwork;
pub mod bench;
pub mod browse;
mod error;
pub mod lyrics;
mod model;
pub mod people;
mod scan;
pub mod schema;
mod tags;

use std::fs;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use accounts::{ApiKey, PasswordPolicy, SecretBox, User};
pub use error::{LibraryError, Result};
pub use model::{
    Album, AlbumDetail, Artist, ArtworkSource, FileSignature, ReplayGain, ScanReport, Track,
    UnreadableFile,
};
pub use scan::{is_audio_file, ScanPhase, ScanProgress, ScanProgressSnapshot, AUDIO_EXTENSIONS};
pub use schema::SCHEMA_VERSION;

use scan::{bytes_path, ARTWORK_EMBEDDED, ARTWORK_FOLDER};

/// Idle read connections kept open.
const READ_POOL: usize = 4;

/// The music library database.
pub struct Library {
    db_path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    scan_lock: Mutex<()>,
    accounts: accounts::AccountsState,
}

/// Numbers for a status page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LibraryCounts {
    pub tracks: u64,
    pub albums: u64,
    pub artists: u64,
    pub unreadable: u64,
}

const TRACK_COLUMNS: &str = "t.id, t.path, t.format, t.title, t.artist, t.album, t.album_artist,
    t.album_id, t.artist_id, t.track_number, t.disc_number, t.year, t.genre, t.duration,
    t.sample_rate, t.channels, t.bit_depth, t.rg_track_gain, t.rg_track_peak, t.rg_album_gain,
    t.rg_album_peak, t.artwork_kind, t.artwork_path, t.size, t.mtime_ns, t.content_hash";

const TRACK_ORDER: &str = "COALESCE(t.album_artist, t.artist, '') COLLATE NOCASE,
    t.album COLLATE NOCASE, COALESCE(t.disc_number, 0), COALESCE(t.track_number, 0), t.path";

const ALBUM_COLUMNS: &str =
    "al.id, al.title, al.artist, al.artist_id, al.year, al.track_count, al.duration, al.artwork_track_id,
    (SELECT MIN(mtime_ns) FROM tracks WHERE album_id = al.id)";

fn track_from_row(row: &Row) -> rusqlite::Result<Track> {
    let artwork_kind: i64 = row.get(21)?;
    let artwork_path: Option<Vec<u8>> = row.get(22)?;
    let artwork = match artwork_kind {
        ARTWORK_EMBEDDED => Some(ArtworkSource::Embedded),
        ARTWORK_FOLDER => {
            artwork_path.map(|p| ArtworkSource::Folder(String::from_utf8_lossy(&p).into_owned()))
        }
        _ => None,
    };
    Ok(Track {
        id: row.get(0)?,
        path: String::from_utf8_lossy(&row.get::<_, Vec<u8>>(1)?).into_owned(),
        format: row.get(2)?,
        title: row.get(3)?,
        artist: row.get(4)?,
        album: row.get(5)?,
        album_artist: row.get(6)?,
        album_id: row.get(7)?,
        artist_id: row.get(8)?,
        track_number: row.get(9)?,
        disc_number: row.get(10)?,
        year: row.get(11)?,
        genre: row.get(12)?,
        duration_seconds: row.get(13)?,
        sample_rate: row.get(14)?,
        channels: row.get(15)?,
        bit_depth: row.get(16)?,
        replay_gain: ReplayGain {
            track_gain_db: row.get(17)?,
            track_peak: row.get(18)?,
            album_gain_db: row.get(19)?,
            album_peak: row.get(20)?,
        },
        artwork,
        signature: FileSignature {
            size: row.get::<_, i64>(23)? as u64,
            mtime_ns: row.get(24)?,
            content_hash: row.get::<_, i64>(25)? as u64,
        },
    })
}

/// An artist from `id, name, track_count, album_count`.
fn artist_from_row(r: &Row) -> rusqlite::Result<Artist> {
    Ok(Artist {
        id: r.get(0)?,
        name: r.get(1)?,
        track_count: r.get(2)?,
        album_count: r.get(3)?,
    })
}

fn album_from_row(row: &Row) -> rusqlite::Result<Album> {
    Ok(Album {
        id: row.get(0)?,
        title: row.get(1)?,
        artist: row.get(2)?,
        artist_id: row.get(3)?,
        year: row.get(4)?,
        track_count: row.get(5)?,
        duration_seconds: row.get(6)?,
        artwork_track_id: row.get(7)?,
        created_at: row
            .get::<_, Option<i64>>(8)?
            .map(|ns| ns.div_euclid(1_000_000_000)),
    })
}

impl Library {
    /// Opens (or creates) the database at `db_path`, creating its folder, and migrates it to
    /// [`SCHEMA_VERSION`].
    pub fn open(db_path: impl AsRef<Path>) -> Result<Library> {
        Self::open_at_version(db_path.as_ref(), SCHEMA_VERSION)
    }

    fn open_at_version(db_path: &Path, version: u32) -> Result<Library> {
        if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| LibraryError::io(parent, e))?;
        }
        let mut writer = Self::connect(db_path)?;
        schema::migrate_to(&mut writer, db_path, version).map_err(|e| e.in_db(db_path))?;
        Ok(Library {
            db_path: db_path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            scan_lock: Mutex::new(()),
            accounts: accounts::AccountsState::default(),
        })
    }

    /// A damaged file fails here (SQLite reads the header on the first statement), as
    /// [`LibraryError::NotADatabase`].
    fn connect(db_path: &Path) -> Result<Connection> {
        let open_error = |source| {
            LibraryError::Open {
                path: db_path.to_path_buf(),
                source,
            }
            .in_db(db_path)
        };
        let conn = Connection::open(db_path).map_err(open_error)?;
        schema::configure(&conn).map_err(open_error)?;
        Ok(conn)
    }

    /// Runs `f` on a pooled read connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => Self::connect(&self.db_path)?,
        };
        let result = f(&conn).map_err(|e| e.in_db(&self.db_path));
        let mut readers = self.readers.lock();
        if readers.len() < READ_POOL {
            readers.push(conn);
        }
        result
    }

    /// Runs `f` on the write connection.
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.writer.lock()).map_err(|e| e.in_db(&self.db_path))
    }

    /// Runs `f` in an immediate transaction on the write connection: the database's write lock
    /// is taken at `BEGIN`, so a check-then-insert in `f` is atomic across processes too. An
    /// error rolls back.
    fn write_tx<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock();
        let run = |conn: &mut Connection| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run(&mut conn).map_err(|e: LibraryError| e.in_db(&self.db_path))
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The schema version of the open database (== [`SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<u32> {
        schema::user_version(&self.writer.lock())
            .map_err(|e| LibraryError::Db(e).in_db(&self.db_path))
    }

    // -- scanning -------------------------------------------------------------------------

    /// Indexes `music_dir` incrementally (see the `scan` module docs). Only one scan runs at a
    /// time: a second concurrent call fails with [`LibraryError::ScanInProgress`]. Files that
    /// cannot be read are listed in [`Library::unreadable`]; the scan goes on.
    pub fn scan(&self, music_dir: &Path, progress: &ScanProgress) -> Result<ScanReport> {
        scan::scan(self, music_dir, progress).map_err(|e| e.in_db(&self.db_path))
    }

    /// The (canonical) music folder of the last scan.
    pub fn music_dir(&self) -> Result<Option<PathBuf>> {
        self.read(|conn| {
            let dir: Option<Vec<u8>> = conn
                .query_row("SELECT value FROM meta WHERE key = 'music_dir'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(dir.map(|d| bytes_path(&d)))
        })
    }

    // -- tracks ---------------------------------------------------------------------------

    /// Tracks matching `query` (every whitespace-separated word must occur, case-insensitively,
    /// in the title, artist, album or album artist), ordered by album artist, album, disc,
    /// track; a page of at most `limit` from `offset`, and the total number of matches.
    pub fn tracks(
        &self,
        query: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Track>, u64)> {
        let terms: Vec<String> = query
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let filter = if terms.is_empty() {
            String::new()
        } else {
            let conditions = vec!["instr(t.search, ?) > 0"; terms.len()].join(" AND ");
            format!("WHERE {conditions}")
        };
        let mut values: Vec<Value> = terms.into_iter().map(Value::Text).collect();
        let n_terms = values.len();
        values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        values.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        self.read(|conn| {
            let total: i64 = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM tracks t {filter}"))?
                .query_row(params_from_iter(&values[..n_terms]), |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TRACK_COLUMNS} FROM tracks t {filter} ORDER BY {TRACK_ORDER}
                 LIMIT ? OFFSET ?"
            ))?;
            let tracks = stmt
                .query_map(params_from_iter(&values), track_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((tracks, total as u64))
        })
    }

    pub fn track(&self, id: i64) -> Result<Option<Track>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.id = ?1"
                ))?
                .query_row([id], track_from_row)
                .optional()?)
        })
    }

    /// The absolute path of a track's file. It comes only from the database, and is checked
    /// (after resolving links) to lie inside the music folder.
    pub fn track_path(&self, id: i64) -> Result<PathBuf> {
        let (rel, root) = self.read(|conn| {
            let rel: Option<Vec<u8>> = conn
                .prepare_cached("SELECT path FROM tracks WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?;
            let root: Option<Vec<u8>> = conn
                .query_row("SELECT value FROM meta WHERE key = 'music_dir'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok((rel, root))
        })?;
        let rel = rel.ok_or(LibraryError::TrackNotFound(id))?;
        let root = root.ok_or(LibraryError::NoMusicDir)?;
        resolve_inside(&bytes_path(&root), &bytes_path(&rel))
    }

    // -- albums and artists ---------------------------------------------------------------

    /// All albums, ordered by artist (albums without one last), year, title.
    pub fn albums(&self) -> Result<Vec<Album>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ALBUM_COLUMNS} FROM albums al
                 ORDER BY al.artist IS NULL, al.artist COLLATE NOCASE, COALESCE(al.year, 0),
                    al.title COLLATE NOCASE, al.id"
            ))?;
            let albums = stmt
                .query_map([], album_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(albums)
        })
    }

    /// One album with its tracks ordered by disc number, track number, path.
    pub fn album(&self, id: i64) -> Result<Option<AlbumDetail>> {
        self.read(|conn| {
            let Some(album) = conn
                .prepare_cached(&format!(
                    "SELECT {ALBUM_COLUMNS} FROM albums al WHERE al.id = ?1"
                ))?
                .query_row([id], album_from_row)
                .optional()?
            else {
                return Ok(None);
            };
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.album_id = ?1
                 ORDER BY COALESCE(t.disc_number, 0), COALESCE(t.track_number, 0), t.path"
            ))?;
            let tracks = stmt
                .query_map([id], track_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(AlbumDetail { album, tracks }))
        })
    }

    /// All artists (track artists and album artists), ordered by name.
    pub fn artists(&self) -> Result<Vec<Artist>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, name, track_count, album_count FROM artists
                 ORDER BY name COLLATE NOCASE, id",
            )?;
            let artists = stmt
                .query_map([], artist_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(artists)
        })
    }

    /// Albums of an artist (as album artist, or with tracks on them), by year and title.
    pub fn artist_albums(&self, artist_id: i64) -> Result<Vec<Album>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ALBUM_COLUMNS} FROM albums al
                 WHERE al.artist_id = ?1
                    OR al.id IN (SELECT album_id FROM tracks WHERE artist_id = ?1)
                 ORDER BY COALESCE(al.year, 0), al.title COLLATE NOCASE, al.id"
            ))?;
            let albums = stmt
                .query_map([artist_id], album_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(albums)
        })
    }

    /// Albums whose album artist is the artist (ID3 browsing: the artist's own albums, as its
    /// `album_count` counts them), by year and title.
    pub fn albums_of_album_artist(&self, artist_id: i64) -> Result<Vec<Album>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ALBUM_COLUMNS} FROM albums al WHERE al.artist_id = ?1
                 ORDER BY COALESCE(al.year, 0), al.title COLLATE NOCASE, al.id"
            ))?;
            let albums = stmt
                .query_map([artist_id], album_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(albums)
        })
    }

    pub fn counts(&self) -> Result<LibraryCounts> {
        self.read(|conn| {
            let count = |table: &str| -> rusqlite::Result<u64> {
                conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| n as u64)
            };
            Ok(LibraryCounts {
                tracks: count("tracks")?,
                albums: count("albums")?,
                artists: count("artists")?,
                unreadable: count("unreadable")?,
            })
        })
    }

    // -- artwork --------------------------------------------------------------------------

    /// The artwork bytes and MIME type of a track: its embedded picture (front cover
    /// preferred) or its folder image, read now from where it lives. `None` when the track has
    /// none (or the image is gone since the scan).
    pub fn artwork(&self, track_id: i64) -> Result<Option<(Vec<u8>, String)>> {
        let found = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT t.path, t.artwork_kind, t.artwork_path, m.value
                     FROM tracks t LEFT JOIN meta m ON m.key = 'music_dir' WHERE t.id = ?1",
                )?
                .query_row([track_id], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<Vec<u8>>>(2)?,
                        r.get::<_, Option<Vec<u8>>>(3)?,
                    ))
                })
                .optional()?)
        })?;
        let (rel, kind, image, root) = found.ok_or(LibraryError::TrackNotFound(track_id))?;
        let root = bytes_path(&root.ok_or(LibraryError::NoMusicDir)?);
        match (kind, image) {
            (ARTWORK_EMBEDDED, _) => {
                let path = resolve_inside(&root, &bytes_path(&rel))?;
                artwork::embedded_picture(&path)
            }
            (ARTWORK_FOLDER, Some(image)) => {
                let path = match resolve_inside(&root, &bytes_path(&image)) {
                    Err(LibraryError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        return Ok(None)
                    }
                    other => other?,
                };
                let bytes = fs::read(&path).map_err(|e| LibraryError::io(&path, e))?;
                let mime = artwork::sniff_mime(&bytes, Some(&path));
                Ok(Some((bytes, mime)))
            }
            _ => Ok(None),
        }
    }

    // -- profiles -------------------------------------------------------------------------

    /// Stores a track's analysis profile (JSON), keyed by the track's current file signature.
    pub fn set_profile_json(&self, track_id: i64, json: &str) -> Result<()> {
        self.write(|conn| Self::store_profile(conn, track_id, json))
    }

    fn store_profile(conn: &Connection, track_id: i64, json: &str) -> Result<()> {
        let stored = conn
            .prepare_cached(
                "INSERT INTO profiles (track_id, size, mtime_ns, content_hash, data)
                 SELECT id, size, mtime_ns, content_hash, ?2 FROM tracks WHERE id = ?1
                 ON CONFLICT (track_id) DO UPDATE SET size = excluded.size,
                    mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash,
                    data = excluded.data",
            )?
            .execute(params![track_id, json])?;
        if stored == 0 {
            return Err(LibraryError::TrackNotFound(track_id));
        }
        Ok(())
    }

    /// The stored profile JSON, if it was computed from the file as it is now.
    pub fn profile_json(&self, track_id: i64) -> Result<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT p.data FROM profiles p JOIN tracks t ON t.id = p.track_id
                     WHERE p.track_id = ?1 AND p.size = t.size AND p.mtime_ns = t.mtime_ns
                        AND p.content_hash = t.content_hash",
                )?
                .query_row([track_id], |r| r.get(0))
                .optional()?)
        })
    }

    /// [`Library::set_profile_json`] for any serialisable profile.
    pub fn set_profile<P: Serialize>(&self, track_id: i64, profile: &P) -> Result<()> {
        let json = serde_json::to_string(profile).map_err(|source| LibraryError::Json {
            id: track_id,
            source,
        })?;
        self.set_profile_json(track_id, &json)
    }

    /// The stored profile, if current. A profile that no longer deserialises (written by an
    /// older analysis format) counts as missing.
    pub fn profile<P: DeserializeOwned>(&self, track_id: i64) -> Result<Option<P>> {
        Ok(self
            .profile_json(track_id)?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Ids of the tracks the background analysis has work for, in id order: no current
    /// profile, a profile that is not the full analysis of format `profile_version` (a fast
    /// profile stored by playback, or one written by an older analysis, such as one made before
    /// the loudness calibrations existed), or no current waveform.
    ///
    /// The profile is opaque JSON to the library except for these two fields, `"kind"`
    /// (`"Full"` or `"Fast"`) and `"version"`, which every profile format has carried.
    pub fn tracks_to_analyse(&self, profile_version: u32) -> Result<Vec<i64>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT t.id FROM tracks t
                 LEFT JOIN profiles p ON p.track_id = t.id AND p.size = t.size
                    AND p.mtime_ns = t.mtime_ns AND p.content_hash = t.content_hash
                 LEFT JOIN waveforms w ON w.track_id = t.id AND w.size = t.size
                    AND w.mtime_ns = t.mtime_ns AND w.content_hash = t.content_hash
                 WHERE p.track_id IS NULL OR w.track_id IS NULL
                    OR json_valid(p.data) = 0
                    OR coalesce(json_extract(p.data, '$.kind'), '') <> 'Full'
                    OR coalesce(json_extract(p.data, '$.version'), 0) < ?1
                 ORDER BY t.id",
            )?;
            let ids = stmt
                .query_map([profile_version], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
    }

    /// Ids of the tracks with no current profile, in id order.
    pub fn tracks_without_profile(&self) -> Result<Vec<i64>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT t.id FROM tracks t LEFT JOIN profiles p ON p.track_id = t.id
                    AND p.size = t.size AND p.mtime_ns = t.mtime_ns
                    AND p.content_hash = t.content_hash
                 WHERE p.track_id IS NULL ORDER BY t.id",
            )?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
    }

    // -- settings -------------------------------------------------------------------------

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()?)
        })
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.write(|conn| {
            conn.prepare_cached("INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)")?
                .execute([key, value])?;
            Ok(())
        })
    }

    pub fn remove_setting(&self, key: &str) -> Result<()> {
        self.write(|conn| {
            conn.prepare_cached("DELETE FROM settings WHERE key = ?1")?
                .execute([key])?;
            Ok(())
        })
    }

    // -- unreadable files -----------------------------------------------------------------

    /// Files (and folders) the last scans could not read, with the reason, by path.
    pub fn unreadable(&self) -> Result<Vec<UnreadableFile>> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT path, reason FROM unreadable ORDER BY path")?;
            let files = stmt
                .query_map([], |r| {
                    Ok(UnreadableFile {
                        path: String::from_utf8_lossy(&r.get::<_, Vec<u8>>(0)?).into_owned(),
                        reason: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(files)
        })
    }
}

/// `root/rel` with links resolved, if it stays inside `root`.
fn resolve_inside(root: &Path, rel: &Path) -> Result<PathBuf> {
    let joined = root.join(rel);
    let resolved = fs::canonicalize(&joined).map_err(|e| LibraryError::io(&joined, e))?;
    if resolved.starts_with(root) {
        Ok(resolved)
    } else {
        Err(LibraryError::OutsideLibrary(joined))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn library_is_send_and_sync() {
        assert_send_sync::<Library>();
        assert_send_sync::<ScanProgress>();
    }

    #[test]
    fn opening_a_v1_database_migrates_it_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data").join("library.db");
        {
            let old = Library::open_at_version(&db, 1).unwrap();
            assert_eq!(old.schema_version().unwrap(), 1);
            old.set_setting("enhancement", "on").unwrap();
            old.writer
                .lock()
                .execute(
                    "INSERT INTO tracks (path, dir, size, mtime_ns, content_hash, format, title,
                        duration, artwork_kind, search)
                     VALUES (x'612f622e666c6163', x'61', 10, 1234, 99, 'flac', 'B', 1.5, 0, 'b')",
                    [],
                )
                .unwrap();
            // v1 has no profiles table.
            assert!(old.set_profile_json(1, "{}").is_err());
        }
        let lib = Library::open(&db).unwrap();
        assert_eq!(lib.schema_version().unwrap(), SCHEMA_VERSION);
        const { assert!(SCHEMA_VERSION >= 2) };
        assert_eq!(lib.setting("enhancement").unwrap().as_deref(), Some("on"));
        let track = lib.track(1).unwrap().unwrap();
        assert_eq!(track.path, "a/b.flac");
        assert_eq!(track.replay_gain, ReplayGain::default());
        // Marked stale so the next scan re-reads it for the new columns.
        assert_eq!(track.signature.mtime_ns, -1);
        // v3 adds accounts, empty.
        assert_eq!(lib.user_count().unwrap(), 0);
        lib.set_profile_json(1, "{\"x\":1}").unwrap();
        assert_eq!(lib.profile_json(1).unwrap().as_deref(), Some("{\"x\":1}"));
        drop(lib);
        // Reopening an up-to-date database changes nothing.
        let again = Library::open(&db).unwrap();
        assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(again.profile_json(1).unwrap().as_deref(), Some("{\"x\":1}"));
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("library.db");
        drop(Library::open(&db).unwrap());
        {
            let conn = Connection::open(&db).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        match Library::open(&db) {
            Err(LibraryError::SchemaTooNew { found, .. }) => assert_eq!(found, SCHEMA_VERSION + 1),
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("a newer schema was accepted"),
        }
    }
}
