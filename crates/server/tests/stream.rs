//! Streaming API: metadata, chunks and their headers, a listening session (position updates,
//! tiers as the worker fills the cache, toggle, seek, next, back), the undecodable file, and a
//! restart that finds tier 2 again.

mod common;

use common::*;
use serde_json::{json, Value};

async fn chunk(ts: &TestServer, id: i64, n: u64, query: &str) -> reqwest::Response {
    ts.get(&format!("/api/stream/{id}/chunk/{n}{query}")).await
}

fn tier(resp: &reqwest::Response) -> String {
    resp.headers()["x-cache-tier"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn metadata_and_chunks() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.track_id("Theme").await;

    let meta = ts.get_json(&format!("/api/stream/{id}/metadata")).await;
    assert_eq!(meta["track_id"], id);
    assert_eq!(meta["channels"], 2);
    assert_eq!(meta["bit_depth"], 16);
    let rate = meta["sample_rate"].as_u64().unwrap();
    assert!(rate == 44100 || rate == 48000);
    let chunk_samples = meta["chunk_samples"].as_u64().unwrap();
    assert_eq!(chunk_samples, (CHUNK_SECONDS * rate as f64).round() as u64);
    let total = meta["total_samples"].as_u64().unwrap();
    let chunks = meta["total_chunks"].as_u64().unwrap();
    assert_eq!(chunks, total.div_ceil(chunk_samples));
    assert_eq!(
        meta["presets"],
        json!(["adaptive", "gentle", "warm", "bright", "punchy"])
    );

    // Every chunk of the original, in order: a miss, with the timeline's headers.
    let mut covered = 0;
    for n in 0..chunks {
        let resp = chunk(&ts, id, n, "?variant=original").await;
        assert_eq!(resp.status(), 200, "chunk {n}");
        let h = resp.headers();
        assert_eq!(h["content-type"], "audio/flac");
        assert_eq!(h["cache-control"], "private, max-age=3600");
        assert!(h.contains_key("etag"));
        let start: u64 = h["x-chunk-start-sample"].to_str().unwrap().parse().unwrap();
        let samples: u64 = h["x-chunk-samples"].to_str().unwrap().parse().unwrap();
        assert_eq!(start, covered);
        covered += samples;
        let t = tier(&resp);
        assert!(["miss", "tier1", "tier2"].contains(&t.as_str()));
        let body = resp.bytes().await.unwrap();
        assert_eq!(&body[..4], b"fLaC");
    }
    assert_eq!(covered, total);

    // Asked again: now from the cache, same ETag, and 304 with If-None-Match.
    let again = chunk(&ts, id, 0, "?variant=original").await;
    assert_ne!(tier(&again), "miss");
    let etag = again.headers()["etag"].clone();
    let not_modified = ts
        .client
        .get(ts.url(&format!("/api/stream/{id}/chunk/0?variant=original")))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);

    // The processed variant: explicit preset, default preset, and an unknown one.
    let warm = chunk(&ts, id, 1, "?variant=processed&preset=warm").await;
    assert_eq!(warm.status(), 200);
    assert_ne!(warm.headers()["etag"], etag);
    let warm = warm.bytes().await.unwrap();
    assert_eq!(&warm[..4], b"fLaC");
    let original = chunk(&ts, id, 1, "?variant=original")
        .await
        .bytes()
        .await
        .unwrap();
    assert_ne!(warm, original, "the processed chunk is not the original");
    let adaptive = chunk(&ts, id, 1, "?variant=processed").await;
    assert_eq!(adaptive.status(), 200);
    let bad = chunk(&ts, id, 1, "?variant=processed&preset=loud").await;
    assert_eq!(bad.status(), 400);
    let bad = chunk(&ts, id, 1, "?variant=karaoke").await;
    assert_eq!(bad.status(), 400);

    // Out of range.
    let past = chunk(&ts, id, chunks, "?variant=original").await;
    assert_eq!(past.status(), 404);
    let body: Value = past.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    // Every format of the library streams.
    for title in ["passage", "sine-44k", "sine-48k", "Intro"] {
        let tid = ts.track_id(title).await;
        let m = ts.get_json(&format!("/api/stream/{tid}/metadata")).await;
        assert!(m["total_chunks"].as_u64().unwrap() >= 2, "{title}: {m}");
        let r = chunk(&ts, tid, 1, "?variant=processed").await;
        assert_eq!(r.status(), 200, "{title}");
    }
    ts.shutdown().await;
}

#[tokio::test]
async fn undecodable_file_is_422() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.track_id("Corrupt").await;
    for path in [
        format!("/api/stream/{id}/metadata"),
        format!("/api/stream/{id}/chunk/0?variant=original"),
        format!("/api/stream/{id}/chunk/0?variant=processed"),
        format!("/api/cache/track/{id}"),
    ] {
        let resp = ts.get(&path).await;
        assert_eq!(resp.status(), 422, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "undecodable");
        let msg = body["message"].as_str().unwrap();
        assert!(
            msg.contains("corrupt.flac"),
            "message names the file: {msg}"
        );
    }
    let resp = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": id, "position_s": 0.0, "next_track_id": null}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    // The server goes on.
    assert_eq!(ts.get("/api/health").await.status(), 200);
    ts.shutdown().await;
}

/// A listener plays "Intro", toggles, seeks, goes to the next track and back.
#[tokio::test]
async fn listening_session() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let intro = ts.track_id("Intro").await;
    let theme = ts.track_id("Theme").await;
    let meta = ts.get_json(&format!("/api/stream/{intro}/metadata")).await;
    let chunks = meta["total_chunks"].as_u64().unwrap();

    // Press play: first chunk is a miss (nothing cached yet), position drives the worker.
    let first = chunk(&ts, intro, 0, "?variant=processed").await;
    assert_eq!(first.status(), 200);
    assert_eq!(tier(&first), "miss");
    let pos = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": intro, "position_s": 0.0, "next_track_id": theme}),
        )
        .await;
    assert_eq!(pos.status(), 204);

    // The next chunk, both variants, goes to tier 1 (P1) → served from memory.
    let status = ts
        .wait_cache(intro, |s| s["tier1_chunks"].as_u64().unwrap() >= 4)
        .await;
    assert_eq!(status["pinned"], true, "{status}");
    for v in ["original", "processed"] {
        let r = chunk(&ts, intro, 1, &format!("?variant={v}")).await;
        assert_eq!(tier(&r), "tier1", "{v}");
    }

    // The worker fills the whole track (both variants) into tier 2.
    let full = ts.wait_cache(intro, |s| s["fully_cached"] == true).await;
    assert_eq!(full["percent"].as_f64().unwrap(), 100.0);
    assert_eq!(full["cached"]["original"], chunks);
    assert_eq!(full["cached"]["adaptive"], chunks);

    // Seek to the last chunk: already on disk.
    let last = chunk(&ts, intro, chunks - 1, "?variant=processed").await;
    assert_eq!(tier(&last), "tier2");
    let seek_pos = (chunks - 1) as f64 * CHUNK_SECONDS + 0.5;
    let pos = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": intro, "position_s": seek_pos, "next_track_id": theme}),
        )
        .await;
    assert_eq!(pos.status(), 204);

    // Toggle the enhancement mid-song: answered at once, the other variant is cached.
    let state: Value = ts
        .client
        .post(ts.url("/api/enhancement/toggle"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["enabled"], false);
    let orig = chunk(&ts, intro, chunks - 1, "").await;
    assert_ne!(tier(&orig), "miss", "toggled variant was cached");

    // Next track: its first chunks were prefetched (P2) → not a miss.
    ts.wait_cache(theme, |s| s["cached"]["original"].as_u64().unwrap() >= 1)
        .await;
    let next_first = chunk(&ts, theme, 0, "?variant=original").await;
    assert_ne!(tier(&next_first), "miss");
    let pos = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": theme, "position_s": 0.0, "next_track_id": null}),
        )
        .await;
    assert_eq!(pos.status(), 204);

    // Back to the previous track: still in tier 2.
    let back = chunk(&ts, intro, 0, "?variant=processed&preset=adaptive").await;
    assert_ne!(tier(&back), "miss");
    let stats = ts.get_json("/api/cache/stats").await;
    assert!(stats["tier1"]["hits"].as_u64().unwrap() >= 2, "{stats}");
    assert!(stats["tier2"]["hits"].as_u64().unwrap() >= 1, "{stats}");
    assert!(stats["hit_rate"].as_f64().unwrap() > 0.0);
    ts.shutdown().await;
}

/// A new server over the same data folder finds its tier 2: chunks are served as tier2
/// without rendering.
#[tokio::test]
async fn restart_finds_tier2_again() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.track_id("Intro").await;
    let pos = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": id, "position_s": 0.0, "next_track_id": null}),
        )
        .await;
    assert_eq!(pos.status(), 204);
    ts.wait_cache(id, |s| s["fully_cached"] == true).await;
    let etag = chunk(&ts, id, 1, "?variant=processed").await.headers()["etag"].clone();
    ts.shutdown().await;

    let ts = TestServer::start(music.path(), data.path()).await;
    assert_eq!(
        ts.track_id("Intro").await,
        id,
        "ids are stable across restarts"
    );
    let status = ts.get_json(&format!("/api/cache/track/{id}")).await;
    assert_eq!(status["fully_cached"], true, "{status}");
    let r = chunk(&ts, id, 1, "?variant=processed").await;
    assert_eq!(tier(&r), "tier2");
    assert_eq!(r.headers()["etag"], etag);
    let r = chunk(&ts, id, 0, "?variant=original").await;
    assert_eq!(tier(&r), "tier2");
    let stats = ts.get_json("/api/cache/stats").await;
    assert_eq!(stats["rendered"], 0, "nothing was rendered: {stats}");
    assert_eq!(stats["misses"], 0);
    ts.shutdown().await;
}
