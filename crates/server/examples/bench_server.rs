//! Server benchmark: resident memory of the release server (empty library, after a scan, after
//! two tracks fully cached, across rescans, after a load run) and response latency with 50
//! concurrent clients over loopback (cached chunks, small JSON).
//!
//! Run through `scripts/bench-server.sh`, or:
//! `cargo run --release -p auralis-server --example bench_server -- --bin target/release/auralis`
//!
//! Options: `--bin PATH` (the auralis binary), `--clients N` (50), `--seconds S` (10 per load
//! phase), `--synthetic-seconds S` (length of the two synthetic tracks, 180).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

mod support;
use support::*;

/// Load on a release server: sign-in, small JSON and chunks with many clients, and requests
/// among stalled connections and event streams.
#[derive(clap::Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/auralis")]
    bin: PathBuf,
    /// Concurrent clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Seconds of each load phase.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Length of the generated tracks, in seconds.
    #[arg(long, default_value_t = 180.0)]
    synthetic_seconds: f64,
}

/// `clients` tasks, each with its own keep-alive connection (signed in with `cookie`),
/// requesting `urls` round-robin for `seconds`; `pause` between requests (zero: closed loop).
async fn load(
    urls: Vec<String>,
    cookie: &str,
    clients: usize,
    seconds: f64,
    pause: Duration,
) -> Latencies {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let urls = urls.clone();
        let client = with_cookie(cookie);
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i = c;
            while Instant::now() < deadline {
                let url = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                let resp = client.get(url).send().await.expect("request failed");
                assert!(resp.status().is_success(), "{url}: {}", resp.status());
                let _ = resp.bytes().await.expect("body failed");
                out.push(t.elapsed());
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    Latencies(all)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let bin = args.bin.canonicalize().expect("--bin: no such binary");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let tmp = tempfile::tempdir().unwrap();
    let music = tmp.path().join("music");
    let data = tmp.path().join("data");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&music).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    let client = reqwest::Client::new();
    let mut report = Vec::new();

    // 1. Empty library.
    let server = ServerProc::start(
        &bin,
        &empty,
        &tmp.path().join("data-empty"),
        &tmp.path().join("empty.log"),
    );
    wait_ready(&client, &server.base).await;
    let empty_client = with_cookie(&admin_cookie(&server.base).await);
    wait_scan_idle(&empty_client, &server.base).await;
    report.push(format!(
        "RSS at start, empty library: {}",
        mib(rss_kib(server.pid()))
    ));
    server.stop();

    // 2. A library: two synthetic tracks plus the real fixtures.
    write_wav(&music.join("long-a.wav"), args.synthetic_seconds, 1);
    write_wav(&music.join("long-b.wav"), args.synthetic_seconds, 2);
    for e in std::fs::read_dir(&fixtures).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("drascula") {
            std::fs::copy(e.path(), music.join(&name)).unwrap();
        }
    }
    let server = ServerProc::start(&bin, &music, &data, &tmp.path().join("server.log"));
    let base = server.base.clone();
    wait_ready(&client, &base).await;
    let cookie = admin_cookie(&base).await;
    let client = with_cookie(&cookie);
    let scan = wait_scan_idle(&client, &base).await;
    report.push(format!(
        "RSS after scan + analysis of {} tracks: {}",
        scan["last_report"]["added"],
        mib(rss_kib(server.pid()))
    ));
    let tracks = get_json(&client, &format!("{base}/api/tracks?limit=1000")).await;
    let id_of = |title: &str| {
        tracks["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["title"] == title)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (a, b) = (id_of("long-a"), id_of("long-b"));
    let ta = play_until_cached(&client, &base, a).await;
    let tb = play_until_cached(&client, &base, b).await;
    report.push(format!(
        "Two {:.0}-s tracks fully cached (both variants) in {ta:.1} s and {tb:.1} s; RSS {}",
        args.synthetic_seconds,
        mib(rss_kib(server.pid()))
    ));

    // 3. Rescans.
    let mut rss = Vec::new();
    for _ in 0..5 {
        client
            .post(format!("{base}/api/library/scan"))
            .send()
            .await
            .unwrap();
        wait_scan_idle(&client, &base).await;
        rss.push(mib(rss_kib(server.pid())));
    }
    report.push(format!("RSS after each of 5 rescans: {}", rss.join(", ")));

    // 4. Load: cached chunks of track b (the playing one: current chunks in tier 1, the rest
    //    in tier 2), closed loop; then paced like players; then small JSON.
    let meta = get_json(&client, &format!("{base}/api/stream/{b}/metadata")).await;
    let chunks = meta["total_chunks"].as_u64().unwrap();
    let chunk_urls: Vec<String> = (0..chunks)
        .flat_map(|n| {
            let base = base.clone();
            ["original", "processed"]
                .into_iter()
                .map(move |v| format!("{base}/api/stream/{b}/chunk/{n}?variant={v}"))
        })
        .collect();
    let sample = client.get(&chunk_urls[2]).send().await.unwrap();
    let tier = sample.headers()["x-cache-tier"]
        .to_str()
        .unwrap()
        .to_string();
    let size = sample.bytes().await.unwrap().len();
    report.push(format!(
        "Chunk size ~{} KiB (10 s, 16-bit FLAC), sample tier {tier}",
        size / 1024
    ));
    let hot_urls: Vec<String> = chunk_urls[..4].to_vec();
    let mut l = load(
        hot_urls,
        &cookie,
        args.clients,
        args.seconds,
        Duration::ZERO,
    )
    .await;
    report.push(l.line(
        &format!("{} clients, closed loop, tier-1 chunks", args.clients),
        args.seconds,
    ));
    let mut l = load(
        chunk_urls.clone(),
        &cookie,
        args.clients,
        args.seconds,
        Duration::ZERO,
    )
    .await;
    report.push(l.line(
        &format!(
            "{} clients, closed loop, all chunks (tier 1 + tier 2)",
            args.clients
        ),
        args.seconds,
    ));
    let mut l = load(
        chunk_urls,
        &cookie,
        args.clients,
        args.seconds,
        Duration::from_millis(100),
    )
    .await;
    report.push(l.line(
        &format!(
            "{} clients, one chunk per 100 ms each, all chunks",
            args.clients
        ),
        args.seconds,
    ));
    let json_urls = vec![
        format!("{base}/api/health"),
        format!("{base}/api/enhancement"),
        format!("{base}/api/cache/stats"),
        format!("{base}/api/tracks/{a}"),
        format!("{base}/api/library/scan"),
    ];
    let mut l = load(
        json_urls,
        &cookie,
        args.clients,
        args.seconds,
        Duration::ZERO,
    )
    .await;
    report.push(l.line(
        &format!("{} clients, closed loop, small JSON", args.clients),
        args.seconds,
    ));
    report.push(format!(
        "RSS after the load runs: {}",
        mib(rss_kib(server.pid()))
    ));
    let stats = get_json(&client, &format!("{base}/api/cache/stats")).await;
    report.push(format!(
        "Cache: requests {}, tier1 hits {}, tier2 hits {}, misses {}",
        stats["requests"], stats["tier1"]["hits"], stats["tier2"]["hits"], stats["misses"]
    ));

    // 5. Sign-in latency with the real argon2 cost (successful sign-ins are not throttled).
    let mut logins = Latencies(Vec::new());
    let anon = reqwest::Client::new();
    for _ in 0..10 {
        let t = Instant::now();
        let r = anon
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": "bench", "password": "bench password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        logins.0.push(t.elapsed());
    }
    report.push(logins.percentiles("sign-in (argon2id, default cost)"));

    // 6. Hostile clients: 400 connections that stall half-way through their headers and 200
    //    open event streams (13 users, the per-user cap is 16), then a small API call, timed.
    let mut stalled = Vec::new();
    for _ in 0..400 {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            .unwrap();
        stalled.push(s);
    }
    let mut streams = Vec::new();
    for u in 0..13 {
        let name = format!("listener{u}");
        let r = client
            .post(format!("{base}/api/users"))
            .json(&json!({"username": name, "password": "a password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let r = anon
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": name, "password": "a password"}))
            .send()
            .await
            .unwrap();
        let c = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let user = with_cookie(&c);
        for _ in 0..16 {
            if streams.len() == 200 {
                break;
            }
            let r = user.get(format!("{base}/api/events")).send().await.unwrap();
            assert_eq!(r.status(), 200);
            streams.push(r);
        }
    }
    let mut under_load = Latencies(Vec::new());
    for _ in 0..200 {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/api/tracks?limit=20"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await;
        under_load.0.push(t.elapsed());
    }
    report.push(
        under_load
            .percentiles("GET /api/tracks with 400 stalled connections + 200 event streams open"),
    );
    let t = Instant::now();
    let mut closed = 0;
    for mut s in stalled {
        use std::io::Read;
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut buf = [0u8; 256];
        if s.read(&mut buf).is_ok() {
            closed += 1;
        }
    }
    report.push(format!(
        "stalled connections closed by the server: {closed} of 400, the last {:.1} s after the check began (header-read timeout 30 s)",
        t.elapsed().as_secs_f64()
    ));
    drop(streams);
    server.stop();

    println!(
        "auralis server benchmark ({} clients, {} s per load phase)",
        args.clients, args.seconds
    );
    for line in report {
        println!("  {line}");
    }
}
