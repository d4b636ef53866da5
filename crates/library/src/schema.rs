//! Database schema: connection settings and the ordered list of migrations.
//!
//! `PRAGMA user_version` holds the number of migrations applied. `open` runs the missing ones
//! in order, each in its own transaction together with the version bump, so a crash leaves the
//! database at a clean version. Never edit a released migration: append a new one.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{LibraryError, Result};

/// Migration `i` brings the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: the core catalogue.
    "
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE artists (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        track_count INTEGER NOT NULL DEFAULT 0,
        album_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE albums (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        artist TEXT,
        artist_id INTEGER REFERENCES artists(id) ON DELETE SET NULL,
        year INTEGER,
        track_count INTEGER NOT NULL,
        duration REAL NOT NULL,
        artwork_track_id INTEGER
    );
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path BLOB NOT NULL UNIQUE,
        dir BLOB NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash INTEGER NOT NULL,
        format TEXT NOT NULL,
        title TEXT NOT NULL,
        artist TEXT,
        album TEXT,
        album_artist TEXT,
        track_number INTEGER,
        disc_number INTEGER,
        year INTEGER,
        genre TEXT,
        duration REAL NOT NULL,
        sample_rate INTEGER,
        channels INTEGER,
        bit_depth INTEGER,
        artwork_kind INTEGER NOT NULL,
        artwork_path BLOB,
        search TEXT NOT NULL,
        album_id INTEGER REFERENCES albums(id) ON DELETE SET NULL,
        artist_id INTEGER REFERENCES artists(id) ON DELETE SET NULL
    );
    CREATE INDEX tracks_album ON tracks(album_id, disc_number, track_number);
    CREATE INDEX tracks_artist ON tracks(artist_id);
    CREATE INDEX albums_artist ON albums(artist_id);
    ",
    // v2: ReplayGain, track profiles and the unreadable-files list. Rows scanned before v2 have
    // no ReplayGain values: their mtime is reset so the next scan re-reads them (in place, ids
    // kept).
    "
    ALTER TABLE tracks ADD COLUMN rg_track_gain REAL;
    ALTER TABLE tracks ADD COLUMN rg_track_peak REAL;
    ALTER TABLE tracks ADD COLUMN rg_album_gain REAL;
    ALTER TABLE tracks ADD COLUMN rg_album_peak REAL;
    UPDATE tracks SET mtime_ns = -1;
    CREATE TABLE profiles (
        track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE unreadable (
        path BLOB PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        reason TEXT NOT NULL
    );
    ",
    // v3: accounts (see the `accounts` module). Passwords only as argon2id PHC strings plus
    // an encrypted copy for Subsonic token auth; sessions and API keys only as SHA-256 of their
    // token. `name_key` is the name in lowercase: names are unique case-insensitively. Ids are
    // AUTOINCREMENT so a deleted user's id is never given to someone else.
    "
    CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
        created_at INTEGER NOT NULL,
        subsonic_password BLOB
    );
    CREATE TABLE sessions (
        token_hash BLOB PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_user ON sessions(user_id);
    CREATE INDEX sessions_last_seen ON sessions(last_seen);
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        key_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used INTEGER
    );
    CREATE INDEX api_keys_user ON api_keys(user_id);
    CREATE TABLE user_settings (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (user_id, key)
    ) WITHOUT ROWID;
    ",
    // v4: each user's music: playlists, favourites, plays, the saved queue, ratings; and the
    // waveform the analysis computes per file version.
    "
    CREATE TABLE playlists (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        public INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX playlists_user ON playlists(user_id);
    CREATE TABLE playlist_tracks (
        playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        PRIMARY KEY (playlist_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX playlist_tracks_track ON playlist_tracks(track_id);
    CREATE TABLE favorite_tracks (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE favorite_albums (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE favorite_artists (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX favorite_tracks_item ON favorite_tracks(item_id);
    CREATE INDEX favorite_albums_item ON favorite_albums(item_id);
    CREATE INDEX favorite_artists_item ON favorite_artists(item_id);
    CREATE TABLE plays (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        played_at INTEGER NOT NULL
    );
    CREATE INDEX plays_user_time ON plays(user_id, played_at);
    CREATE INDEX plays_user_track ON plays(user_id, track_id);
    CREATE INDEX plays_track ON plays(track_id);
    CREATE TABLE play_queues (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        track_ids TEXT NOT NULL,
        current_index INTEGER NOT NULL,
        position_s REAL NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE ratings (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        rating INTEGER NOT NULL,
        PRIMARY KEY (user_id, track_id)
    ) WITHOUT ROWID;
    CREATE INDEX ratings_track ON ratings(track_id);
    CREATE TABLE waveforms (
        track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash INTEGER NOT NULL,
        peaks BLOB NOT NULL
    );
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Per-connection settings (WAL is persistent, the rest is not).
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8000;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Applies the migrations from the database's version up to `target`.
pub(crate) fn migrate_to(conn: &mut Connection, path: &Path, target: u32) -> Result<()> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(LibraryError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for version in found..target.min(SCHEMA_VERSION) {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(())
}
