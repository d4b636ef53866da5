//! Cache API: stats, per-track status, DELETE.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn stats_status_and_clear() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    synthetic_wav(&music.path().join("a.wav"), 44100, 7.0, 440.0);
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.tracks().await[0]["id"].as_i64().unwrap();

    let stats = ts.get_json("/api/cache/stats").await;
    for key in [
        "tier1",
        "tier2",
        "hit_rate",
        "misses",
        "tracks",
        "budget_bytes",
        "max_tracks",
    ] {
        assert!(stats.get(key).is_some(), "stats lack {key}: {stats}");
    }
    for key in ["hits", "misses", "chunks", "bytes"] {
        assert!(stats["tier1"].get(key).is_some() && stats["tier2"].get(key).is_some());
    }
    assert_eq!(stats["budget_bytes"], 1u64 << 30);
    assert_eq!(stats["max_tracks"], 2);

    let status = ts.get_json(&format!("/api/cache/track/{id}")).await;
    assert_eq!(status["track_id"], id);
    assert_eq!(status["total_chunks"], 3);
    assert_eq!(status["cached"], json!({"original": 0, "adaptive": 0}));
    assert_eq!(status["percent"], 0.0);
    assert_eq!(status["fully_cached"], false);
    assert_eq!(status["seconds_to_full"], Value::Null);

    let pos = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": id, "position_s": 1.0}),
        )
        .await;
    assert_eq!(pos.status(), 204);
    let full = ts.wait_cache(id, |s| s["fully_cached"] == true).await;
    assert_eq!(full["cached"], json!({"original": 3, "adaptive": 3}));
    assert!(full["seconds_to_full"].as_f64().unwrap() >= 0.0);
    let stats = ts.get_json("/api/cache/stats").await;
    assert_eq!(stats["tier2"]["chunks"], 6);
    assert!(stats["tier2"]["bytes"].as_u64().unwrap() > 0);
    assert_eq!(stats["tracks"], 1);

    let resp = ts.client.delete(ts.url("/api/cache")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    let stats = ts.get_json("/api/cache/stats").await;
    assert_eq!(stats["tier2"]["chunks"], 0, "{stats}");
    assert_eq!(stats["tier1"]["chunks"], 0, "{stats}");
    let status = ts.get_json(&format!("/api/cache/track/{id}")).await;
    assert_eq!(status["fully_cached"], false);
    let r = ts
        .get(&format!("/api/stream/{id}/chunk/0?variant=original"))
        .await;
    assert_eq!(r.headers()["x-cache-tier"], "miss");

    let missing = ts.get("/api/cache/track/999999").await;
    assert_eq!(missing.status(), 404);
    ts.shutdown().await;
}
