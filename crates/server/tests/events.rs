//! `/api/events`: cache events (chunk cached, track progress, track cached, evicted), scan
//! progress and enhancement changes, as Server-Sent Events.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn events_over_sse() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for (i, f) in [440.0, 550.0, 660.0].iter().enumerate() {
        synthetic_wav(&music.path().join(format!("t{i}.wav")), 44100, 4.0, *f);
    }
    let mut config = config(music.path(), data.path());
    config.tier2_tracks = 1;
    let ts = TestServer::start_with(config).await;
    let ids: Vec<i64> = ts
        .tracks()
        .await
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    let mut events = Events::open(&ts).await;

    // Enhancement changes.
    ts.post_json("/api/enhancement/preset", json!({"preset": "punchy"}))
        .await;
    let e = events
        .until("enhancement", |_| true)
        .await
        .expect("enhancement event");
    assert_eq!(
        e,
        json!({"enabled": true, "preset": "punchy", "intensity": 1.0, "loudness": "track"})
    );

    // Scan progress, ending idle with a report.
    ts.start_scan().await;
    let e = events
        .until("scan", |s| s["running"] == false)
        .await
        .expect("scan event");
    assert_eq!(e["phase"], "idle");
    assert_eq!(e["last_report"]["unchanged"], 3);

    // Playing a track: chunks cached, progress, fully cached.
    ts.post_json(
        "/api/player/position",
        json!({"track_id": ids[0], "position_s": 0.0}),
    )
    .await;
    let e = events
        .until("chunk_cached", |e| e["track_id"] == ids[0])
        .await
        .expect("chunk_cached");
    assert!(["tier1", "tier2"].contains(&e["tier"].as_str().unwrap()));
    assert!(["original", "punchy"].contains(&e["variant"].as_str().unwrap()));
    let e = events
        .until("track_progress", |e| e["track_id"] == ids[0])
        .await
        .expect("track_progress");
    assert_eq!(e["total_chunks"], 2);
    events
        .until("track_cached", |e| e["track_id"] == ids[0])
        .await
        .expect("track_cached");

    // Playing two more tracks with room for one in tier 2 evicts the first.
    ts.post_json(
        "/api/player/position",
        json!({"track_id": ids[1], "position_s": 0.0}),
    )
    .await;
    events
        .until("track_cached", |e| e["track_id"] == ids[1])
        .await
        .expect("second track cached");
    ts.post_json(
        "/api/player/position",
        json!({"track_id": ids[2], "position_s": 0.0}),
    )
    .await;
    events
        .until("evicted", |e| {
            e["track_id"] == ids[0] || e["track_id"] == ids[1]
        })
        .await
        .expect("evicted");
    ts.shutdown().await;
}
