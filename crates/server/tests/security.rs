//! A server that is safe to reach from a network, tried as an attacker would: a foreign Host
//! (DNS rebinding), cross-site writes riding on the cookie, stalled connections and piles of
//! event streams, a second server on the same data folder, a damaged database, a file deleted
//! after the scan, answers that could leak this machine's paths.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::*;
use serde_json::{json, Value};

/// Sends a raw HTTP/1.1 request (any Host header) and returns the status line's code.
async fn raw_status(addr: &str, request: &str) -> u16 {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(DEADLINE, s.read(&mut buf))
        .await
        .expect("no answer")
        .unwrap();
    let line = String::from_utf8_lossy(&buf[..n]);
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn addr_of(ts: &TestServer) -> String {
    ts.base.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn foreign_hosts_get_421_and_known_ones_are_answered() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut c = config(music.path(), data.path());
    c.public_hosts = vec!["music.example.org".into()];
    let ts = TestServer::start_with(c).await;
    let addr = addr_of(&ts);
    let port = addr.rsplit(':').next().unwrap().to_string();
    let get = |host: String| {
        let request =
            format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let addr = addr.clone();
        async move { raw_status(&addr, &request).await }
    };
    assert_eq!(get(format!("evil.example:{port}")).await, 421);
    assert_eq!(
        get("192.168.1.99".into()).await,
        421,
        "bound to loopback: LAN addresses are not ours"
    );
    for ok in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "music.example.org".to_string(),
    ] {
        assert_eq!(get(ok.clone()).await, 200, "{ok}");
    }
    // The rebinding attack of the issue: a DELETE under a foreign Host never reaches the cache.
    let req = format!(
        "DELETE /api/cache HTTP/1.1\r\nHost: evil.example:{port}\r\nCookie: {}\r\nConnection: close\r\n\r\n",
        ts.cookie
    );
    assert_eq!(raw_status(&addr, &req).await, 421);
    ts.shutdown().await;
}

#[tokio::test]
async fn cross_site_writes_with_the_cookie_are_refused() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let toggle = ts.url("/api/enhancement/toggle");
    // What a page on another site can make the browser send: a text/plain form post with the
    // user's cookie and the browser's own headers.
    let r = ts
        .client
        .post(&toggle)
        .header("content-type", "text/plain")
        .header("origin", "http://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body(r#"{"enabled": false}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "cross_site");
    // Also with JSON, and from an old browser that sends only Origin.
    let r = ts
        .client
        .post(&toggle)
        .header("origin", "http://evil.example")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        ts.get_json("/api/enhancement").await["enabled"],
        true,
        "nothing changed"
    );
    // The page's own requests pass.
    let r = ts
        .client
        .post(&toggle)
        .header("origin", &ts.base)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A Bearer key alone is not subject to the rule: no browser adds it by itself.
    let key: Value = ts
        .post_json("/api/auth/keys", json!({"name": "app"}))
        .await
        .json()
        .await
        .unwrap();
    let r = ts
        .anon
        .post(&toggle)
        .bearer_auth(key["key"].as_str().unwrap())
        .header("origin", "http://another.app")
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    ts.shutdown().await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    for (client, path) in [
        (&ts.anon, "/"),
        (&ts.anon, "/js/ui.js"),
        (&ts.client, "/api/tracks"),
        (&ts.anon, "/api/tracks"),
        (&ts.anon, "/api/nothing"),
    ] {
        let r = client.get(ts.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
    // Bodies beyond the limit are refused for their size alone (the same body, small, is fine).
    let key = |pad: usize| format!(r#"{{"name": "k", "padding": "{}"}}"#, "x".repeat(pad));
    for (pad, want) in [(100, 201), (2 << 20, 413)] {
        let r = ts
            .client
            .post(ts.url("/api/auth/keys"))
            .header("content-type", "application/json")
            .body(key(pad))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "a body of {pad} bytes");
        if want == 413 {
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["error"], "too_large", "{v}");
        }
    }
    let r = ts
        .client
        .post(ts.url("/api/playlists/import?name=big"))
        .header("content-type", "audio/x-mpegurl")
        .body("a.flac\n".repeat(300_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "too_large", "{v}");
    ts.shutdown().await;
}

/// Raises the soft limit on open files to the hard one (600 sockets on each side).
fn more_open_files() {
    // SAFETY: plain getrlimit/setrlimit on this process.
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_and_event_streams_do_not_starve_the_api_and_are_closed() {
    more_open_files();
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut c = config(music.path(), data.path());
    // A short header-read timeout keeps the test quick (the default is 30 s).
    c.header_read_timeout = Duration::from_secs(3);
    c.event_streams_per_user = 300;
    let ts = TestServer::start_with(c).await;
    let addr = addr_of(&ts);
    // 400 connections that send half a request and stall.
    let stalled: Vec<TcpStream> = (0..400)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    // 200 event streams, open and idle.
    let mut streams = Vec::new();
    for _ in 0..200 {
        let r = ts.get("/api/events").await;
        assert_eq!(r.status(), 200);
        streams.push(r);
    }
    // The API still answers, promptly (a bound with a wide margin: this is a liveness check;
    // the figure itself is in BENCHMARKS.md).
    let t = Instant::now();
    let r = ts.get("/api/tracks").await;
    let took = t.elapsed();
    assert_eq!(r.status(), 200);
    assert!(took < Duration::from_secs(1), "API call took {took:?}");
    // Past the cap, a stream is refused with 503.
    let mut more = Vec::new();
    let refused = loop {
        let r = ts.get("/api/events").await;
        if r.status() == 503 {
            break r;
        }
        more.push(r);
        assert!(more.len() <= 100, "no cap on event streams");
    };
    assert!(retry_after(&refused) >= 1);
    // Every stalled connection is closed by the server (EOF), within a minute.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut open = 0;
    for mut s in stalled {
        let left = deadline.saturating_duration_since(Instant::now());
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            // EOF, or a 408 the server sends before closing: either way it let go.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(_) => open += 1,
        }
    }
    assert_eq!(
        open, 0,
        "{open} stalled connections still open after a minute"
    );
    drop(streams);
    drop(more);
    ts.shutdown().await;
}

/// Reads a raw connection until the server closes it (EOF or reset), within DEADLINE; what it
/// sent before closing.
async fn read_until_closed(s: &mut tokio::net::TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(DEADLINE, s.read(&mut buf))
            .await
            .expect("the server never closed the connection")
        {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{e}"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// An API call whose body never finishes arriving gets 408 after the request timeout; an event
/// stream open for longer still delivers events; a keep-alive connection left idle after its
/// answer is closed after the header-read timeout.
#[tokio::test]
async fn slow_api_calls_time_out_and_idle_connections_close_but_event_streams_live_on() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut c = config(music.path(), data.path());
    c.request_timeout = Duration::from_secs(1);
    c.header_read_timeout = Duration::from_secs(2);
    let ts = TestServer::start_with(c).await;
    let addr = addr_of(&ts);
    let mut events = Events::open(&ts).await;

    // Headers complete, the body promised 100 bytes and sends 10.
    let started = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/auth/keys HTTP/1.1\r\nHost: localhost\r\nCookie: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": ",
        ts.cookie
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut slow).await;
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(waited >= Duration::from_secs(1), "408 after {waited:?}");

    // The event stream opened before that call outlived the request timeout.
    let r = ts
        .post_json("/api/enhancement/toggle", json!({"enabled": false}))
        .await;
    assert_eq!(r.status(), 200);
    let event = events.until("enhancement", |v| v["enabled"] == false).await;
    assert!(
        event.is_some(),
        "the event stream died with the request timeout"
    );

    // A keep-alive connection: one answer, then idle until the server lets it go.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut idle).await;
    let idle_for = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        idle_for >= Duration::from_secs(2),
        "closed after {idle_for:?}, before the timeout"
    );
    ts.shutdown().await;
}

#[tokio::test]
async fn one_server_per_data_folder() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let second = auralis_server::Server::start(config(music.path(), data.path())).await;
    let e = second.err().expect("the second server must not start");
    assert!(
        e.to_string().contains("already using the data folder"),
        "{e}"
    );
    // The first is untouched.
    assert_eq!(ts.get("/api/tracks").await.status(), 200);
    ts.shutdown().await;
}

#[tokio::test]
async fn a_damaged_database_is_one_clear_error() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("library.sqlite"), vec![0x5au8; 8192]).unwrap();
    let e = auralis_server::Server::start(config(music.path(), data.path()))
        .await
        .err()
        .expect("a damaged database must not open");
    let text = e.to_string();
    assert!(
        text.contains("not a readable Auralis library database"),
        "{text}"
    );
    assert!(text.contains("move it aside"), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[tokio::test]
async fn a_file_deleted_after_the_scan_is_404_and_answers_never_name_this_machines_paths() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let root = music.path().canonicalize().unwrap();
    let root = root.to_string_lossy().to_string();
    let theme = ts.track_id("Theme").await;
    std::fs::remove_file(music.path().join("Artist A/Album A/02 Theme.flac")).unwrap();
    let r = ts
        .get(&format!("/api/stream/{theme}/chunk/0?variant=original"))
        .await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("rescan"), "{message}");
    assert!(!message.contains(&root), "{message}");
    // Nothing else names the music folder either: the corrupt file's error, the unreadable list.
    let corrupt = ts.track_id("Corrupt").await;
    for path in [
        format!("/api/stream/{corrupt}/chunk/0?variant=original"),
        format!("/api/stream/{corrupt}/metadata"),
        format!("/api/stream/{theme}/metadata"),
        format!("/api/tracks/{theme}/artwork"),
        "/api/library/unreadable".to_string(),
        "/api/library/scan".to_string(),
        "/api/tracks?limit=1000".to_string(),
    ] {
        let text = ts.get(&path).await.text().await.unwrap();
        assert!(!text.contains(&root), "{path}: {text}");
    }
    ts.shutdown().await;
}
