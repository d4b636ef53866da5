//! Many listeners against the real server and real music: four players on four tracks, each
//! playing in real time as the web player does (position every second, the next chunk of both
//! variants fetched as each chunk starts), then a fifth listener seeking into another track.
//! Pacing the simulated players by the clock is the point of the test (they play in real time),
//! not a stand-in for synchronisation: every wait on the server is on its answers.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// Seconds each simulated player plays (the tracks are 20 s, chunks 3 s).
const PLAY_SECONDS: u64 = 14;

struct Fetch {
    listener: usize,
    at_s: f64,
    chunk: u64,
    variant: &'static str,
    tier: String,
}

/// One player: reports its position every second, fetches chunk k+1 (both variants) when
/// chunk k starts, like the web player's look-ahead. Returns every fetch with its tier.
async fn play(
    ts_base: String,
    client: reqwest::Client,
    listener: usize,
    track: i64,
    next: i64,
) -> Vec<Fetch> {
    let id = format!("player-{listener}");
    let chunk_s = CHUNK_SECONDS;
    let mut fetches = Vec::new();
    let fetch = |k: u64, variant: &'static str| {
        let url = format!(
            "{ts_base}/api/stream/{track}/chunk/{k}?variant={variant}&preset=adaptive&listener={id}"
        );
        let client = client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200, "chunk {k} {variant}");
            let tier = r.headers()["x-cache-tier"].to_str().unwrap().to_string();
            r.bytes().await.unwrap();
            tier
        }
    };
    let start = tokio::time::Instant::now();
    // Press play: chunk 0 (both variants), then the position.
    for v in ["original", "processed"] {
        let tier = fetch(0, v).await;
        fetches.push(Fetch {
            listener,
            at_s: 0.0,
            chunk: 0,
            variant: v,
            tier,
        });
    }
    let mut fetched_up_to = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for second in 0..=PLAY_SECONDS {
        tick.tick().await;
        let pos = second as f64;
        let resp = client
            .post(format!("{ts_base}/api/player/position"))
            .json(&json!({"track_id": track, "position_s": pos, "next_track_id": next, "listener": id}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204);
        // The chunk under the playhead started: fetch the one after it.
        let k = (pos / chunk_s) as u64;
        if k + 1 > fetched_up_to {
            fetched_up_to = k + 1;
            for v in ["original", "processed"] {
                let tier = fetch(k + 1, v).await;
                fetches.push(Fetch {
                    listener,
                    at_s: start.elapsed().as_secs_f64(),
                    chunk: k + 1,
                    variant: v,
                    tier,
                });
            }
        }
    }
    fetches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_listeners_are_served_from_the_cache_and_a_fifth_seek_evicts_nobody() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let m = music.path();
    for (fx, title) in [
        ("drascula-track2-20s.flac", "a"),
        ("drascula-track11-20s.flac", "b"),
    ] {
        let tags = Tags {
            title,
            artist: "Drascula",
            album: title,
            track: 1,
            picture: false,
        };
        tagged_flac(fx, &m.join(format!("{title}.flac")), tags);
    }
    synthetic_wav(&m.join("c.wav"), 44100, 20.0, 330.0);
    synthetic_wav(&m.join("d.wav"), 48000, 20.0, 550.0);
    synthetic_wav(&m.join("e.wav"), 44100, 20.0, 770.0);
    let ts = TestServer::start(m, data.path()).await;
    let id = |name: &str| {
        let tracks = ts.tracks();
        let name = name.to_string();
        async move {
            tracks
                .await
                .iter()
                .find(|t| t["title"] == name.as_str())
                .unwrap_or_else(|| panic!("no track {name}"))["id"]
                .as_i64()
                .unwrap()
        }
    };
    let tracks = [id("a").await, id("b").await, id("c").await, id("d").await];
    let fifth = id("e").await;

    let players: Vec<_> = tracks
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            // Each player's next track is the following one, as in a queue.
            let next = tracks[(i + 1) % tracks.len()];
            tokio::spawn(play(ts.base.clone(), ts.client.clone(), i, t, next))
        })
        .collect();
    let mut fetches = Vec::new();
    for p in players {
        fetches.extend(p.await.unwrap());
    }
    let stats = ts.get_json("/api/cache/stats").await;
    assert_eq!(stats["listeners"], 4, "{stats}");

    // After the first two seconds, every next chunk came from a cache tier.
    let late_misses: Vec<_> = fetches
        .iter()
        .filter(|f| f.at_s > 2.0 && f.tier == "miss")
        .map(|f| {
            format!(
                "listener {} chunk {} {} at {:.1}s",
                f.listener, f.chunk, f.variant, f.at_s
            )
        })
        .collect();
    assert!(late_misses.is_empty(), "misses: {late_misses:?}");
    assert!(fetches.iter().filter(|f| f.at_s > 2.0).count() >= 4 * 2 * 3);

    // Every playing track's tier 2 completes (bounded wait on the server's own status).
    for &t in &tracks {
        let s = ts.wait_cache(t, |s| s["fully_cached"] == true).await;
        assert_eq!(s["pinned"], true, "{s}");
        assert_eq!(s["listeners"], 1, "{s}");
    }

    // A fifth listener seeks into an uncached track: served, and nobody's pinned track goes
    // (tier 2 keeps 2 tracks besides the pinned ones by default; 4 + 1 are pinned now).
    let seek = ts
        .get(&format!(
            "/api/stream/{fifth}/chunk/4?variant=original&listener=seeker"
        ))
        .await;
    assert_eq!(seek.status(), 200);
    assert_eq!(seek.headers()["x-cache-tier"], "miss");
    let pos = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": fifth, "position_s": 13.0, "listener": "seeker"}),
        )
        .await;
    assert_eq!(pos.status(), 204);
    ts.wait_cache(fifth, |s| s["fully_cached"] == true).await;
    for &t in &tracks {
        let s: Value = ts.get_json(&format!("/api/cache/track/{t}")).await;
        assert_eq!(s["fully_cached"], true, "track {t} lost chunks: {s}");
    }
    let stats = ts.get_json("/api/cache/stats").await;
    assert_eq!(stats["listeners"], 5, "{stats}");
    assert_eq!(stats["render_errors"], 0, "{stats}");
    ts.shutdown().await;
}

#[tokio::test]
async fn listener_ids_are_checked() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    synthetic_wav(&music.path().join("a.wav"), 44100, 7.0, 440.0);
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.tracks().await[0]["id"].as_i64().unwrap();
    let long = "x".repeat(65);
    for bad in [long.as_str(), "", "tab\u{7}"] {
        let r = ts
            .post_json(
                "/api/player/position",
                json!({"track_id": id, "position_s": 0.0, "listener": bad}),
            )
            .await;
        assert_eq!(r.status(), 400, "{bad:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "bad_request");
    }
    let r = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": id, "position_s": 0.0, "listener": "x".repeat(64)}),
        )
        .await;
    assert_eq!(r.status(), 204);
    // Without an id, the request belongs to the `default` listener: a second one appears.
    let r = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": id, "position_s": 0.0}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(ts.get_json("/api/cache/stats").await["listeners"], 2);
    ts.shutdown().await;
}
