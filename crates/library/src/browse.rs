//! The ways apps browse a library besides the page's: albums in many orders and pages, genres,
//! random tracks, searches of artists and albums, folders, and a track by artist and title.
//! The Subsonic API needs them; they are plain queries, shared by every transport.
//!
//! Not for: anything per user (see `people`), or wire shapes.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::{
    album_from_row, artist_from_row, track_from_row, Album, Artist, Library, Track, ALBUM_COLUMNS,
    TRACK_COLUMNS, TRACK_ORDER,
};

/// Orders of album lists.
#[derive(Clone, Debug, PartialEq)]
pub enum AlbumOrder {
    /// Most recently added first (by the album's oldest file's modification time).
    Newest,
    /// By title.
    ByName,
    /// By album artist, then year, then title.
    ByArtist,
    /// By year within `from..=to` (a descending range lists newest first).
    ByYear {
        from: i32,
        to: i32,
    },
    /// Albums with a track of this genre, by title.
    ByGenre(String),
    Random,
}

/// A genre and how much of the library carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genre {
    pub name: String,
    pub song_count: u64,
    pub album_count: u64,
}

fn limit_offset(limit: usize, offset: usize) -> (i64, i64) {
    (
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
}

/// `%term%` for LIKE, with LIKE's own characters escaped (`\` is the escape).
fn like(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A search as the track search does it: every word of `query` must appear (in any order) in
/// one of `columns`, ignoring ASCII case. Gives the WHERE clause (empty for an empty query) and
/// its values, one `%word%` per word.
fn words_filter(query: &str, columns: &[&str]) -> (String, Vec<Value>) {
    let words: Vec<&str> = query.split_whitespace().collect();
    if words.is_empty() {
        return (String::new(), Vec::new());
    }
    let one_word = columns
        .iter()
        .map(|c| format!("{c} LIKE ? ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let clause = vec![format!("({one_word})"); words.len()].join(" AND ");
    let values = words
        .iter()
        .flat_map(|w| std::iter::repeat_n(Value::Text(like(w)), columns.len()))
        .collect();
    (format!("WHERE {clause}"), values)
}

impl Library {
    /// A page of albums in `order`.
    pub fn albums_page(
        &self,
        order: &AlbumOrder,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Album>> {
        let (limit, offset) = limit_offset(limit, offset);
        let mut values: Vec<Value> = Vec::new();
        let (filter, order_by) = match order {
            // Added = its oldest file's modification time (the `created_at` albums report); ids
            // follow the scan's key order, not time.
            AlbumOrder::Newest => (
                "",
                "(SELECT MIN(mtime_ns) FROM tracks WHERE album_id = al.id) DESC, al.id DESC"
                    .to_string(),
            ),
            AlbumOrder::ByName => ("", "al.title COLLATE NOCASE, al.id".to_string()),
            AlbumOrder::ByArtist => (
                "",
                "al.artist IS NULL, al.artist COLLATE NOCASE, COALESCE(al.year, 0), al.title COLLATE NOCASE, al.id"
                    .to_string(),
            ),
            AlbumOrder::ByYear { from, to } => {
                values.push(Value::Integer((*from).min(*to) as i64));
                values.push(Value::Integer((*from).max(*to) as i64));
                let dir = if from > to { "DESC" } else { "ASC" };
                (
                    "WHERE al.year BETWEEN ? AND ?",
                    format!("al.year {dir}, al.title COLLATE NOCASE, al.id"),
                )
            }
            AlbumOrder::ByGenre(genre) => {
                values.push(Value::Text(genre.clone()));
                (
                    "WHERE al.id IN (SELECT album_id FROM tracks WHERE genre = ? COLLATE NOCASE)",
                    "al.title COLLATE NOCASE, al.id".to_string(),
                )
            }
            AlbumOrder::Random => ("", "random()".to_string()),
        };
        values.push(Value::Integer(limit));
        values.push(Value::Integer(offset));
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ALBUM_COLUMNS} FROM albums al {filter} ORDER BY {order_by} LIMIT ? OFFSET ?"
            ))?;
            let albums = stmt
                .query_map(params_from_iter(values), album_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(albums)
        })
    }

    pub fn artist(&self, id: i64) -> Result<Option<Artist>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id, name, track_count, album_count FROM artists WHERE id = ?1",
                )?
                .query_row([id], artist_from_row)
                .optional()?)
        })
    }

    /// Every genre with its counts, by name.
    pub fn genres(&self) -> Result<Vec<Genre>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT genre, COUNT(*), COUNT(DISTINCT album_id) FROM tracks
                 WHERE genre IS NOT NULL AND genre != ''
                 GROUP BY genre COLLATE NOCASE ORDER BY genre COLLATE NOCASE",
            )?;
            let genres = stmt
                .query_map([], |r| {
                    Ok(Genre {
                        name: r.get(0)?,
                        song_count: r.get::<_, i64>(1)? as u64,
                        album_count: r.get::<_, i64>(2)? as u64,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(genres)
        })
    }

    pub fn tracks_by_genre(&self, genre: &str, limit: usize, offset: usize) -> Result<Vec<Track>> {
        let (limit, offset) = limit_offset(limit, offset);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.genre = ?1 COLLATE NOCASE
                 ORDER BY {TRACK_ORDER} LIMIT ?2 OFFSET ?3"
            ))?;
            let tracks = stmt
                .query_map(params![genre, limit, offset], track_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(tracks)
        })
    }

    /// `limit` random tracks, optionally of a genre and within years.
    pub fn random_tracks(
        &self,
        limit: usize,
        genre: Option<&str>,
        from_year: Option<i32>,
        to_year: Option<i32>,
    ) -> Result<Vec<Track>> {
        let mut filters = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if let Some(g) = genre {
            filters.push("t.genre = ? COLLATE NOCASE");
            values.push(Value::Text(g.to_string()));
        }
        if let Some(y) = from_year {
            filters.push("t.year >= ?");
            values.push(Value::Integer(y as i64));
        }
        if let Some(y) = to_year {
            filters.push("t.year <= ?");
            values.push(Value::Integer(y as i64));
        }
        let filter = if filters.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", filters.join(" AND "))
        };
        values.push(Value::Integer(limit_offset(limit, 0).0));
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TRACK_COLUMNS} FROM tracks t {filter} ORDER BY random() LIMIT ?"
            ))?;
            let tracks = stmt
                .query_map(params_from_iter(values), track_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(tracks)
        })
    }

    /// Artists whose name contains every word of `query` (every artist for an empty query), by
    /// name.
    pub fn search_artists(&self, query: &str, limit: usize, offset: usize) -> Result<Vec<Artist>> {
        let (limit, offset) = limit_offset(limit, offset);
        let (filter, mut values) = words_filter(query, &["name"]);
        values.extend([Value::Integer(limit), Value::Integer(offset)]);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT id, name, track_count, album_count FROM artists {filter}
                 ORDER BY name COLLATE NOCASE, id LIMIT ? OFFSET ?"
            ))?;
            let artists = stmt
                .query_map(params_from_iter(values), artist_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(artists)
        })
    }

    /// Albums whose title and artist hold every word of `query` between them (every album for
    /// an empty query), by title.
    pub fn search_albums(&self, query: &str, limit: usize, offset: usize) -> Result<Vec<Album>> {
        let (limit, offset) = limit_offset(limit, offset);
        let (filter, mut values) = words_filter(query, &["al.title", "COALESCE(al.artist, '')"]);
        values.extend([Value::Integer(limit), Value::Integer(offset)]);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ALBUM_COLUMNS} FROM albums al {filter}
                 ORDER BY al.title COLLATE NOCASE, al.id LIMIT ? OFFSET ?"
            ))?;
            let albums = stmt
                .query_map(params_from_iter(values), album_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(albums)
        })
    }

    /// Every folder that holds tracks, relative to the music folder (`/`-separated, `""` for
    /// the music folder itself).
    pub fn track_folders(&self) -> Result<Vec<String>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT DISTINCT dir FROM tracks")?;
            let dirs = stmt
                .query_map([], |r| r.get::<_, Vec<u8>>(0))?
                .map(|d| d.map(|b| String::from_utf8_lossy(&b).replace('\\', "/")))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(dirs)
        })
    }

    /// The tracks directly in folder `dir` (relative, as [`Library::track_folders`] gives it).
    pub fn tracks_in_folder(&self, dir: &str) -> Result<Vec<Track>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.dir = ?1 ORDER BY {TRACK_ORDER}"
            ))?;
            let tracks = stmt
                .query_map([dir.as_bytes()], track_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(tracks)
        })
    }

    /// A track by artist and title (case-insensitive), for lyric look-ups by name.
    pub fn track_by_name(&self, artist: &str, title: &str) -> Result<Option<Track>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {TRACK_COLUMNS} FROM tracks t
                     WHERE t.title = ?2 COLLATE NOCASE
                        AND (?1 = '' OR t.artist = ?1 COLLATE NOCASE
                             OR t.album_artist = ?1 COLLATE NOCASE)
                     ORDER BY t.id LIMIT 1"
                ))?
                .query_row(params![artist, title], track_from_row)
                .optional()?)
        })
    }
}
