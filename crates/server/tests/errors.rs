//! Bad requests of every kind get the JSON error shape and the right status; path traversal
//! goes nowhere; the OpenAPI document and the player's files are served.

mod common;

use common::*;
use serde_json::{json, Value};

async fn expect_error(ts: &TestServer, resp: reqwest::Response, status: u16, code: &str) -> Value {
    let url = resp.url().to_string();
    let ct = resp.headers()["content-type"].clone();
    assert_eq!(ct, "application/json", "{url}");
    let got = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(got, status, "{url}: {body}");
    assert_eq!(body["error"], code, "{url}: {body}");
    assert!(!body["message"].as_str().unwrap().is_empty());
    let _ = ts;
    body
}

#[tokio::test]
async fn bad_requests() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    synthetic_wav(&music.path().join("a.wav"), 44100, 4.0, 440.0);
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.tracks().await[0]["id"].as_i64().unwrap();

    // Unknown ids and chunks out of range: 404.
    for path in [
        "/api/tracks/999999".to_string(),
        "/api/tracks/999999/artwork".into(),
        "/api/albums/999999".into(),
        "/api/stream/999999/metadata".into(),
        "/api/stream/999999/chunk/0".into(),
        "/api/cache/track/999999".into(),
        format!("/api/stream/{id}/chunk/2"),
        format!("/api/stream/{id}/chunk/18446744073709551615"),
        "/api/nothing-here".into(),
        "/api".into(),
    ] {
        expect_error(&ts, ts.get(&path).await, 404, "not_found").await;
    }

    // Malformed parameters: 400, including axum's own rejections.
    for path in [
        "/api/tracks/abc".to_string(),
        "/api/tracks/1.5".into(),
        "/api/tracks/99999999999999999999999".into(),
        "/api/albums/x".into(),
        "/api/stream/abc/metadata".into(),
        format!("/api/stream/{id}/chunk/-1"),
        format!("/api/stream/{id}/chunk/zero"),
        format!("/api/stream/{id}/chunk/0?variant=both"),
        format!("/api/stream/{id}/chunk/0?variant=processed&preset=LOUD"),
        "/api/tracks?limit=0".into(),
        "/api/tracks?limit=1001".into(),
        "/api/tracks?limit=ten".into(),
        "/api/tracks?offset=-1".into(),
        // Path traversal attempts never reach the file system.
        "/api/stream/..%2f..%2fetc%2fpasswd/metadata".into(),
        "/api/stream/%2e%2e%2f%2e%2e%2fetc%2fpasswd/chunk/0".into(),
        "/api/tracks/..%2F..%2Fetc%2Fpasswd/artwork".into(),
        "/api/cache/track/..%2f..%2fetc%2fpasswd".into(),
    ] {
        expect_error(&ts, ts.get(&path).await, 400, "bad_request").await;
    }
    for path in [
        "/..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/etc/passwd",
        "/js/../../Cargo.toml",
    ] {
        let resp = ts.get(path).await;
        assert_eq!(resp.status(), 404, "{path}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("root:"), "{path}");
    }

    // Bodies.
    let pos = "/api/player/position";
    let bad_bodies = [
        json!({"track_id": id}),
        json!({"track_id": "one", "position_s": 0.0}),
        json!({"track_id": id, "position_s": -1.0}),
        json!("just a string"),
    ];
    for body in bad_bodies {
        expect_error(&ts, ts.post_json(pos, body).await, 400, "bad_request").await;
    }
    let resp = ts
        .client
        .post(ts.url(pos))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(&ts, resp, 400, "bad_request").await;
    let resp = ts
        .client
        .post(ts.url(pos))
        .body(r#"{"track_id": 1, "position_s": 0}"#)
        .send()
        .await
        .unwrap();
    expect_error(&ts, resp, 415, "unsupported_media_type").await; // no JSON content type
                                                                  // What a cross-site form can send: text/plain. Refused before it is read.
    let resp = ts
        .client
        .post(ts.url("/api/enhancement/toggle"))
        .header("content-type", "text/plain")
        .body(r#"{"enabled": false}"#)
        .send()
        .await
        .unwrap();
    expect_error(&ts, resp, 415, "unsupported_media_type").await;
    let resp = ts
        .client
        .post(ts.url("/api/enhancement/toggle"))
        .header("content-type", "application/json")
        .body("{\"enabled\": 3}")
        .send()
        .await
        .unwrap();
    expect_error(&ts, resp, 400, "bad_request").await;
    expect_error(
        &ts,
        ts.post_json(pos, json!({"track_id": 999999, "position_s": 0.0}))
            .await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        &ts,
        ts.post_json(
            pos,
            json!({"track_id": id, "position_s": 0.0, "next_track_id": 999999}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // Past the end: the playhead is clamped to the last chunk.
    let resp = ts
        .post_json(pos, json!({"track_id": id, "position_s": 1e9}))
        .await;
    assert_eq!(resp.status(), 204);

    // Wrong method.
    let resp = ts
        .client
        .delete(ts.url("/api/tracks"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");

    // The server is still fine.
    assert_eq!(ts.get("/api/health").await.status(), 200);
    ts.shutdown().await;
}

#[tokio::test]
async fn openapi_and_player_files() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;

    let doc = ts.get_json("/api/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/health", "get"),
        ("/api/tracks", "get"),
        ("/api/tracks/{id}", "get"),
        ("/api/tracks/{id}/artwork", "get"),
        ("/api/albums", "get"),
        ("/api/albums/{id}", "get"),
        ("/api/artists", "get"),
        ("/api/library/scan", "get"),
        ("/api/library/scan", "post"),
        ("/api/stream/{id}/metadata", "get"),
        ("/api/stream/{id}/chunk/{n}", "get"),
        ("/api/player/position", "post"),
        ("/api/enhancement", "get"),
        ("/api/enhancement/toggle", "post"),
        ("/api/enhancement/preset", "post"),
        ("/api/enhancement/intensity", "post"),
        ("/api/cache/stats", "get"),
        ("/api/cache/track/{id}", "get"),
        ("/api/cache", "delete"),
        ("/api/events", "get"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }

    // The player: index.html at /, other files at their path, with a content type.
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    if web.join("index.html").exists() {
        let resp = ts.get("/").await;
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let etag = resp.headers()["etag"].clone();
        let again = ts
            .client
            .get(ts.url("/"))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        let resp = ts.get("/index.html").await;
        assert_eq!(resp.status(), 200);
    }
    for entry in walk(&web) {
        let rel = entry
            .strip_prefix(&web)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let resp = ts.get(&format!("/{rel}")).await;
        if resp.status() == 404 {
            continue; // added after this binary was built
        }
        assert_eq!(resp.status(), 200, "{rel}");
        if rel.ends_with(".js") {
            let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
            assert!(ct.contains("javascript"), "{rel}: {ct}");
        }
    }
    let missing = ts.get("/no-such-file.js").await;
    assert_eq!(missing.status(), 404);
    ts.shutdown().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
