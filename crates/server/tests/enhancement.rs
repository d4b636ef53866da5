//! Enhancement API: get, toggle (flip and explicit), preset, intensity, validation, and
//! persistence across a restart.

mod common;

use common::*;
use serde_json::{json, Value};

async fn post(ts: &TestServer, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = ts.client.post(ts.url(path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn enhancement_state_and_persistence() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    synthetic_wav(&music.path().join("a.wav"), 44100, 2.0, 440.0);
    let ts = TestServer::start(music.path(), data.path()).await;

    let state = ts.get_json("/api/enhancement").await;
    assert_eq!(
        state,
        json!({"enabled": true, "preset": "adaptive", "intensity": 1.0, "loudness": "track"})
    );

    // Toggle without a body flips; with a body sets.
    let (s, v) = post(&ts, "/api/enhancement/toggle", None).await;
    assert_eq!((s, v["enabled"].clone()), (200, json!(false)));
    let (s, v) = post(&ts, "/api/enhancement/toggle", None).await;
    assert_eq!((s, v["enabled"].clone()), (200, json!(true)));
    let (_, v) = post(
        &ts,
        "/api/enhancement/toggle",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(v["enabled"], false);
    let (_, v) = post(
        &ts,
        "/api/enhancement/toggle",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(v["enabled"], false);
    let (_, v) = post(&ts, "/api/enhancement/toggle", Some(json!({}))).await;
    assert_eq!(v["enabled"], true, "an empty object flips");
    let (_, v) = post(
        &ts,
        "/api/enhancement/toggle",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(v["enabled"], false);

    // Presets.
    for p in ["gentle", "warm", "bright", "punchy", "adaptive", "warm"] {
        let (s, v) = post(&ts, "/api/enhancement/preset", Some(json!({"preset": p}))).await;
        assert_eq!(s, 200);
        assert_eq!(v["preset"], p);
    }
    let (s, v) = post(
        &ts,
        "/api/enhancement/preset",
        Some(json!({"preset": "loudest"})),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"], "bad_request");
    assert!(v["message"].as_str().unwrap().contains("loudest"));
    let (s, _) = post(
        &ts,
        "/api/enhancement/preset",
        Some(json!({"name": "warm"})),
    )
    .await;
    assert_eq!(s, 400);

    // Intensity.
    let (s, v) = post(
        &ts,
        "/api/enhancement/intensity",
        Some(json!({"intensity": 0.5})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["intensity"], 0.5);
    for bad in [
        json!({"intensity": 1.5}),
        json!({"intensity": -0.1}),
        json!({"intensity": "x"}),
    ] {
        let (s, v) = post(&ts, "/api/enhancement/intensity", Some(bad.clone())).await;
        assert_eq!(s, 400, "{bad}");
        assert_eq!(v["error"], "bad_request");
    }
    let (s, _) = post(
        &ts,
        "/api/enhancement/intensity",
        Some(json!({"intensity": 0.0})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, v) = post(
        &ts,
        "/api/enhancement/intensity",
        Some(json!({"intensity": 0.25})),
    )
    .await;
    let expected =
        json!({"enabled": false, "preset": "warm", "intensity": 0.25, "loudness": "track"});
    assert_eq!(v, expected);
    assert_eq!(ts.get_json("/api/enhancement").await, expected);

    // Persisted across a restart.
    ts.shutdown().await;
    let ts = TestServer::start(music.path(), data.path()).await;
    assert_eq!(ts.get_json("/api/enhancement").await, expected);
    ts.shutdown().await;
}

/// A data folder from before accounts holds one global state: every user starts from it until
/// they change their own, and one user's change leaves it (and the others) alone.
#[tokio::test]
async fn users_start_from_the_state_before_accounts() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    synthetic_wav(&music.path().join("a.wav"), 44100, 2.0, 440.0);
    let legacy = json!({"enabled": false, "preset": "punchy", "intensity": 0.5});
    {
        let library =
            auralis_library::Library::open(data.path().join(auralis_server::config::LIBRARY_FILE))
                .unwrap();
        library
            .set_setting("enhancement", &legacy.to_string())
            .unwrap();
    }
    let ts = TestServer::start(music.path(), data.path()).await;
    let inherited =
        json!({"enabled": false, "preset": "punchy", "intensity": 0.5, "loudness": "track"});
    assert_eq!(ts.get_json("/api/enhancement").await, inherited);
    let bob = ts.add_user("bob", "bob-password-1", false).await;
    let url = ts.url("/api/enhancement");
    assert_eq!(get_json_as(&bob, &url).await, inherited);

    let r = post_json_as(
        &bob,
        &ts.url("/api/enhancement/preset"),
        json!({"preset": "warm"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(get_json_as(&bob, &url).await["preset"], "warm");
    assert_eq!(ts.get_json("/api/enhancement").await, inherited);
    ts.shutdown().await;
}
