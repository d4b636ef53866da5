//! `auralis bench`, cache section (issue 3): the two-tier cache driven by the server's real
//! renderer over a long FLAC made from looped fixture audio (5 minutes; 1 with `--quick`).
//!
//! * tier 2 built in the background: `update_position` → every chunk of both variants
//!   (original + adaptive) on disk, best and median of a few fresh caches;
//! * P0 while tier 2 builds: `get_chunk` of an uncached chunk far ahead (what a seek asks for),
//!   the latency of each request;
//! * tier-1 and tier-2 hit latency (p50/p99/max of `get_chunk`) on the real chunk files;
//! * memory: the process's VmRSS before and after tier 2 holds the whole track.
//!
//! The track's profile is computed before timing (as the library's background analysis does
//! before a track is played), so the figures are the cache and the render alone. The allocator
//! gets the server's settings (`limit_malloc_arenas`, as `auralis serve` does), so the memory
//! figures are the server's; this section runs last so the others are unaffected.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use auralis_cache::{Cache, Config, ListenerKey, Preset, Tier, TrackId, Variant};
use auralis_engine::Engine;
use auralis_library::{Library, ScanProgress};
use auralis_server::app::store::LibraryStore;
use auralis_server::config::DEFAULT_CHUNK_SECONDS;

const PRESET: Preset = Preset::Adaptive;

/// Targets of issue 3, printed beside the figures.
const BUILD_TARGET_S: f64 = 5.0;
const P0_TARGET_MS: f64 = 150.0;

pub fn run(fixtures: &Path, quick: bool) -> anyhow::Result<()> {
    super::limit_malloc_arenas();
    let minutes = if quick { 1.0 } else { 5.0 };
    let builds = if quick { 1 } else { 3 };
    let samples = if quick { 200 } else { 2000 };
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let music = dir.path().join("music");
    std::fs::create_dir_all(&music)
        .with_context(|| format!("cannot create {}", music.display()))?;
    super::bench::looped_flac(fixtures, &music.join("long.flac"), minutes)?;

    let library = Arc::new(Library::open(dir.path().join("library.db"))?);
    library.scan(&music, &ScanProgress::new())?;
    let (tracks, _) = library.tracks(None, 10, 0)?;
    let id = TrackId(
        tracks
            .first()
            .context("the looped track was not scanned")?
            .id,
    );
    let renderer = Arc::new(Engine::new(
        Arc::new(LibraryStore(library.clone())),
        &music,
        DEFAULT_CHUNK_SECONDS,
    ));
    let t = Instant::now();
    renderer.analyse_full(id)?;
    let t_profile = t.elapsed().as_secs_f64();
    let info = renderer.track_info(id)?;
    let chunks = info.timeline.chunk_count();
    let workers = Config::new(dir.path()).workers;
    println!(
        "\n== chunk cache, real renderer ({minutes:.0}-minute 44.1 kHz FLAC, {DEFAULT_CHUNK_SECONDS:.0} s chunks: \
         {chunks} x original + {PRESET}, {workers} workers)"
    );
    println!(
        "  profile (full analysis, not timed below) {:8.1} ms",
        t_profile * 1e3
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let track = id;
        let fresh = |name: &str| Cache::open(Config::new(dir.path().join(name)), renderer.clone());

        // (a) Tier 2 built in the background, and (d) memory around the first build.
        let mut times = Vec::new();
        let mut memory = None;
        let mut last = None;
        for i in 0..builds {
            let cache = fresh(&format!("cache-build{i}"))?;
            let before = rss_kb();
            let t0 = Instant::now();
            cache
        .update_position(&ListenerKey::default_for(0), track, 0, PRESET, None)
        .await?;
            cache.wait_idle().await;
            times.push(t0.elapsed().as_secs_f64());
            let status = cache.track_status(track, PRESET).await?;
            if !status.fully_cached {
                bail!("tier 2 did not complete: {status:?}");
            }
            if memory.is_none() {
                memory = Some((before, rss_kb(), cache.stats()));
            }
            if let Some(previous) = last.replace(cache) {
                let dir = previous.dir().to_path_buf();
                drop(previous);
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        let cache = last.context("no build")?;
        let (best, median) = best_median(&mut times);
        let secs = chunks as f64 * DEFAULT_CHUNK_SECONDS;
        println!(
            "  tier 2 full build (update_position -> fully cached, both variants)\n    \
             best {} / median {} over {builds} run(s)  {:5.0}x RT  (target < {BUILD_TARGET_S:.0} s: {})",
            ms(best),
            ms(median),
            secs / best,
            verdict(best < BUILD_TARGET_S)
        );

        // (b) P0 requests while tier 2 builds.
        p0_during_build(&fresh("cache-p0")?, track, chunks, quick).await?;

        // (c) Hit latency on the real chunks (tier 1 holds chunks 0 and 1, playhead at 0).
        let processed = Variant::Processed(PRESET);
        let mut t1 = Vec::with_capacity(samples);
        for i in 0..samples {
            let v = if i % 2 == 0 { Variant::Original } else { processed };
            let t = Instant::now();
            let (_, tier) = cache.get_chunk(track, (i / 2 % 2) as u64, v).await?;
            t1.push(t.elapsed());
            if tier != Tier::Tier1 {
                bail!("expected a tier-1 hit, got {tier:?}");
            }
        }
        let mut t2 = Vec::with_capacity(samples);
        for i in 0..samples {
            let v = if i % 2 == 0 { Variant::Original } else { processed };
            let chunk = 2 + (i as u64 / 2) % chunks.saturating_sub(2).max(1);
            let t = Instant::now();
            let (_, tier) = cache.get_chunk(track, chunk, v).await?;
            t2.push(t.elapsed());
            if tier != Tier::Tier2 {
                bail!("expected a tier-2 hit on chunk {chunk}, got {tier:?}");
            }
        }
        for (label, d, target_ms) in [("tier-1 hit", t1, 1.0), ("tier-2 hit", t2, 5.0)] {
            let l = Latency::of(d);
            println!(
                "  {label} ({samples} get_chunk)  p50 {:7.1} us  p99 {:7.1} us  max {:7.1} us  \
                 (target p99 < {target_ms:.0} ms: {})",
                l.p50_us,
                l.p99_us,
                l.max_us,
                verdict(l.p99_us < target_ms * 1e3)
            );
        }

        // (d) Memory.
        if let Some((before, after, stats)) = memory {
            let mb = |kb: Option<u64>| kb.map_or("?".to_string(), |k| format!("{:.1} MB", k as f64 / 1024.0));
            println!(
                "  memory: VmRSS {} before update_position, {} with the track in tier 2 \
                 (tier 2: {} chunks, {:.1} MB on disk; tier 1: {} chunks, {:.1} MB)",
                mb(before),
                mb(after),
                stats.tier2_chunks,
                stats.tier2_bytes as f64 / 1048576.0,
                stats.tier1_chunks,
                stats.tier1_bytes as f64 / 1048576.0
            );
        }
        drop(cache);
        anyhow::Ok(())
    })?;

    if !quick {
        let report = auralis_cache::bench::run(&dir.path().join("rebuild"), 1 << 20, 10)?;
        println!(
            "  tier-2 index rebuild at start-up ({} chunk files)  {}",
            report.rebuild_chunks,
            ms(report.rebuild_ms / 1e3)
        );
    }
    Ok(())
}

/// Seeks far ahead while tier 2 is building: each `get_chunk` of a chunk not yet built is a
/// P0 request competing with the background (P2) work.
async fn p0_during_build(
    cache: &Cache,
    track: TrackId,
    chunks: u64,
    quick: bool,
) -> anyhow::Result<()> {
    let processed = Variant::Processed(PRESET);
    let probes = if quick { 3 } else { 6 };
    let gap = Duration::from_millis(if quick { 100 } else { 250 });
    let t0 = Instant::now();
    cache
        .update_position(&ListenerKey::default_for(0), track, 0, PRESET, None)
        .await?;
    println!("  P0 while tier 2 builds (get_chunk of an uncached chunk far ahead, target <= {P0_TARGET_MS:.0} ms):");
    let mut misses = Vec::new();
    let mut target = chunks.saturating_sub(1);
    while misses.len() < probes && target >= 2 {
        // Spacing between simulated seeks (not a synchronisation).
        tokio::time::sleep(gap).await;
        if cache.chunk_path(track, target, processed).await?.exists() {
            break; // the build went past this chunk: no more uncached chunks ahead
        }
        let busy = cache.stats().running_tasks;
        let at = t0.elapsed().as_secs_f64();
        let t = Instant::now();
        let (_, tier) = cache.get_chunk(track, target, processed).await?;
        let took = t.elapsed().as_secs_f64();
        println!(
            "    chunk {target:3} at {:6.0} ms into the build, {busy} background task(s) running: {} ({})",
            at * 1e3,
            ms(took),
            tier.as_str()
        );
        if tier == Tier::Miss {
            misses.push(took);
        }
        target = target.saturating_sub(3);
    }
    cache.wait_idle().await;
    // The cache's own figure: position update to the last chunk of the track on disk.
    let total = cache
        .track_status(track, PRESET)
        .await?
        .seconds_to_full
        .unwrap_or_else(|| t0.elapsed().as_secs_f64());
    if misses.is_empty() {
        println!(
            "    no P0 request found an uncached chunk (build total {})",
            ms(total)
        );
    } else {
        let worst = misses.iter().cloned().fold(0.0, f64::max);
        let (_, median) = best_median(&mut misses);
        println!(
            "    P0 median {} / worst {} ({}); build with these seeks {}",
            ms(median),
            ms(worst),
            verdict(worst * 1e3 <= P0_TARGET_MS),
            ms(total)
        );
    }
    Ok(())
}

struct Latency {
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
}

impl Latency {
    fn of(mut d: Vec<Duration>) -> Latency {
        d.sort();
        let at = |q: f64| {
            d.get(((d.len().max(1) - 1) as f64 * q).round() as usize)
                .map_or(0.0, |x| x.as_secs_f64() * 1e6)
        };
        Latency {
            p50_us: at(0.5),
            p99_us: at(0.99),
            max_us: at(1.0),
        }
    }
}

fn best_median(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => (0.0, 0.0),
        n => (v[0], v[n / 2]),
    }
}

fn ms(s: f64) -> String {
    format!("{:8.1} ms", s * 1000.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}

/// The process's resident set size (VmRSS, kB), on Linux.
fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
