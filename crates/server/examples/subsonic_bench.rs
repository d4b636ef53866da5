//! Subsonic `stream` benchmark against the release server: time to first byte (uncached, from
//! tier 2, from a kept stream; from the start and from an offset), the speed of a whole stream
//! per format, and peak memory with concurrent streams.
//!
//! Run through `scripts/bench-subsonic.sh`, or:
//! `cargo run --release -p auralis-server --example subsonic_bench -- --bin target/release/auralis`
//!
//! Options: `--bin PATH`, `--reps N` (5 per TTFB figure), `--streams N` (10 concurrent),
//! `--seconds S` (length of the generated tracks, 210 = 3.5 minutes).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use futures::StreamExt;
use serde_json::Value;

mod support;
use support::*;

/// Subsonic `stream` through a release server: first bytes, whole streams, concurrent streams.
#[derive(clap::Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/auralis")]
    bin: PathBuf,
    /// Repetitions of each first-byte measurement.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Concurrent streams in the memory phase.
    #[arg(long, default_value_t = 10)]
    streams: usize,
    /// Length of the generated tracks, in seconds.
    #[arg(long, default_value_t = 210.0)]
    seconds: f64,
}

/// The Subsonic credentials of the benchmark's admin (see `admin_cookie`).
const AUTH: &str = "u=bench&p=bench%20password&v=1.16.1&c=bench&f=json";
/// A user allows this many concurrent streams (the server's default `media_streams_per_user`),
/// so the concurrent phase spreads its streams over several users.
const STREAMS_PER_USER: usize = 8;

struct Timing {
    first_byte: Duration,
    total: Duration,
    bytes: usize,
}

/// One whole stream: time to the first body byte, to the last, and its size.
async fn stream(client: &reqwest::Client, base: &str, query: &str) -> Timing {
    stream_as(client, base, AUTH, query).await
}

async fn stream_as(client: &reqwest::Client, base: &str, auth: &str, query: &str) -> Timing {
    let t = Instant::now();
    let r = client
        .get(format!("{base}/rest/stream?{auth}&{query}"))
        .send()
        .await
        .expect("stream request");
    assert!(r.status().is_success(), "{query}: {}", r.status());
    let kind = r.headers()["content-type"].to_str().unwrap().to_string();
    if !kind.starts_with("audio/") {
        let body = r.text().await.unwrap_or_default();
        panic!("{query}: answered {kind}: {body}");
    }
    let mut body = r.bytes_stream();
    let mut first = None;
    let mut bytes = 0;
    while let Some(part) = body.next().await {
        let part = part.expect("stream body");
        if first.is_none() && !part.is_empty() {
            first = Some(t.elapsed());
        }
        bytes += part.len();
    }
    Timing {
        first_byte: first.expect("an empty stream"),
        total: t.elapsed(),
        bytes,
    }
}

async fn clear_cache(client: &reqwest::Client, base: &str) {
    let r = client
        .delete(format!("{base}/api/cache"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summary(v: &mut [f64]) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "median {:.1} ms, max {:.1} ms",
        v[v.len() / 2],
        v[v.len() - 1]
    )
}

const FORMATS: [(&str, &str); 3] = [
    ("FLAC (default)", ""),
    ("Opus 128", "format=opus"),
    ("MP3 320", "format=mp3"),
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let bin = args.bin.canonicalize().expect("--bin: no such binary");
    let tmp = tempfile::tempdir().unwrap();
    let (music, data) = (tmp.path().join("music"), tmp.path().join("data"));
    std::fs::create_dir_all(&music).unwrap();
    let tracks = args.streams.max(3);
    for i in 0..tracks {
        write_wav(
            &music.join(format!("track-{i:02}.wav")),
            args.seconds,
            i as u32 + 1,
        );
    }
    let server = ServerProc::start(&bin, &music, &data, &tmp.path().join("server.log"));
    let anon = reqwest::Client::new();
    wait_ready(&anon, &server.base).await;
    let admin = with_cookie(&admin_cookie(&server.base).await);
    wait_scan_idle(&admin, &server.base).await;
    let list = get_json(&admin, &format!("{}/api/tracks?limit=100", server.base)).await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    let base = server.base.clone();
    // A fresh connection per stream, as apps open them.
    let http = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let offset = format!("timeOffset={}", (args.seconds / 2.0).round());
    println!(
        "{} tracks of {:.0} s (44.1 kHz, 16-bit), 10 s chunks, release server, loopback",
        tracks, args.seconds
    );

    // -- time to first byte ------------------------------------------------------------------
    let track = ids[0];
    println!(
        "\ntime to first byte of `stream` (track {track}), {} repetitions each:",
        args.reps
    );
    for (name, q) in FORMATS {
        let middle = (args.seconds / 2.0).round();
        for (from, off, again) in [
            ("start", String::new(), 1.0),
            ("middle", offset.clone(), middle + 1.0),
        ] {
            let query = format!("id=tr-{track}&{q}&{off}");
            let mut uncached = Vec::new();
            let mut tier = Vec::new();
            for _ in 0..args.reps {
                clear_cache(&admin, &base).await;
                uncached.push(ms(stream(&http(), &base, &query).await.first_byte));
                // Now the chunks are in tier 2 (the first play rendered them): from a cache
                // tier, but encoded again (an offset stream is not kept).
                let cached_q = format!("id=tr-{track}&{q}&timeOffset={again}");
                tier.push(ms(stream(&http(), &base, &cached_q).await.first_byte));
            }
            println!(
                "  {name:15} from the {from:6}: uncached {} | chunks in a tier {}",
                summary(&mut uncached),
                summary(&mut tier)
            );
        }
        // A whole stream from the start is kept: the next play is a file read.
        let query = format!("id=tr-{track}&{q}");
        let _ = stream(&http(), &base, &query).await;
        let mut kept = Vec::new();
        for _ in 0..args.reps {
            kept.push(ms(stream(&http(), &base, &query).await.first_byte));
        }
        println!("  {name:15} kept stream      : {}", summary(&mut kept));
    }

    // -- whole streams -----------------------------------------------------------------------
    println!(
        "\na whole {:.0} s stream, one at a time (track {}):",
        args.seconds, ids[1]
    );
    for (name, q) in FORMATS {
        clear_cache(&admin, &base).await;
        let query = format!("id=tr-{}&{q}", ids[1]);
        let cold = stream(&http(), &base, &query).await;
        // Same stream again, but not the kept file: force the encoder with an offset of 0.001 s.
        let warm = stream(&http(), &base, &format!("{query}&timeOffset=0.001")).await;
        let kept = stream(&http(), &base, &query).await;
        let x = |t: &Timing| args.seconds / t.total.as_secs_f64();
        println!(
            "  {name:15}: uncached {:.2} s ({:.0}× real time) | chunks cached {:.2} s ({:.0}×) | kept {:.3} s; {:.0} kbps",
            cold.total.as_secs_f64(),
            x(&cold),
            warm.total.as_secs_f64(),
            x(&warm),
            kept.total.as_secs_f64(),
            cold.bytes as f64 * 8.0 / args.seconds / 1000.0,
        );
    }

    // -- memory with concurrent streams ------------------------------------------------------
    clear_cache(&admin, &base).await;
    let before = rss_kib(server.pid());
    println!(
        "\n{} concurrent streams ({} users), each its own uncached track, formats in turn (FLAC, Opus, MP3), read as fast as they come:",
        args.streams,
        args.streams.div_ceil(STREAMS_PER_USER)
    );
    let pid = server.pid();
    // Reset the kernel's peak-RSS mark (VmHWM) so it covers this phase alone.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("reset VmHWM");
    let mut auths = vec![AUTH.to_string()];
    for u in 1..args.streams.div_ceil(STREAMS_PER_USER) {
        let name = format!("bench{u}");
        let r = admin
            .post(format!("{base}/api/users"))
            .json(&serde_json::json!({"username": name, "password": "bench password"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "create {name}: {}", r.status());
        auths.push(AUTH.replacen("u=bench", &format!("u={name}"), 1));
    }
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (n, id) in ids.iter().take(args.streams).enumerate() {
        let q = format!("id=tr-{id}&c=app-{n}&{}", FORMATS[n % 3].1);
        let auth = auths[n / STREAMS_PER_USER].clone();
        let base = base.clone();
        let client = http();
        tasks.push(tokio::spawn(async move {
            stream_as(&client, &base, &auth, &q).await
        }));
    }
    let mut firsts = Vec::new();
    for task in tasks {
        let timing = task.await.unwrap();
        firsts.push(ms(timing.first_byte));
    }
    let wall = t.elapsed().as_secs_f64();
    println!(
        "  all done in {wall:.1} s ({:.1}× real time in all); first bytes {}",
        args.streams as f64 * args.seconds / wall,
        summary(&mut firsts)
    );
    println!(
        "  RSS before {} | peak during the streams (VmHWM) {} | after {}",
        mib(before),
        mib(hwm_kib(pid)),
        mib(rss_kib(pid)),
    );
    let stats: Value = get_json(&admin, &format!("{base}/api/cache/stats")).await;
    println!(
        "  tier 2 after: {} tracks, {:.1} MiB",
        stats["tracks"],
        stats["tier2"]["bytes"].as_f64().unwrap_or(0.0) / 1048576.0
    );
    server.stop();
}
