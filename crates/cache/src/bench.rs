//! In-process benchmarks for `auralis bench` and `examples/cache_bench.rs`: tier-1 and tier-2
//! hit latency (p50/p99/max over many `get_chunk` calls) and the start-up index rebuild time
//! over 10,000 chunk files. Uses the fake renderer, so only the cache itself is measured.

use crate::fake::FakeRenderer;
use crate::tier2::DiskStore;
use crate::{Cache, CacheError, Config, ListenerKey, Preset, TrackId, Variant};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl Latency {
    fn of(mut d: Vec<Duration>) -> Latency {
        d.sort();
        let at = |q: f64| d[((d.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
        Latency {
            samples: d.len(),
            p50_us: at(0.5),
            p99_us: at(0.99),
            max_us: at(1.0),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub chunk_bytes: usize,
    pub tier1_hit: Latency,
    pub tier2_hit: Latency,
    pub rebuild_chunks: u64,
    pub rebuild_ms: f64,
}

/// Runs the benchmarks in `dir` (use an empty temporary directory). `chunk_bytes` ≈ 1.1 MB is
/// a 10 s stereo 16-bit FLAC chunk.
pub fn run(dir: &Path, chunk_bytes: usize, samples: usize) -> Result<BenchReport, CacheError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CacheError::io(dir, e))?;
    let (tier1_hit, tier2_hit) = rt.block_on(hits(&dir.join("hits"), chunk_bytes, samples))?;
    let (rebuild_chunks, rebuild_ms) = rebuild(&dir.join("rebuild"), 10_000)?;
    Ok(BenchReport {
        chunk_bytes,
        tier1_hit,
        tier2_hit,
        rebuild_chunks,
        rebuild_ms,
    })
}

async fn hits(
    dir: &Path,
    chunk_bytes: usize,
    samples: usize,
) -> Result<(Latency, Latency), CacheError> {
    let renderer = Arc::new(FakeRenderer::new());
    let (a, chunks) = (TrackId(1), 30);
    renderer.add_track(a, chunks, chunk_bytes);
    let cache = Cache::open(Config::new(dir), renderer)?;
    cache
        .update_position(&ListenerKey::default_for(0), a, 0, Preset::Adaptive, None)
        .await?;
    cache.wait_idle().await;
    let mut t1 = Vec::with_capacity(samples);
    for i in 0..samples {
        let start = Instant::now();
        let v = if i % 2 == 0 {
            Variant::Original
        } else {
            Variant::Processed(Preset::Adaptive)
        };
        cache.get_chunk(a, (i % 2) as u64, v).await?;
        t1.push(start.elapsed());
    }
    let mut t2 = Vec::with_capacity(samples);
    for i in 0..samples {
        let chunk = 2 + (i as u64 % (chunks - 2));
        let start = Instant::now();
        cache.get_chunk(a, chunk, Variant::Original).await?;
        t2.push(start.elapsed());
    }
    Ok((Latency::of(t1), Latency::of(t2)))
}

/// Writes `n` small chunk files (50 tracks × 2 variants), then times opening a cache over them.
fn rebuild(dir: &Path, n: u64) -> Result<(u64, f64), CacheError> {
    {
        let (store, _) = DiskStore::open(dir).map_err(|e| CacheError::io(dir, e))?;
        let per_track = n / 100;
        let variants = [Variant::Original, Variant::Processed(Preset::Adaptive)];
        for t in 0..50u64 {
            for &v in &variants {
                for c in 0..per_track {
                    store
                        .write(t + 1, v, c, "bench", &[0u8; 256])
                        .map_err(|e| CacheError::io(dir, e))?;
                }
            }
        }
    }
    let mut config = Config::new(dir);
    config.max_tracks = 1000;
    config.budget_bytes = u64::MAX;
    config.workers = 1;
    let start = Instant::now();
    let cache = Cache::open(config, Arc::new(FakeRenderer::new()))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let found = cache.stats().tier2_chunks;
    Ok((found, ms))
}
