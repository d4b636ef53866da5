//! Requests waiting for a render, through the real server: one listener's waiting requests are
//! capped (the one beyond gets 503 with a JSON error and `Retry-After`, another listener is
//! still served), and a request whose client hung up is dropped before it is rendered.
//!
//! The worker is kept busy by other listeners' cold chunks (long ones: 20 s each) so that the
//! requests under test stay queued; every wait is on the server's own answers (its queue, its
//! stats, its statuses).

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The per-listener cap on waiting requests (`Config::max_waiting_per_listener`).
const CAP: usize = 8;
/// Seconds per chunk on this test's server.
const CHUNK: f64 = 20.0;

/// `seconds` of a two-tone signal with a slow tremolo (not silence: the chain does real work),
/// as FLAC.
fn long_flac(dest: &std::path::Path, seconds: f64) {
    use auralis_encode::{BitDepth, FlacWriter};
    let rate = 44_100u32;
    let file = std::io::BufWriter::new(std::fs::File::create(dest).unwrap());
    let mut w = FlacWriter::new(file, rate, BitDepth::Sixteen, 0, false).unwrap();
    let total = (seconds * rate as f64) as usize;
    let tau = 2.0 * std::f32::consts::PI;
    let mut block = Vec::with_capacity(rate as usize);
    for i in 0..total {
        let t = i as f32 / rate as f32;
        let level = 0.2 + 0.1 * (tau * 0.3 * t).sin();
        block.push([
            level * (tau * 330.0 * t).sin(),
            level * (tau * 495.0 * t).sin(),
        ]);
        if block.len() == rate as usize {
            w.write(&block).unwrap();
            block.clear();
        }
    }
    w.write(&block).unwrap();
    w.finish().unwrap();
}

fn chunk_path(track: i64, chunk: u64, listener: &str) -> String {
    format!(
        "/api/stream/{track}/chunk/{chunk}?variant=processed&preset=adaptive&listener={listener}"
    )
}

async fn stats(ts: &TestServer) -> Value {
    ts.get_json("/api/cache/stats").await
}

/// Polls `read` until `done` holds of what it returns (bounded: a stuck server fails the test,
/// not hangs it).
async fn poll<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut read: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let v = read().await;
        if done(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited too long for {what}: {v:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Polls the stats until `done` holds.
async fn until_stats(ts: &TestServer, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    poll(what, || stats(ts), done).await
}

/// Sends a chunk request on a raw connection and returns the connection without reading the
/// answer: dropping it is a client that went away.
async fn send_raw(ts: &TestServer, path: &str) -> TcpStream {
    let host = ts.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {}\r\nConnection: close\r\n\r\n",
        ts.cookie
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s.flush().await.unwrap();
    s
}

/// Fires `CAP` requests for cold chunks `first..first+CAP` of `track` as `listener`, in the
/// background; each must end in 200.
fn keep_busy(
    ts: &TestServer,
    track: i64,
    first: u64,
    listener: &str,
) -> Vec<tokio::task::JoinHandle<()>> {
    (first..first + CAP as u64)
        .map(|c| {
            let client = ts.client.clone();
            let url = ts.url(&chunk_path(track, c, listener));
            tokio::spawn(async move {
                let r = client.get(url).send().await.unwrap();
                assert_eq!(r.status(), 200, "busy chunk {c}");
                r.bytes().await.unwrap();
            })
        })
        .collect()
}

/// The P0 tasks of the worker's queue for `track`: chunk → clients still waiting.
async fn waiting_on(ts: &TestServer, track: i64) -> std::collections::BTreeMap<u64, u64> {
    let q = ts.get_json("/api/cache/queue?limit=1000").await;
    q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["priority"] == "P0" && t["track_id"] == track)
        .map(|t| (t["chunk"].as_u64().unwrap(), t["waiters"].as_u64().unwrap()))
        .collect()
}

/// Polls the queue until `done` holds.
async fn until_queue(
    ts: &TestServer,
    track: i64,
    what: &str,
    done: impl Fn(&std::collections::BTreeMap<u64, u64>) -> bool,
) {
    poll(what, || waiting_on(ts, track), done).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_requests_are_capped_and_a_gone_client_is_never_rendered() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // 28 chunks of 20 s: every request below asks for a chunk of its own, and each busy one
    // keeps a worker thread for a while.
    long_flac(&music.path().join("long.flac"), 28.0 * CHUNK);
    let mut config = config(music.path(), data.path());
    config.chunk_seconds = CHUNK;
    let ts = TestServer::start_with(config).await;
    let track = ts.track_id("long").await;
    let meta = ts.get_json(&format!("/api/stream/{track}/metadata")).await;
    assert_eq!(meta["total_chunks"], 28);
    let before = stats(&ts).await;

    // Two listeners fill the worker: 16 cold processed chunks queue behind its two threads.
    let mut busy = keep_busy(&ts, track, 0, "busy-1");
    busy.extend(keep_busy(&ts, track, CAP as u64, "busy-2"));
    // They are queued before the requests under test are sent (two run, the rest wait).
    until_queue(&ts, track, "the busy requests to queue", |q| {
        (0..2 * CAP as u64).filter(|c| q.contains_key(c)).count() >= 2 * CAP - 4
    })
    .await;

    // The listener under test sends CAP requests on connections it will hang up; the queue
    // shows them waiting (behind the busy ones: the worker takes P0 oldest first).
    let gone_chunks: Vec<u64> = (16..16 + CAP as u64).collect();
    let mut gone = Vec::new();
    for &c in &gone_chunks {
        gone.push(send_raw(&ts, &chunk_path(track, c, "gone")).await);
    }
    until_queue(&ts, track, "the gone requests to queue", |q| {
        gone_chunks.iter().all(|c| q.get(c) == Some(&1))
    })
    .await;

    // One more from the same listener is refused: 503, a JSON error and Retry-After.
    let over = ts.get(&chunk_path(track, 24, "gone")).await;
    assert_eq!(over.status(), 503);
    let wait = retry_after(&over);
    assert!(wait >= 1);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["error"], "busy", "{body}");
    assert!(!body["message"].as_str().unwrap_or("").is_empty(), "{body}");
    assert_eq!(
        stats(&ts).await["refused_requests"].as_u64().unwrap(),
        before["refused_requests"].as_u64().unwrap() + 1
    );

    // Hang up. The server notices each closed connection and withdraws the request: the
    // queue shows nobody waiting on them any more...
    drop(gone);
    until_queue(&ts, track, "the gone requests to be withdrawn", |q| {
        gone_chunks.iter().all(|c| q.get(c).is_none_or(|w| *w == 0))
    })
    .await;
    // ... the listener may ask again (its cap is free), and the cap is per listener: another
    // listener was never limited by it.
    let again = ts.get(&chunk_path(track, 25, "gone")).await;
    assert_eq!(again.status(), 200);
    let other = ts.get(&chunk_path(track, 26, "polite")).await;
    assert_eq!(other.status(), 200);
    for b in busy {
        b.await.unwrap();
    }
    let s = until_stats(&ts, "the worker to go idle", |s| {
        s["queued_tasks"] == 0 && s["running_tasks"] == 0
    })
    .await;
    // ... and none of them was rendered: each is a miss when asked for again.
    assert_eq!(
        s["dropped_requests"].as_u64().unwrap() - before["dropped_requests"].as_u64().unwrap(),
        CAP as u64,
        "every request of the client that went away is dropped unrendered: {s}"
    );
    for &c in &gone_chunks {
        let r = ts.get(&chunk_path(track, c, "again")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["x-cache-tier"],
            "miss",
            "chunk {c} was rendered for a client that had gone"
        );
    }
    ts.shutdown().await;
}
