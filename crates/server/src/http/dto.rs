//! Wire types of the HTTP API (docs/API.md). They are kept apart from the domain types of the
//! library and the cache so that the API stays stable while those change; conversions live in
//! `http::convert`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub tracks: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Track {
    pub id: i64,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub album_id: Option<i64>,
    pub artist_id: Option<i64>,
    pub track_number: Option<u32>,
    pub disc_number: Option<u32>,
    pub year: Option<i32>,
    pub genre: Option<String>,
    pub duration_s: Option<f64>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    pub bit_depth: Option<u32>,
    pub has_artwork: bool,
    pub replaygain_track_gain: Option<f64>,
    pub replaygain_album_gain: Option<f64>,
    /// The caller's favourite?
    pub favorite: bool,
    /// The caller's plays.
    pub play_count: u64,
    /// The caller's last play, Unix seconds.
    pub last_played: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TracksQuery {
    /// Search words, matched against title, artist and album.
    pub q: Option<String>,
    /// Page size, default 100, at most 1000.
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrackPage {
    pub items: Vec<Track>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Album {
    pub id: i64,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub year: Option<i32>,
    pub track_count: u64,
    pub duration_s: f64,
    pub has_artwork: bool,
    pub cover_track_id: Option<i64>,
    /// The caller's favourite?
    pub favorite: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlbumList {
    pub items: Vec<Album>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlbumWithTracks {
    #[serde(flatten)]
    pub album: Album,
    pub tracks: Vec<Track>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Artist {
    pub id: i64,
    pub name: String,
    pub album_count: u64,
    pub track_count: u64,
    /// The caller's favourite?
    pub favorite: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArtistList {
    pub items: Vec<Artist>,
}

/// A file in the music folder that could not be read, and why.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadableFile {
    /// Relative to the music folder.
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadableList {
    pub items: Vec<UnreadableFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ScanReport {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub unreadable: u64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ScanStatus {
    pub running: bool,
    /// `idle`, `scanning` or `analysing`.
    pub phase: String,
    pub seen: u64,
    pub processed: u64,
    pub total: Option<u64>,
    pub last_report: Option<ScanReport>,
    /// Why the last scan failed (e.g. the music folder is missing); null after a good scan.
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StreamMetadata {
    pub track_id: i64,
    pub duration_s: f64,
    pub sample_rate: u32,
    pub channels: u32,
    pub chunk_samples: u64,
    pub chunk_seconds: f64,
    pub total_samples: u64,
    pub total_chunks: u64,
    pub presets: Vec<String>,
    pub bit_depth: u32,
    /// The gain (dB) that makes the original as loud as the processed variant of `preset` in
    /// the `loudness` mode asked for (the caller's preset and track mode by default).
    pub level_match_db: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetadataQuery {
    /// The preset `level_match_db` refers to; defaults to the current enhancement preset.
    pub preset: Option<String>,
    /// `track` (default) or `album`: the loudness mode `level_match_db` refers to.
    pub loudness: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChunkQuery {
    /// `original` or `processed` (default `processed` when enhancement is on, else `original`).
    pub variant: Option<String>,
    /// A preset for the processed variant; defaults to the current enhancement preset.
    pub preset: Option<String>,
    /// The listener (player tab) asking, as in `/api/player/position`; default `default`.
    pub listener: Option<String>,
    /// `track` (default) or `album`: the processed variant's loudness mode. Never taken from
    /// the user's setting, so a URL always names the same bytes.
    pub loudness: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Position {
    pub track_id: i64,
    pub position_s: f64,
    pub next_track_id: Option<i64>,
    /// The listener (one player tab or app) reporting, chosen by the client (1-64 printable
    /// ASCII characters); without one, the user's `default` listener.
    pub listener: Option<String>,
    /// `track` or `album`: the loudness mode the listener plays (what the cache prefetches);
    /// without it, the user's setting.
    pub loudness: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Enhancement {
    pub enabled: bool,
    pub preset: String,
    pub intensity: f32,
    /// `track` or `album`.
    pub loudness: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoudnessRequest {
    /// `track` or `album`.
    pub mode: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ToggleRequest {
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PresetRequest {
    pub preset: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IntensityRequest {
    pub intensity: f32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TierStats {
    pub hits: u64,
    pub misses: u64,
    pub chunks: u64,
    pub bytes: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CacheStats {
    /// Tier 1 (memory): hits, misses (requests it could not answer), chunks, bytes.
    pub tier1: TierStats,
    /// Tier 2 (disk): hits, misses (requests rendered while the listener waited), chunks, bytes.
    pub tier2: TierStats,
    /// Chunk requests served.
    pub requests: u64,
    /// (tier 1 hits + tier 2 hits) / requests.
    pub hit_rate: f64,
    /// Requests that had to render (missed both tiers).
    pub misses: u64,
    /// Tracks with chunks in tier 2.
    pub tracks: u64,
    /// Tier 2 byte budget.
    pub budget_bytes: u64,
    /// Tier 2 track budget.
    pub max_tracks: u64,
    /// Chunks rendered by the worker (every variant counts).
    pub rendered: u64,
    pub render_errors: u64,
    pub queued_tasks: u64,
    pub running_tasks: u64,
    /// Listeners active now (each pins its track and keeps its next chunk in memory).
    pub listeners: u64,
    /// Listeners forgotten after being idle, or to make room for a new one.
    pub expired_listeners: u64,
    /// Chunk requests refused with 503 because too many were waiting.
    pub refused_requests: u64,
    /// Queued requests dropped because their client went away.
    pub dropped_requests: u64,
    /// Bytes of the tracks tier 2 must keep (every listener's current and next track).
    pub pinned_bytes: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// At most this many tasks, default 100, at most 1000.
    pub limit: Option<u32>,
}

/// The worker's work in the order it would run now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CacheQueue {
    pub items: Vec<QueuedTask>,
}

/// One task of the worker: requests waiting for a render (P0), then the background plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueuedTask {
    pub track_id: i64,
    pub chunk: u64,
    /// `P0` (someone is waiting), `P1` (a listener's current and next chunk), `P2` (the start
    /// of a listener's next track) or `P3` (the rest of a listener's track).
    pub priority: String,
    /// The variants it produces: `original`, a preset, `<preset>.album`.
    pub variants: Vec<String>,
    /// Requests waiting on it whose clients are still connected (P0 only).
    pub waiters: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrackCacheStatus {
    pub track_id: i64,
    pub total_chunks: u64,
    /// Chunks cached per variant: `original` and each preset name.
    pub cached: std::collections::BTreeMap<String, u64>,
    /// The preset `percent` refers to (the current one).
    pub preset: String,
    /// The loudness mode `percent` refers to (the current one): `track` or `album`.
    pub loudness: String,
    /// Chunks of the original and the current preset in tier 2, over twice the chunk count.
    pub percent: f64,
    pub fully_cached: bool,
    pub seconds_to_full: Option<f64>,
    /// Chunks of this track in tier 1 (memory).
    pub tier1_chunks: u64,
    /// Some listener plays it (or plays it next): pinned in tier 2.
    pub pinned: bool,
    /// Listeners playing it now.
    pub listeners: u64,
}

/// Payload of the `chunk_cached` event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChunkCachedEvent {
    pub track_id: i64,
    pub chunk: u64,
    pub variant: String,
    pub tier: String,
}

/// Payload of the `track_progress` event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackProgressEvent {
    pub track_id: i64,
    /// The preset the completion refers to (with the original).
    pub preset: String,
    /// `track` or `album`: which processed variant of the preset.
    pub loudness: String,
    pub percent: f64,
    pub cached_chunks: u64,
    pub total_chunks: u64,
}

/// Payload of the `track_cached` and `evicted` events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackIdEvent {
    pub track_id: i64,
}

/// Payload of the `track_cached` event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackCachedEvent {
    pub track_id: i64,
    pub preset: String,
    /// `track` or `album`.
    pub loudness: String,
}

/// A user account (never its password).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub admin: bool,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthStatus {
    /// True until the first (admin) account exists: the page shows the first-run form.
    pub setup_required: bool,
    /// The signed-in user, if any.
    pub user: Option<User>,
}

/// A user name and password (setup, sign-in).
#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignedIn {
    pub user: User,
}

/// An API key as listed to its owner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    /// Unix seconds, to the minute; null until first used.
    pub last_used: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewApiKeyRequest {
    pub name: String,
}

/// A new API key: `key` is shown this once and stored hashed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewApiKey {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub key: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub items: Vec<User>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewUserRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub admin: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    /// Required when users change their own password (admins setting another's omit it).
    pub old_password: Option<String>,
    pub new_password: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlbumsQuery {
    /// `name` (default), `recent` (by the caller's last play) or `frequent` (by play count).
    pub sort: Option<String>,
}

/// A playlist as listed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Playlist {
    pub id: i64,
    pub name: String,
    pub comment: String,
    pub public: bool,
    /// The owner's user name.
    pub owner: String,
    pub owner_id: i64,
    /// The caller owns it (may change it).
    pub mine: bool,
    pub track_count: u64,
    pub duration_s: f64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlaylistList {
    pub items: Vec<Playlist>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlaylistWithTracks {
    #[serde(flatten)]
    pub playlist: Playlist,
    pub tracks: Vec<Track>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewPlaylist {
    pub name: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub track_ids: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct PlaylistChange {
    pub name: Option<String>,
    pub comment: Option<String>,
    pub public: Option<bool>,
    /// Replaces the whole order (a track may appear more than once).
    pub track_ids: Option<Vec<i64>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The new playlist's name.
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportedPlaylist {
    pub playlist: PlaylistWithTracks,
    /// Lines of the M3U that matched no track of the library.
    pub unmatched: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FavoriteList {
    pub tracks: Vec<Track>,
    pub albums: Vec<Album>,
    pub artists: Vec<Artist>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size, default 50, at most 500.
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Play {
    pub track: Track,
    /// Unix seconds.
    pub played_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct History {
    pub items: Vec<Play>,
    pub total: u64,
}

/// The saved play queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Queue {
    pub track_ids: Vec<i64>,
    pub current_index: u64,
    pub position_s: f64,
    /// Unix seconds of the last save; null when never saved (ignored when saving).
    #[serde(default)]
    pub updated_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LyricLine {
    /// Seconds from the start; null for unsynced lyrics.
    pub start_s: Option<f64>,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Lyrics {
    pub synced: bool,
    /// `lrc` (a file beside the track) or `tag`.
    pub source: String,
    pub lines: Vec<LyricLine>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaveformQuery {
    /// Slices, 16 to 4000 (default 1000).
    pub points: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Waveform {
    pub points: usize,
    /// The original's peak level per slice, 0..1.
    pub peaks: Vec<f32>,
}
