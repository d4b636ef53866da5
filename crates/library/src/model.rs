//! The library's domain types: what the server maps to its DTOs.

use serde::{Deserialize, Serialize};

pub use auralis_core::FileSignature;

/// ReplayGain values read from the tags (gain in dB, peak as linear amplitude).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayGain {
    pub track_gain_db: Option<f64>,
    pub track_peak: Option<f64>,
    pub album_gain_db: Option<f64>,
    pub album_peak: Option<f64>,
}

/// Where a track's artwork lives. Images are never copied into the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum ArtworkSource {
    /// A picture embedded in the track file (front cover preferred).
    Embedded,
    /// An image file in the track's folder, relative to the music folder.
    Folder(String),
}

/// One audio file of the library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Stable across rescans while the file stays at the same relative path.
    pub id: i64,
    /// Path relative to the music folder, `/`-separated (lossy UTF-8 for display).
    pub path: String,
    /// Container as detected from the content: flac, mp3, mp4, ogg, opus, wav, aiff, aac, ...
    pub format: String,
    /// Title tag, or the file stem when the file has none.
    pub title: String,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub album_id: Option<i64>,
    pub artist_id: Option<i64>,
    pub track_number: Option<u32>,
    pub disc_number: Option<u32>,
    pub year: Option<i32>,
    pub genre: Option<String>,
    pub duration_seconds: f64,
    pub sample_rate: Option<u32>,
    pub channels: Option<u8>,
    pub bit_depth: Option<u8>,
    pub replay_gain: ReplayGain,
    pub artwork: Option<ArtworkSource>,
    pub signature: FileSignature,
}

/// An album: tracks grouped by album artist + album title, or, without an album artist tag,
/// by folder + album title (so compilations stay whole and same-named albums of different
/// artists stay apart).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Album {
    pub id: i64,
    pub title: String,
    /// Album artist tag; else the artist common to all tracks; else "Various Artists".
    pub artist: Option<String>,
    pub artist_id: Option<i64>,
    /// Earliest year among the tracks.
    pub year: Option<i32>,
    pub track_count: u32,
    pub duration_seconds: f64,
    /// A track whose artwork stands for the album (pass it to `Library::artwork`).
    pub artwork_track_id: Option<i64>,
    /// The modification time of its oldest file, Unix seconds (the nearest thing to "added").
    pub created_at: Option<i64>,
}

/// An album with its tracks ordered by disc number, track number, path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlbumDetail {
    #[serde(flatten)]
    pub album: Album,
    pub tracks: Vec<Track>,
}

/// A track artist or an album artist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artist {
    pub id: i64,
    pub name: String,
    pub track_count: u32,
    /// Albums the artist is the album artist of, or has tracks on.
    pub album_count: u32,
}

/// A file with a supported extension that could not be indexed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableFile {
    /// Relative to the music folder.
    pub path: String,
    pub reason: String,
}

/// What a scan did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// New tracks.
    pub added: u64,
    /// Tracks whose file changed (re-read in place, same id) or whose folder artwork changed.
    pub updated: u64,
    /// Tracks whose file disappeared (or became unreadable).
    pub removed: u64,
    /// Tracks skipped because size and mtime were unchanged (no tag parsing).
    pub unchanged: u64,
    /// Files listed as unreadable after this scan.
    pub unreadable: u64,
    pub seconds: f64,
}
