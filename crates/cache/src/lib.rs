//! Two-tier chunk cache (memory, disk) and its priority worker — DSP-agnostic.
//!
//! * Tier 1 (memory): the current and next chunk of the playing track, both variants.
//! * Tier 2 (disk): every chunk of recent tracks, both variants, whole-track LRU within a track
//!   count and a byte budget; the playing track is pinned. Survives restarts.
//! * The worker renders what is missing, by priority (P0 a listener is waiting → P1 current
//!   and next chunk → P2 the rest of the current track → P3 the start of the next track),
//!   single-flight, on dedicated threads.
//!
//! The cache computes chunks through the [`Renderer`] trait, which the server implements on
//! top of `auralis-render`.
//!
//! ```no_run
//! use auralis_cache::{Cache, Config, TrackId, Variant, fake::FakeRenderer};
//! use std::sync::Arc;
//! # async fn demo() -> Result<(), auralis_cache::CacheError> {
//! let renderer = Arc::new(FakeRenderer::new()); // the server passes its own Renderer
//! let cache = Arc::new(Cache::open(Config::new("/var/cache/auralis"), renderer)?);
//! let mut events = cache.subscribe(); // forward to SSE
//! let (a, b) = (TrackId(1), TrackId(2));
//! let (bytes, tier) = cache.get_chunk(a, 0, &Variant::Original).await?; // X-Cache-Tier: tier.as_str()
//! cache.update_position(a, 0, "adaptive", Some(b)).await?;
//! let status = cache.track_status(a).await?; // JSON
//! # Ok(()) }
//! ```

pub mod bench;
mod events;
pub mod fake;
mod key;
pub mod manager;
pub mod session;
mod status;
mod tier1;
mod tier2;
mod worker;

pub use events::CacheEvent;
pub use key::{FileSignature, TrackDesc, TrackId, Variant};
pub use manager::{Cache, Config};
pub use status::{CacheStats, QueuedTask, Tier, TrackStatus, VariantCount};
pub use worker::Priority;

use std::path::PathBuf;

/// The engine the cache calls to describe tracks and render chunks. Implemented by the server
/// on top of `auralis-render`; tests use [`fake::FakeRenderer`].
pub trait Renderer: Send + Sync + 'static {
    /// Cheap description of a track: its file signature, chunk count, format, chunk length and
    /// DSP version. Called (on a blocking thread) by `update_position` for the current and next
    /// track, and by `get_chunk`/`track_status` for any other track, so a changed file is seen
    /// at once. It may stat the file; memoise the content hash by (path, size, mtime).
    fn describe(&self, track: TrackId) -> Result<TrackDesc, RenderError>;

    /// Blocking CPU work: chunk `chunk` of `track` for each of `variants` (one decode serves
    /// all of them). Returns one result per variant, in order. Runs on the worker's threads.
    fn render(
        &self,
        track: TrackId,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>>;
}

/// A failure reported by the [`Renderer`]: a message naming the file and the cause.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

impl RenderError {
    pub fn new(message: impl std::fmt::Display) -> RenderError {
        RenderError(message.to_string())
    }
}

/// Errors of the cache. `Clone` because one failed render answers every waiting request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("cannot describe track {track}: {message}")]
    Describe { track: TrackId, message: String },
    #[error("cannot render chunk {chunk} ({variant}) of track {track}: {message}")]
    Render {
        track: TrackId,
        chunk: u64,
        variant: Variant,
        message: String,
    },
    #[error("chunk {chunk} is out of range: track {track} has {chunk_count} chunks")]
    OutOfRange {
        track: TrackId,
        chunk: u64,
        chunk_count: u64,
    },
    #[error("{0}")]
    InvalidVariant(String),
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
}
