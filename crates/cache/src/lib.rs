//! Two-tier chunk cache (memory, disk) and its priority worker, shared by every listener.
//!
//! * A listener is one playing client (a browser tab, an app) of one user, named by a
//!   [`ListenerKey`]. Each has its own current track, position, next track and preset.
//! * Tier 1 (memory): the union of every active listener's hot set: its current and next
//!   chunk, both variants.
//! * Tier 2 (disk): every chunk of recent tracks, both variants, whole-track LRU within a track
//!   count and a byte budget; every active listener's track is pinned. Survives restarts.
//! * The worker renders what is missing, by priority (P0 someone is waiting → P1 each
//!   listener's current and next chunk → P2 the start of each listener's next track → P3 the
//!   rest of each listener's track), round-robin between listeners, single-flight, on
//!   dedicated threads.
//!
//! The cache computes chunks through the [`Renderer`] trait, which the engine implements on
//! top of `auralis-render`; a miss flows caller → cache → engine, never back up.
//!
//! ```no_run
//! use auralis_cache::{Cache, Config, ListenerKey, Preset, TrackId, Variant, fake::FakeRenderer};
//! use std::sync::Arc;
//! # async fn demo() -> Result<(), auralis_cache::CacheError> {
//! let renderer = Arc::new(FakeRenderer::new()); // the server passes the engine
//! let cache = Arc::new(Cache::open(Config::new("/var/cache/auralis"), renderer)?);
//! let mut events = cache.subscribe(); // forward to SSE
//! let (a, b) = (TrackId(1), TrackId(2));
//! let tab = ListenerKey::new(0, "tab-1")?;
//! let (bytes, tier) = cache.get_chunk(a, 0, Variant::Original).await?; // X-Cache-Tier: tier.as_str()
//! cache.update_position(&tab, a, 0, Preset::Adaptive, Some(b)).await?;
//! let status = cache.track_status(a, Preset::Adaptive).await?; // JSON
//! # Ok(()) }
//! ```

pub mod bench;
mod events;
pub mod fake;
mod key;
mod listener;
pub mod manager;
pub mod session;
mod status;
pub mod streams;
mod tier1;
mod tier2;
mod worker;

pub use auralis_core::{FileSignature, Loudness, Preset, TrackId, Variant};
pub use events::CacheEvent;
pub use key::TrackDesc;
pub use listener::ListenerKey;
pub use manager::{Cache, Config};
pub use status::{CacheStats, ListenerStatus, QueuedTask, Tier, TrackStatus, VariantCount};
pub use streams::{valid_stream_name, StreamFile, StreamWriter};
pub use worker::Priority;

use std::path::PathBuf;

/// The engine the cache calls to describe tracks and render chunks. Implemented by
/// `auralis-engine` on top of `auralis-render`; tests use [`fake::FakeRenderer`].
pub trait Renderer: Send + Sync + 'static {
    /// Cheap description of a track: its file signature, chunk count, format, chunk length and
    /// DSP version. Called (on a blocking thread) by `update_position` for the current and next
    /// track, and by `get_chunk`/`track_status` for any other track, so a changed file is seen
    /// at once. It may stat the file; it should remember what it read by signature.
    fn describe(&self, track: TrackId) -> Result<TrackDesc, RenderError>;

    /// Blocking CPU work: chunk `chunk` of `track` for each of `variants` (one decode serves
    /// all of them). Returns one result per variant, in order. Runs on the worker's threads.
    fn render(
        &self,
        track: TrackId,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>>;

    /// [`Renderer::render`] for chunks stored under a description whose `processed_key` was
    /// `processed_key`: a renderer whose processed audio depends on more than the file (the
    /// engine: which profile, which album gain) must render exactly what that key names, even
    /// if a newer description names something else by now. The default ignores the key.
    fn render_keyed(
        &self,
        track: TrackId,
        processed_key: &str,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        let _ = processed_key;
        self.render(track, chunk, variants)
    }
}

/// What kind of failure a [`Renderer`] reports, so the caller can answer without parsing the
/// message (like symphonia's error kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenderErrorKind {
    /// No such track.
    NotFound,
    /// The track's file changed or disappeared since the library last scanned it.
    Changed,
    /// The file cannot be decoded.
    Undecodable,
    /// Anything else (a bug, the disk).
    Internal,
}

/// A failure reported by the [`Renderer`]: its kind, and a message naming the track (never an
/// absolute path of this machine) and the cause.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RenderError {
    pub kind: RenderErrorKind,
    pub message: String,
}

impl RenderError {
    pub fn new(kind: RenderErrorKind, message: impl std::fmt::Display) -> RenderError {
        RenderError {
            kind,
            message: message.to_string(),
        }
    }
}

/// Errors of the cache. `Clone` because one failed render answers every waiting request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("cannot describe track {track}: {}", source.message)]
    Describe { track: TrackId, source: RenderError },
    #[error("cannot render chunk {chunk} ({variant}) of track {track}: {}", source.message)]
    Render {
        track: TrackId,
        chunk: u64,
        variant: Variant,
        source: RenderError,
    },
    #[error("chunk {chunk} is out of range: track {track} has {chunk_count} chunks")]
    OutOfRange {
        track: TrackId,
        chunk: u64,
        chunk_count: u64,
    },
    #[error("invalid listener id: {0}")]
    InvalidListener(String),
    /// Too many requests are waiting for renders (per listener or in all): try again later.
    #[error(
        "too many chunk requests are waiting ({waiting} queued); retry in {retry_after_secs} s"
    )]
    Busy {
        waiting: usize,
        retry_after_secs: u64,
    },
    #[error("cache directory {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("the cache is shutting down")]
    Shutdown,
}

impl CacheError {
    pub(crate) fn io(path: impl Into<PathBuf>, err: std::io::Error) -> CacheError {
        CacheError::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// The renderer's error kind behind a describe or render failure.
    pub fn render_kind(&self) -> Option<RenderErrorKind> {
        match self {
            CacheError::Describe { source, .. } | CacheError::Render { source, .. } => {
                Some(source.kind)
            }
            _ => None,
        }
    }
}
