//! Soak benchmark: N listeners playing real music against the release server for minutes, as
//! the web player does, with the household's usual disturbances.
//!
//! Each listener is one player tab with its own listener id and a queue of 5-minute tracks
//! (made from the repo's fixtures, each track a different arrangement of them). It reports its
//! position every second; when a chunk starts playing it fetches the next one, both variants;
//! after 0.67-1.33 × `--switch-after` seconds (drawn per track, so listeners are not in step)
//! it moves to the next track in its queue (whose first chunks the cache prefetched); now and
//! then it seeks (`--seek-every`, on average). Every
//! `--preset-every` seconds the preset changes (the players refetch the processed variant of the
//! chunks they hold, as the web player does), and every `--rescan-every` seconds the library is
//! rescanned. The server runs as its own process, so its memory is measured alone.
//!
//! Reported: errors; the tier mix and latency of the next chunks and of track starts (the
//! requests right after a seek, a listener's very first start, and the new preset's chunks
//! in the 3 s after a preset change are reported apart); cold seeks; each track's
//! time from its first position to fully cached in tier 2; the server's RSS over time.
//!
//! `cargo build --release -p auralis --bin auralis && cargo build --release -p auralis-server --example soak`, then
//! `target/release/examples/soak --bin target/release/auralis --listeners 8 --minutes 5`.
//! Options: `--listeners N` (8), `--minutes M` (5), `--track-minutes T` (5), `--tracks K` (12),
//! `--switch-after S` (30), `--seek-every S` (45), `--preset-every S` (60), `--rescan-every S`
//! (60), `--seed X` (1); `--help` describes them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auralis_encode::{BitDepth, FlacWriter};
use auralis_source::Source;
use clap::Parser;
use serde_json::{json, Value};

mod support;
use support::{free_port, rss_kib};

const PRESETS: [&str; 5] = ["adaptive", "warm", "bright", "punchy", "gentle"];

/// How long after a preset change a processed chunk counts as [`Kind::AfterPreset`].
const AFTER_PRESET: Duration = Duration::from_secs(3);

/// Many listeners on a release server for minutes (see the module docs).
#[derive(clap::Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/auralis")]
    bin: PathBuf,
    /// Simulated players.
    #[arg(long, default_value_t = 8)]
    listeners: usize,
    /// Length of the run.
    #[arg(long, default_value_t = 5.0)]
    minutes: f64,
    /// Length of each generated track.
    #[arg(long, default_value_t = 5.0)]
    track_minutes: f64,
    /// Generated tracks.
    #[arg(long, default_value_t = 12)]
    tracks: usize,
    /// Seconds on a track before the next (each listener 0.67-1.33 times this).
    #[arg(long, default_value_t = 30.0)]
    switch_after: f64,
    /// Seconds between seeks.
    #[arg(long, default_value_t = 45.0)]
    seek_every: f64,
    /// Seconds between preset changes.
    #[arg(long, default_value_t = 60.0)]
    preset_every: f64,
    /// Seconds between rescans.
    #[arg(long, default_value_t = 60.0)]
    rescan_every: f64,
    /// Seed of the listeners' random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// A small deterministic generator (xorshift64*), so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes `count` tracks of `minutes` each: the fixtures' music in a different order and level
/// per track, so no two tracks share audio (or a cache key).
fn make_tracks(music: &Path, count: usize, minutes: f64) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let pieces: Vec<Vec<[f32; 2]>> = [
        "drascula-track2-20s.flac",
        "drascula-track11-20s.flac",
        "drascula-track1-8s.flac",
    ]
    .iter()
    .map(|n| Source::open(&fixtures.join(n)).unwrap().read_all().unwrap())
    .collect();
    let target = (minutes * 60.0 * 44_100.0) as usize;
    for t in 0..count {
        let path = music.join(format!("soak-{t:02}.flac"));
        let f = std::fs::File::create(&path).unwrap();
        let mut w = FlacWriter::new(
            std::io::BufWriter::new(f),
            44_100,
            BitDepth::Sixteen,
            0,
            false,
        )
        .unwrap();
        let gain = 0.5 + 0.04 * t as f32;
        let mut n = 0;
        let mut i = t;
        while n < target {
            let p = &pieces[i % pieces.len()];
            let take = p.len().min(target - n);
            let block: Vec<[f32; 2]> = p[..take]
                .iter()
                .map(|[l, r]| [(l * gain).clamp(-1.0, 1.0), (r * gain).clamp(-1.0, 1.0)])
                .collect();
            w.write(&block).unwrap();
            n += take;
            i += 1 + t % 2;
        }
        w.finish().unwrap();
    }
}

/// What a chunk request was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The chunk after the one that started playing: must come from a tier.
    Next,
    /// The chunk under the playhead after a seek (a cold seek when uncached).
    Seek,
    /// The chunk after that one, asked for at once (the player has nothing decoded ahead).
    AfterSeek,
    /// The first chunks of the first track a listener plays (cold: nothing announced it).
    FirstStart,
    /// The first chunks of the track a listener moves on to (prefetched at P2).
    TrackStart,
    /// A next chunk or a track start of the processed variant asked for less than
    /// `AFTER_PRESET` after a preset change: nothing could have rendered the new preset's
    /// chunk before the change, so like a seek it is a request for something new.
    AfterPreset,
    /// The processed variant refetched after a preset change.
    PresetSwitch,
}

struct Sample {
    kind: Kind,
    tier: String,
    ms: f64,
}

#[derive(Default)]
struct Log {
    samples: Vec<Sample>,
    errors: Vec<String>,
    /// (track id, seconds from its first position to fully cached).
    to_full: Vec<(i64, f64)>,
}

struct Shared {
    base: String,
    client: reqwest::Client,
    log: Mutex<Log>,
    preset: Mutex<&'static str>,
    /// Bumped at each preset change; players refetch when they see a new one.
    preset_gen: std::sync::atomic::AtomicU64,
    /// When the preset last changed.
    preset_changed: Mutex<Option<Instant>>,
}

impl Shared {
    async fn chunk(&self, listener: &str, track: i64, k: u64, variant: &str, kind: Kind) {
        let preset = *self.preset.lock().unwrap();
        let just_changed = self
            .preset_changed
            .lock()
            .unwrap()
            .is_some_and(|t| t.elapsed() < AFTER_PRESET);
        let kind = match kind {
            Kind::Next | Kind::TrackStart if variant == "processed" && just_changed => {
                Kind::AfterPreset
            }
            k => k,
        };
        let url = format!(
            "{}/api/stream/{track}/chunk/{k}?variant={variant}&preset={preset}&listener={listener}",
            self.base
        );
        let t = Instant::now();
        match self.client.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                let tier = r
                    .headers()
                    .get("x-cache-tier")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("?")
                    .to_string();
                if std::env::var_os("SOAK_TRACE").is_some() {
                    eprintln!(
                        "{listener} {kind:?} track {track} chunk {k} {variant} {preset}: {tier}"
                    );
                }
                match r.bytes().await {
                    Ok(_) => self.log.lock().unwrap().samples.push(Sample {
                        kind,
                        tier,
                        ms: t.elapsed().as_secs_f64() * 1e3,
                    }),
                    Err(e) => self.error(format!("{url}: body: {e}")),
                }
            }
            Ok(r) => self.error(format!("{url}: {}", r.status())),
            Err(e) => self.error(format!("{url}: {e}")),
        }
    }

    async fn both(&self, listener: &str, track: i64, k: u64, kind: Kind) {
        self.chunk(listener, track, k, "original", kind).await;
        self.chunk(listener, track, k, "processed", kind).await;
    }

    async fn post(&self, path: &str, body: Value) {
        let url = format!("{}{path}", self.base);
        match self.client.post(&url).json(&body).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => self.error(format!("POST {path}: {}", r.status())),
            Err(e) => self.error(format!("POST {path}: {e}")),
        }
    }

    fn error(&self, e: String) {
        self.log.lock().unwrap().errors.push(e);
    }

    async fn json(&self, path: &str) -> Option<Value> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }
}

struct Meta {
    chunk_seconds: f64,
    chunks: u64,
    duration: f64,
}

async fn meta(shared: &Shared, track: i64) -> Meta {
    let m = shared
        .json(&format!("/api/stream/{track}/metadata"))
        .await
        .expect("metadata");
    Meta {
        chunk_seconds: m["chunk_seconds"].as_f64().unwrap(),
        chunks: m["total_chunks"].as_u64().unwrap(),
        duration: m["duration_s"].as_f64().unwrap(),
    }
}

/// One player tab, for `seconds` of wall-clock playback.
async fn player(shared: Arc<Shared>, n: usize, queue: Vec<i64>, args: Arc<Args>, seconds: f64) {
    let me = format!("soak-{n}");
    let mut rng = Rng(args.seed.wrapping_mul(31).wrapping_add(n as u64 + 1));
    let mut qi = 0;
    let mut track = queue[0];
    let mut m = meta(&shared, track).await;
    let mut pos = 0.0f64;
    let mut on_track = 0.0f64;
    let mut started = Instant::now();
    let mut watcher = tokio::spawn(watch_full(shared.clone(), track, started));
    let mut preset_gen = shared.preset_gen.load(std::sync::atomic::Ordering::SeqCst);
    shared.both(&me, track, 0, Kind::FirstStart).await;
    shared
        .both(&me, track, 1.min(m.chunks - 1), Kind::FirstStart)
        .await;
    let mut fetched_to = 1u64;
    // Listeners are not in step: each stays 0.67-1.33 × `--switch-after` on a track.
    let mut stay = args.switch_after * (0.67 + 0.66 * rng.next());
    let t0 = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    while t0.elapsed().as_secs_f64() < seconds {
        tick.tick().await;
        pos += 1.0;
        on_track += 1.0;
        if on_track >= stay || pos >= m.duration - 1.0 {
            // On to the next track in the queue: its first two chunks were prefetched.
            qi = (qi + 1) % queue.len();
            track = queue[qi];
            m = meta(&shared, track).await;
            pos = 0.0;
            on_track = 0.0;
            stay = args.switch_after * (0.67 + 0.66 * rng.next());
            started = Instant::now();
            watcher.abort();
            watcher = tokio::spawn(watch_full(shared.clone(), track, started));
            shared.both(&me, track, 0, Kind::TrackStart).await;
            shared
                .both(&me, track, 1.min(m.chunks - 1), Kind::TrackStart)
                .await;
            fetched_to = 1;
        } else if args.seek_every > 0.0 && rng.next() < 1.0 / args.seek_every {
            pos = (rng.next() * (m.duration - 2.0)).floor();
            let k = (pos / m.chunk_seconds) as u64;
            shared.both(&me, track, k, Kind::Seek).await;
            if k + 1 < m.chunks {
                shared.both(&me, track, k + 1, Kind::AfterSeek).await;
            }
            fetched_to = k + 1;
        }
        let next = queue[(qi + 1) % queue.len()];
        shared
            .post(
                "/api/player/position",
                json!({"track_id": track, "position_s": pos, "next_track_id": next, "listener": me}),
            )
            .await;
        let k = (pos / m.chunk_seconds) as u64;
        let gen = shared.preset_gen.load(std::sync::atomic::Ordering::SeqCst);
        if gen != preset_gen {
            // The new preset: the processed variant of what the player holds, at once.
            preset_gen = gen;
            for c in [k, k + 1].into_iter().filter(|c| *c < m.chunks) {
                shared
                    .chunk(&me, track, c, "processed", Kind::PresetSwitch)
                    .await;
            }
        }
        if k + 1 < m.chunks && k + 1 > fetched_to {
            fetched_to = k + 1;
            shared.both(&me, track, k + 1, Kind::Next).await;
        }
    }
    watcher.abort();
}

/// Polls a track's cache status every 250 ms from the moment its listener started it, and
/// logs the seconds until both variants of every chunk are in tier 2 (aborted when the
/// listener moves on first).
async fn watch_full(shared: Arc<Shared>, track: i64, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    while started.elapsed() < Duration::from_secs(300) {
        tick.tick().await;
        if let Some(s) = shared.json(&format!("/api/cache/track/{track}")).await {
            if s["fully_cached"] == true {
                let secs = started.elapsed().as_secs_f64();
                shared.log.lock().unwrap().to_full.push((track, secs));
                return;
            }
        }
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Arc::new(Args::parse());
    let bin = args.bin.canonicalize().expect("--bin: no such binary");
    let tmp = tempfile::tempdir().unwrap();
    let music = tmp.path().join("music");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&music).unwrap();
    let made = Instant::now();
    make_tracks(&music, args.tracks, args.track_minutes);
    eprintln!(
        "made {} tracks of {} min in {:.1} s",
        args.tracks,
        args.track_minutes,
        made.elapsed().as_secs_f64()
    );
    let port = free_port();
    let log = std::fs::File::create(tmp.path().join("server.log")).unwrap();
    let mut child: Child = Command::new(&bin)
        .arg("serve")
        .arg(&music)
        .arg("--data-dir")
        .arg(&data)
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("cannot start the server binary");
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    // Up, then the first-run admin account; every player signs in as it (one user, one
    // listener per tab, as a household's own devices would be).
    let anon = reqwest::Client::new();
    let setup = loop {
        let r = anon
            .post(format!("{base}/api/auth/setup"))
            .json(&json!({"username": "soak", "password": "soak password"}))
            .send()
            .await;
        match r {
            Ok(r) => break r,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert_eq!(setup.status(), 201, "first-run setup");
    let cookie = setup.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    let shared = Arc::new(Shared {
        base,
        client: reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap(),
        log: Mutex::default(),
        preset: Mutex::new(PRESETS[0]),
        preset_gen: Default::default(),
        preset_changed: Mutex::new(None),
    });
    // Up, scanned and analysed.
    loop {
        if let Some(s) = shared.json("/api/library/scan").await {
            if s["running"] == false && s["last_report"] != Value::Null {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tracks: Vec<i64> = shared.json("/api/tracks?limit=1000").await.unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(tracks.len(), args.tracks, "not every track was scanned");
    shared
        .post("/api/enhancement/preset", json!({"preset": PRESETS[0]}))
        .await;
    let rss_idle = rss_kib(pid);
    let seconds = args.minutes * 60.0;

    // Memory every 5 s.
    let rss: Arc<Mutex<Vec<(f64, u64)>>> = Arc::default();
    let sampler = {
        let rss = rss.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                rss.lock()
                    .unwrap()
                    .push((t0.elapsed().as_secs_f64(), rss_kib(pid)));
            }
        })
    };
    // The disturbances: preset changes and rescans.
    let disturb = {
        let shared = shared.clone();
        let args = args.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            let (mut next_preset, mut next_scan) = (args.preset_every, args.rescan_every);
            let mut p = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let t = t0.elapsed().as_secs_f64();
                if args.preset_every > 0.0 && t >= next_preset {
                    next_preset += args.preset_every;
                    p = (p + 1) % PRESETS.len();
                    *shared.preset.lock().unwrap() = PRESETS[p];
                    shared
                        .post("/api/enhancement/preset", json!({"preset": PRESETS[p]}))
                        .await;
                    *shared.preset_changed.lock().unwrap() = Some(Instant::now());
                    shared
                        .preset_gen
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                if args.rescan_every > 0.0 && t >= next_scan {
                    next_scan += args.rescan_every;
                    shared.post("/api/library/scan", json!({})).await;
                }
            }
        })
    };
    let players: Vec<_> = (0..args.listeners)
        .map(|n| {
            // Listener n starts at track n and plays on through the library.
            let queue: Vec<i64> = (0..tracks.len())
                .map(|i| tracks[(n + i) % tracks.len()])
                .collect();
            tokio::spawn(player(shared.clone(), n, queue, args.clone(), seconds))
        })
        .collect();
    for p in players {
        p.await.unwrap();
    }
    disturb.abort();
    sampler.abort();
    let stats = shared.json("/api/cache/stats").await.unwrap_or(Value::Null);
    unsafe {
        libc::kill(pid as i32, libc::SIGINT);
    }
    let _ = child.wait();

    // ---- report ----
    let log = shared.log.lock().unwrap();
    println!(
        "soak: {} listeners, {:.1} min, {} tracks of {} min, switch after {} s, seek every ~{} s, \
         preset every {} s, rescan every {} s",
        args.listeners,
        args.minutes,
        args.tracks,
        args.track_minutes,
        args.switch_after,
        args.seek_every,
        args.preset_every,
        args.rescan_every
    );
    println!("errors: {}", log.errors.len());
    for e in log.errors.iter().take(10) {
        println!("  {e}");
    }
    let mut by_kind: BTreeMap<Kind, Vec<&Sample>> = BTreeMap::new();
    for s in &log.samples {
        by_kind.entry(s.kind).or_default().push(s);
    }
    for (kind, samples) in &by_kind {
        let n = samples.len();
        let count = |t: &str| samples.iter().filter(|s| s.tier == t).count();
        let mut ms: Vec<f64> = samples.iter().map(|s| s.ms).collect();
        let mut miss_ms: Vec<f64> = samples
            .iter()
            .filter(|s| s.tier == "miss")
            .map(|s| s.ms)
            .collect();
        println!(
            "{kind:?}: {n} requests: tier1 {} / tier2 {} / miss {} ({:.2} % misses); latency p50 \
             {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; misses p50 {:.1} / p99 {:.1} ms",
            count("tier1"),
            count("tier2"),
            count("miss"),
            100.0 * count("miss") as f64 / n.max(1) as f64,
            pct(&mut ms, 0.5),
            pct(&mut ms, 0.95),
            pct(&mut ms, 0.99),
            pct(&mut ms, 1.0),
            pct(&mut miss_ms, 0.5),
            pct(&mut miss_ms, 0.99),
        );
    }
    let mut full: Vec<f64> = log.to_full.iter().map(|(_, s)| *s).collect();
    println!(
        "tier 2 complete for {} track visits: seconds from first position p50 {:.1}, max {:.1}",
        full.len(),
        pct(&mut full, 0.5),
        pct(&mut full, 1.0)
    );
    let rss = rss.lock().unwrap();
    let max = rss.iter().map(|r| r.1).max().unwrap_or(0);
    let min = rss.iter().map(|r| r.1).min().unwrap_or(0);
    let mib = |k: u64| k as f64 / 1024.0;
    println!(
        "server RSS: idle {:.1} MiB; during the run min {:.1} / max {:.1} MiB; first {:.1}, last {:.1} MiB",
        mib(rss_idle),
        mib(min),
        mib(max),
        mib(rss.first().map_or(0, |r| r.1)),
        mib(rss.last().map_or(0, |r| r.1))
    );
    let per_minute: Vec<String> = rss
        .iter()
        .filter(|(t, _)| (*t as u64) % 60 < 5)
        .map(|(t, k)| format!("{:.0}s {:.1}", t, mib(*k)))
        .collect();
    println!("server RSS each minute (MiB): {}", per_minute.join(", "));
    println!(
        "tier 1 at the end: {} chunks, {:.1} MiB; listeners {}; rendered {}; render errors {}; refused {}",
        stats["tier1"]["chunks"],
        stats["tier1"]["bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
        stats["listeners"],
        stats["rendered"],
        stats["render_errors"],
        stats["refused_requests"]
    );
}
