//! 50 concurrent clients (each its own listener) streaming chunks and polling small JSON over
//! loopback, a bounded number of requests each: every response must be a success.

mod common;

use common::*;
use serde_json::json;

const CLIENTS: usize = 50;
const REQUESTS_PER_CLIENT: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clients() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let tracks: Vec<i64> = {
        let mut v = Vec::new();
        for t in ["Intro", "Theme", "sine-44k"] {
            v.push(ts.track_id(t).await);
        }
        v
    };
    let mut counts = Vec::new();
    for id in &tracks {
        let m = ts.get_json(&format!("/api/stream/{id}/metadata")).await;
        counts.push(m["total_chunks"].as_u64().unwrap());
    }
    // One listener drives the worker; the others stream whatever they like.
    let pos = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": tracks[0], "position_s": 0.0, "next_track_id": tracks[1]}),
        )
        .await;
    assert_eq!(pos.status(), 204);

    let base = ts.base.clone();
    let mut handles = Vec::new();
    for c in 0..CLIENTS {
        let base = base.clone();
        let cookie = ts.cookie.clone();
        let tracks = tracks.clone();
        let counts = counts.clone();
        handles.push(tokio::spawn(async move {
            // One connection per client, reused (keep-alive), like a browser tab.
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .default_headers(headers)
                .build()
                .unwrap();
            let mut bytes = 0usize;
            for r in 0..REQUESTS_PER_CLIENT {
                let k = (c + r) % tracks.len();
                let (id, n) = (tracks[k], ((c * 7 + r) as u64) % counts[k]);
                let url = if r % 5 == 4 {
                    format!("{base}/api/cache/track/{id}")
                } else {
                    let v = if (c + r) % 2 == 0 {
                        "original"
                    } else {
                        "processed"
                    };
                    // Each client is its own listener (a tab): the per-listener cap on waiting
                    // renders is for one tab asking for many chunks at once.
                    format!("{base}/api/stream/{id}/chunk/{n}?variant={v}&listener=client-{c}")
                };
                let resp = client.get(&url).send().await.unwrap();
                assert!(resp.status().is_success(), "{url}: {}", resp.status());
                bytes += resp.bytes().await.unwrap().len();
            }
            bytes
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert!(total > 0);
    let stats = ts.get_json("/api/cache/stats").await;
    assert_eq!(
        stats["requests"].as_u64().unwrap(),
        (CLIENTS * REQUESTS_PER_CLIENT * 4 / 5) as u64,
        "{stats}"
    );
    assert_eq!(stats["render_errors"], 0, "{stats}");
    assert_eq!(ts.get("/api/health").await.status(), 200);
    ts.shutdown().await;
}
