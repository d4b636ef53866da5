//! Serialisable views of the cache for the HTTP API: per-track status, global stats, the tier
//! that served a chunk, and a snapshot of the worker's queue.

use crate::{ListenerKey, Preset, Priority, TrackId, Variant};
use serde::{Deserialize, Serialize};

/// Where a chunk came from. Serialised (and meant for the response header) as `tier1`,
/// `tier2` or `miss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Tier1,
    Tier2,
    Miss,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Tier1 => "tier1",
            Tier::Tier2 => "tier2",
            Tier::Miss => "miss",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Chunks of one variant present in tier 2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantCount {
    pub variant: Variant,
    pub cached_chunks: u64,
}

/// Cache status of one track.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackStatus {
    pub track: TrackId,
    pub total_chunks: u64,
    /// The preset completion refers to (the one asked about).
    pub preset: Preset,
    /// ... in this loudness mode.
    pub loudness: crate::Loudness,
    /// Every variant with chunks in tier 2 (other presets included).
    pub variants: Vec<VariantCount>,
    /// Chunks of the original and the preset in tier 2 (at most `2 * total_chunks`).
    pub cached_chunks: u64,
    /// `cached_chunks / (2 * total_chunks)`, in percent.
    pub percent: f64,
    pub fully_cached: bool,
    /// Seconds from the track's first caching work (in this process) to fully cached.
    pub seconds_to_full: Option<f64>,
    /// Chunks of this track in tier 1.
    pub tier1_chunks: u64,
    pub tier2_bytes: u64,
    /// Some active listener plays it (pinned in tier 2).
    pub pinned: bool,
    /// Active listeners playing it.
    pub listeners: u64,
}

/// Global cache statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheStats {
    pub requests: u64,
    pub tier1_hits: u64,
    pub tier2_hits: u64,
    /// Requests not answered by tier 1 (= tier-2 hits + misses).
    pub tier1_misses: u64,
    /// Requests answered by neither tier: rendered while the listener waited.
    pub misses: u64,
    /// (tier-1 hits + tier-2 hits) / requests; 0 when there were no requests.
    pub hit_rate: f64,
    pub tier1_chunks: u64,
    pub tier1_bytes: u64,
    pub tier2_chunks: u64,
    pub tier2_bytes: u64,
    pub tracks_cached: u64,
    pub budget_bytes: u64,
    pub max_tracks: usize,
    /// Chunks rendered by the worker (every variant counts).
    pub rendered: u64,
    pub render_errors: u64,
    /// Tier-2 files found damaged on read, discarded and rebuilt.
    pub damaged_files: u64,
    /// Queued requests dropped before they started because nobody waited any more.
    pub dropped_tasks: u64,
    /// Requests refused because too many were waiting (503).
    pub refused_requests: u64,
    /// Listeners active now (each pins its track and keeps its hot chunks in tier 1).
    pub listeners: u64,
    /// Listeners forgotten after being idle, or to make room for a new one.
    pub expired_listeners: u64,
    /// Bytes of the tracks tier 2 must keep (every listener's current and next track).
    pub pinned_bytes: u64,
    pub queued_tasks: u64,
    pub running_tasks: u64,
}

/// One pending task of the worker's queue, in the order it would run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedTask {
    pub track: TrackId,
    pub chunk: u64,
    pub priority: Priority,
    pub variants: Vec<Variant>,
    /// Requests waiting on this task whose clients are still there.
    pub waiters: usize,
}

/// What one active listener is doing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListenerStatus {
    pub listener: ListenerKey,
    pub track: TrackId,
    pub chunk: u64,
    pub preset: Preset,
    /// Track or album loudness (which processed variant of `preset` it plays).
    pub loudness: crate::Loudness,
    pub next: Option<TrackId>,
    /// Seconds since its last position update.
    pub idle_seconds: f64,
}
