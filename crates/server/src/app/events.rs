//! The server's event bus: cache progress, scan progress and enhancement changes, fanned out to
//! every `/api/events` subscriber. A slow subscriber loses old events (it is told how many), it
//! never slows the cache or the scanner down.

use tokio::sync::broadcast;

use auralis_cache::{Preset, Variant};

use super::enhancement::EnhancementState;
use super::scanner::ScanStatus;

/// Events kept for slow subscribers before they start losing the oldest.
const CAPACITY: usize = 1024;

/// Something listeners may want to know (the transport names and shapes them for SSE).
#[derive(Debug, Clone)]
pub enum Event {
    /// A chunk was stored by the cache (`tier`: "tier1" or "tier2").
    ChunkCached {
        track: i64,
        chunk: u64,
        variant: Variant,
        tier: &'static str,
    },
    /// Completion of a track for the original and `preset`.
    TrackProgress {
        track: i64,
        preset: Preset,
        percent: f64,
        cached_chunks: u64,
        total_chunks: u64,
    },
    /// Every chunk of the original and `preset` of a track is in tier 2.
    TrackCached { track: i64, preset: Preset },
    /// A whole track left tier 2.
    Evicted { track: i64 },
    /// Scan or analysis progress.
    Scan(ScanStatus),
    /// The enhancement state changed.
    Enhancement(EnhancementState),
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }

    /// Sends to current subscribers; with none, the event is dropped.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
