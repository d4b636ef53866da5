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
        loudness: auralis_cache::Loudness,
        percent: f64,
        cached_chunks: u64,
        total_chunks: u64,
    },
    /// Every chunk of the original and `preset` of a track is in tier 2.
    TrackCached {
        track: i64,
        preset: Preset,
        loudness: auralis_cache::Loudness,
    },
    /// A whole track left tier 2.
    Evicted { track: i64 },
    /// Scan or analysis progress.
    Scan(ScanStatus),
    /// A user's enhancement state changed (sent to that user's streams only).
    Enhancement { user: i64, state: EnhancementState },
}

impl Event {
    /// May `user` see this event? Everything is shared but a user's own settings.
    pub fn visible_to(&self, user: i64) -> bool {
        match self {
            Event::Enhancement { user: owner, .. } => *owner == user,
            _ => true,
        }
    }
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

/// Caps on open event streams, per user and in all: each stream holds a connection and a
/// subscription, so a page opening them in a loop must not exhaust the server.
pub struct StreamLimits {
    per_user: usize,
    total: usize,
    open: parking_lot::Mutex<(usize, std::collections::HashMap<i64, usize>)>,
}

/// One open stream; dropping it (the client left, the server stops) frees its place.
pub struct StreamPermit {
    limits: std::sync::Arc<StreamLimits>,
    user: i64,
}

impl StreamLimits {
    pub fn new(per_user: usize, total: usize) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            per_user,
            total,
            open: Default::default(),
        })
    }

    /// A place for one more stream of `user`, or None when a cap is reached.
    pub fn acquire(self: &std::sync::Arc<Self>, user: i64) -> Option<StreamPermit> {
        let mut open = self.open.lock();
        let (total, per_user) = &mut *open;
        let mine = per_user.entry(user).or_default();
        if *total >= self.total || *mine >= self.per_user {
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(StreamPermit {
            limits: self.clone(),
            user,
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.lock().0
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock();
        let (total, per_user) = &mut *open;
        *total -= 1;
        if let Some(n) = per_user.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                per_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_caps_per_user_and_in_all_free_their_place_on_drop() {
        let limits = StreamLimits::new(2, 3);
        let a1 = limits.acquire(1).unwrap();
        let _a2 = limits.acquire(1).unwrap();
        assert!(limits.acquire(1).is_none(), "per-user cap");
        let _b1 = limits.acquire(2).unwrap();
        assert!(limits.acquire(3).is_none(), "total cap");
        drop(a1);
        assert_eq!(limits.open(), 2);
        assert!(limits.acquire(3).is_some());
    }
}
