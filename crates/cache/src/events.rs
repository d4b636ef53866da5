//! Events the cache publishes on a `tokio::sync::broadcast` channel, for the server to forward
//! to listeners (SSE). Subscribe with [`crate::Cache::subscribe`]. A slow subscriber lags (and
//! is told so by `broadcast`); the cache never waits for subscribers.

use crate::{Loudness, Preset, Tier, TrackId, Variant};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CacheEvent {
    /// A chunk was stored (always in tier 2; `tier1` when it is also hot).
    ChunkCached {
        track: TrackId,
        chunk: u64,
        variant: Variant,
        tier: Tier,
    },
    /// Completion of a track for the original and `preset`.
    TrackProgress {
        track: TrackId,
        preset: Preset,
        /// Track or album loudness: which processed variant of `preset`.
        loudness: Loudness,
        cached_chunks: u64,
        total_chunks: u64,
        percent: f64,
    },
    /// Every chunk of both variants is in tier 2.
    TrackFullyCached {
        track: TrackId,
        preset: Preset,
        loudness: Loudness,
        seconds: Option<f64>,
    },
    /// A whole track left tier 2 (LRU, budget or clear). `track` is `None` when no track id is
    /// known for it (e.g. found on disk at start-up and never asked for since).
    Evicted {
        track: Option<TrackId>,
        key: String,
        bytes: u64,
    },
}
