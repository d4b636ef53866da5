//! Shared helpers of the cache's integration tests.
#![allow(dead_code)]

use auralis_cache::fake::FakeRenderer;
use auralis_cache::{Cache, Config, TrackId, Variant};
pub use auralis_cache::{ListenerKey, Preset};
use std::path::Path;
use std::sync::Arc;

pub const A: TrackId = TrackId(1);
pub const B: TrackId = TrackId(2);
pub const C: TrackId = TrackId(3);

pub fn adaptive() -> Variant {
    Variant::Processed(Preset::Adaptive)
}

pub fn warm() -> Variant {
    Variant::Processed(Preset::Warm)
}

/// The listener most tests play as.
pub fn me() -> ListenerKey {
    ListenerKey::new(0, "me").unwrap()
}

/// Another listener.
pub fn listener(n: usize) -> ListenerKey {
    ListenerKey::new(0, &format!("tab-{n}")).unwrap()
}

pub fn config(dir: &Path) -> Config {
    let mut c = Config::new(dir);
    c.workers = 2;
    c
}

pub fn renderer(chunks: u64) -> Arc<FakeRenderer> {
    let r = Arc::new(FakeRenderer::new());
    for t in [A, B, C] {
        r.add_track(t, chunks, 1000);
    }
    r
}

pub fn open(config: Config, r: &Arc<FakeRenderer>) -> Cache {
    Cache::open(config, r.clone()).unwrap()
}

/// Requests every chunk of the original and adaptive variants (no position update).
pub async fn fill(cache: &Cache, track: TrackId, chunks: u64) {
    for c in 0..chunks {
        for v in [Variant::Original, adaptive()] {
            cache.get_chunk(track, c, v).await.unwrap();
        }
    }
}

/// Sum of the sizes of all files under `dir`.
pub fn disk_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let m = e.metadata().unwrap();
            total += if m.is_dir() {
                disk_bytes(&e.path())
            } else {
                m.len()
            };
        }
    }
    total
}

/// Yields to the runtime until `cond` holds (no sleeping, no timing).
pub async fn until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        tokio::task::yield_now().await;
        std::thread::yield_now();
    }
}
