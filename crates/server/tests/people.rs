//! Each user's music through the real server: playlists (order, duplicates, visibility, M3U),
//! favourites, plays counted from listening (and not from prefetching or seeking), history,
//! albums by plays, the saved queue across sessions, lyrics and waveforms; and that none of it
//! leaks to another user.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

async fn ids(ts: &TestServer, titles: &[&str]) -> Vec<i64> {
    let mut out = Vec::new();
    for t in titles {
        out.push(ts.track_id(t).await);
    }
    out
}

fn titles(v: &Value) -> Vec<String> {
    v["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn playlists_order_duplicates_visibility_and_m3u() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let bob = ts.add_user("bob", "bob's password", false).await;
    let [intro, theme, sine] = ids(&ts, &["Intro", "Theme", "sine-44k"]).await[..] else {
        unreachable!()
    };
    let r = ts
        .post_json(
            "/api/playlists",
            json!({"name": "Evening", "comment": "slow ones", "track_ids": [theme, intro, theme]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.unwrap();
    let id = p["id"].as_i64().unwrap();
    assert_eq!(titles(&p), vec!["Theme", "Intro", "Theme"]);
    assert_eq!(
        (p["track_count"].as_u64(), p["mine"].as_bool()),
        (Some(3), Some(true))
    );
    assert_eq!(p["owner"], ADMIN);
    // Reorder (the list replaces the order), make it public.
    let r = ts
        .client
        .put(ts.url(&format!("/api/playlists/{id}")))
        .json(&json!({"track_ids": [sine, theme, sine, intro], "public": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.unwrap();
    assert_eq!(titles(&p), vec!["sine-44k", "Theme", "sine-44k", "Intro"]);
    // Bob sees the public playlist, may play it, may not change it.
    let list: Value = get_json_as(&bob, &ts.url("/api/playlists")).await;
    assert_eq!(list["items"][0]["mine"], false);
    let seen: Value = get_json_as(&bob, &ts.url(&format!("/api/playlists/{id}"))).await;
    assert_eq!(titles(&seen).len(), 4);
    let r = bob
        .put(ts.url(&format!("/api/playlists/{id}")))
        .json(&json!({"name": "Bob's now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        bob.delete(ts.url(&format!("/api/playlists/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // The owner renames it and changes the comment; the order and the rest stay.
    let r = ts
        .client
        .put(ts.url(&format!("/api/playlists/{id}")))
        .json(&json!({"name": "Late evening", "comment": "slower ones"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        (&p["name"], &p["comment"], &p["public"]),
        (&json!("Late evening"), &json!("slower ones"), &json!(true))
    );
    assert_eq!(titles(&p), vec!["sine-44k", "Theme", "sine-44k", "Intro"]);
    let listed = ts.get_json("/api/playlists").await;
    assert_eq!(listed["items"][0]["name"], "Late evening");
    // Private again: gone for bob.
    ts.client
        .put(ts.url(&format!("/api/playlists/{id}")))
        .json(&json!({"public": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bob.get(ts.url(&format!("/api/playlists/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Unknown tracks are refused.
    let r = ts
        .post_json(
            "/api/playlists",
            json!({"name": "Bad", "track_ids": [999999]}),
        )
        .await;
    assert_eq!(r.status(), 404);
    // M3U out: relative paths, EXTINF lines.
    let r = ts.get(&format!("/api/playlists/{id}/m3u")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("audio/x-mpegurl"));
    let m3u = r.text().await.unwrap();
    assert!(m3u.starts_with("#EXTM3U\n"), "{m3u}");
    assert!(
        m3u.contains("#EXTINF:8,Artist A - Intro\nArtist A/Album A/01 Intro.flac\n"),
        "{m3u}"
    );
    let root = music.path().canonicalize().unwrap();
    assert!(!m3u.contains(&*root.to_string_lossy()), "{m3u}");
    // M3U in: the same tracks, in order.
    let import = |name: &str, body: String, kind: &'static str| {
        ts.client
            .post(ts.url(&format!("/api/playlists/import?name={name}")))
            .header("content-type", kind)
            .body(body)
            .send()
    };
    let r = import("Again", m3u.clone(), "audio/x-mpegurl")
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let back: Value = r.json().await.unwrap();
    assert_eq!(
        titles(&back["playlist"]),
        vec!["sine-44k", "Theme", "sine-44k", "Intro"]
    );
    assert_eq!(back["unmatched"], json!([]));
    // Windows line endings, a BOM, an absolute path inside the folder, unknown lines.
    let text = format!(
        "\u{feff}#EXTM3U\r\n{}/Artist A/Album A/02 Theme.flac\r\nnowhere/missing.mp3\r\n#EXTINF:5,x\r\nSynth\\sine-48k.wav\r\n",
        root.display()
    );
    let r = import("Windows", text, "audio/x-mpegurl; charset=utf-8")
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let imported: Value = r.json().await.unwrap();
    assert_eq!(titles(&imported["playlist"]), vec!["Theme", "sine-48k"]);
    assert_eq!(imported["unmatched"], json!(["nowhere/missing.mp3"]));
    assert_eq!(
        import("Plain", m3u, "text/plain").await.unwrap().status(),
        415
    );
    // Delete.
    assert_eq!(
        ts.client
            .delete(ts.url(&format!("/api/playlists/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(ts.get(&format!("/api/playlists/{id}")).await.status(), 404);
    ts.shutdown().await;
}

#[tokio::test]
async fn favourites_are_marked_everywhere_and_only_for_their_user() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let bob = ts.add_user("bob", "bob's password", false).await;
    let intro = ts.track_id("Intro").await;
    let track: Value = ts.get_json(&format!("/api/tracks/{intro}")).await;
    let (album, artist) = (
        track["album_id"].as_i64().unwrap(),
        track["artist_id"].as_i64().unwrap(),
    );
    assert_eq!(track["favorite"], false);
    for path in [
        format!("/api/tracks/{intro}/favorite"),
        format!("/api/albums/{album}/favorite"),
        format!("/api/artists/{artist}/favorite"),
    ] {
        let r = ts.client.put(ts.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 204, "{path}");
    }
    assert_eq!(
        ts.get_json(&format!("/api/tracks/{intro}")).await["favorite"],
        true
    );
    let albums = ts.get_json("/api/albums").await;
    let a = albums["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == album)
        .unwrap();
    assert_eq!(a["favorite"], true);
    let artists = ts.get_json("/api/artists").await;
    let ar = artists["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == artist)
        .unwrap();
    assert_eq!(ar["favorite"], true);
    let album_page = ts.get_json(&format!("/api/albums/{album}")).await;
    assert_eq!(album_page["favorite"], true);
    assert_eq!(album_page["tracks"][0]["favorite"], true);
    let fav = ts.get_json("/api/favorites").await;
    assert_eq!(
        (
            fav["tracks"].as_array().unwrap().len(),
            fav["albums"].as_array().unwrap().len(),
            fav["artists"].as_array().unwrap().len()
        ),
        (1, 1, 1)
    );
    // Bob's view is untouched.
    let bobs: Value = get_json_as(&bob, &ts.url(&format!("/api/tracks/{intro}"))).await;
    assert_eq!(bobs["favorite"], false);
    let bob_fav: Value = get_json_as(&bob, &ts.url("/api/favorites")).await;
    assert_eq!(bob_fav["tracks"], json!([]));
    // Unmark; unknown items are 404.
    let r = ts
        .client
        .delete(ts.url(&format!("/api/tracks/{intro}/favorite")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        ts.get_json(&format!("/api/tracks/{intro}")).await["favorite"],
        false
    );
    for path in [
        format!("/api/albums/{album}/favorite"),
        format!("/api/artists/{artist}/favorite"),
    ] {
        let r = ts.client.delete(ts.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 204, "{path}");
    }
    let fav = ts.get_json("/api/favorites").await;
    assert_eq!(fav, json!({"tracks": [], "albums": [], "artists": []}));
    assert_eq!(
        ts.get_json(&format!("/api/albums/{album}")).await["favorite"],
        false
    );
    let r = ts
        .client
        .put(ts.url("/api/albums/999999/favorite"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    ts.shutdown().await;
}

/// Reports positions of `track` as a player does, one a second of real time.
async fn listen(
    client: &reqwest::Client,
    base: &str,
    listener: &str,
    track: i64,
    positions: &[f64],
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for &p in positions {
        tick.tick().await;
        let r = client
            .post(format!("{base}/api/player/position"))
            .json(&json!({"track_id": track, "position_s": p, "listener": listener}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plays_are_counted_from_listening_only() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // 5 s tracks: half is 2.5 s of listening.
    synthetic_wav(&music.path().join("Album/a.wav"), 48000, 5.0, 220.0);
    synthetic_wav(&music.path().join("Album/b.wav"), 48000, 5.0, 330.0);
    let ts = TestServer::start(music.path(), data.path()).await;
    let bob = ts.add_user("bob", "bob's password", false).await;
    let (a, b) = (ts.track_id("a").await, ts.track_id("b").await);
    let plays = |t: i64| {
        let ts = &ts;
        async move {
            ts.get_json(&format!("/api/tracks/{t}")).await["play_count"]
                .as_u64()
                .unwrap()
        }
    };
    // Prefetching every chunk is not listening.
    for n in 0..2 {
        for v in ["original", "processed"] {
            let r = ts
                .get(&format!("/api/stream/{a}/chunk/{n}?variant={v}&listener=p"))
                .await;
            assert_eq!(r.status(), 200);
        }
    }
    // Seeking around without listening: positions that jump each second, each forward jump over
    // 4.5 s (a step counts as heard up to 1.25 × the time passed + 1.5 s: these stay seeks even
    // if the server sees two updates 2.4 s apart).
    listen(
        &ts.client,
        &ts.base,
        "p",
        a,
        &[0.0, 4.9, 0.1, 4.8, 0.2, 4.7],
    )
    .await;
    assert_eq!(plays(a).await, 0);
    // Listening: 0..3 s in real time (3 s heard > 2.5 s): one play, once.
    listen(&ts.client, &ts.base, "p", b, &[0.0, 1.0, 2.0, 3.0, 4.0]).await;
    assert_eq!(plays(b).await, 1);
    let t: Value = ts.get_json(&format!("/api/tracks/{b}")).await;
    assert!(t["last_played"].as_i64().unwrap() > 0);
    // A second playthrough from the start counts again.
    listen(&ts.client, &ts.base, "p", b, &[0.0, 1.0, 2.0, 3.0]).await;
    assert_eq!(plays(b).await, 2);
    // Bob's listening is bob's.
    listen(&bob, &ts.base, "q", a, &[0.0, 1.0, 2.0, 3.0]).await;
    assert_eq!(plays(a).await, 0);
    let bobs: Value = get_json_as(&bob, &ts.url(&format!("/api/tracks/{a}"))).await;
    assert_eq!(bobs["play_count"], 1);
    // History, newest first; albums by plays.
    let h = ts.get_json("/api/history?limit=10").await;
    assert_eq!(h["total"], 2);
    let played: Vec<_> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["track"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(played, vec![b, b]);
    let bob_history: Value = get_json_as(&bob, &ts.url("/api/history")).await;
    assert_eq!(bob_history["total"], 1);
    // Paging: the second entry alone; limits out of range are refused.
    let second = ts.get_json("/api/history?limit=1&offset=1").await;
    assert_eq!(second["total"], 2);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["played_at"], h["items"][1]["played_at"]);
    assert_eq!(ts.get("/api/history?limit=0").await.status(), 400);
    assert_eq!(ts.get("/api/history?limit=x").await.status(), 400);
    for sort in ["recent", "frequent"] {
        let albums = ts.get_json(&format!("/api/albums?sort={sort}")).await;
        assert_eq!(albums["items"].as_array().unwrap().len(), 1, "{sort}");
    }
    assert_eq!(ts.get("/api/albums?sort=loudest").await.status(), 400);
    ts.shutdown().await;
}

#[tokio::test]
async fn the_queue_follows_the_user_from_one_session_to_another() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let [intro, theme] = ids(&ts, &["Intro", "Theme"]).await[..] else {
        unreachable!()
    };
    let empty = ts.get_json("/api/player/queue").await;
    assert_eq!(
        empty,
        json!({"track_ids": [], "current_index": 0, "position_s": 0.0, "updated_at": null})
    );
    let r = ts
        .client
        .put(ts.url("/api/player/queue"))
        .json(&json!({"track_ids": [theme, intro, theme], "current_index": 1, "position_s": 3.25}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Another session of the same user (another device) finds it.
    let laptop = sign_in(&ts.base, ADMIN, ADMIN_PASSWORD).await;
    let q: Value = get_json_as(&laptop, &ts.url("/api/player/queue")).await;
    assert_eq!(q["track_ids"], json!([theme, intro, theme]));
    assert_eq!(
        (q["current_index"].as_u64(), q["position_s"].as_f64()),
        (Some(1), Some(3.25))
    );
    assert!(q["updated_at"].as_i64().is_some());
    // Not another user.
    let bob = ts.add_user("bob", "bob's password", false).await;
    let bq: Value = get_json_as(&bob, &ts.url("/api/player/queue")).await;
    assert_eq!(bq["track_ids"], json!([]));
    // Nonsense is refused.
    let r = ts
        .client
        .put(ts.url("/api/player/queue"))
        .json(&json!({"track_ids": [intro], "current_index": 3, "position_s": 0.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    ts.shutdown().await;
}

#[tokio::test]
async fn lyrics_and_waveforms() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    std::fs::write(
        music.path().join("Artist A/Album A/01 Intro.lrc"),
        "[ti:Intro]\n[00:01.50]first line\n[00:04.00][00:06.00]again\n",
    )
    .unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let [intro, theme] = ids(&ts, &["Intro", "Theme"]).await[..] else {
        unreachable!()
    };
    let l = ts.get_json(&format!("/api/tracks/{intro}/lyrics")).await;
    assert_eq!(l["synced"], true);
    assert_eq!(l["source"], "lrc");
    let lines: Vec<_> = l["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["start_s"].as_f64().unwrap(),
                x["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (1.5, "first line".into()),
            (4.0, "again".into()),
            (6.0, "again".into())
        ]
    );
    let r = ts.get(&format!("/api/tracks/{theme}/lyrics")).await;
    assert_eq!(r.status(), 404);
    // The scan's analysis stored the waveforms.
    for n in [16usize, 100, 1000, 4000] {
        let w = ts
            .get_json(&format!("/api/tracks/{theme}/waveform?points={n}"))
            .await;
        let peaks = w["peaks"].as_array().unwrap();
        assert_eq!((w["points"].as_u64(), peaks.len()), (Some(n as u64), n));
        assert!(peaks
            .iter()
            .all(|p| (0.0..=1.0).contains(&p.as_f64().unwrap())));
        assert!(
            peaks.iter().any(|p| p.as_f64().unwrap() > 0.05),
            "music, not silence"
        );
    }
    assert_eq!(
        ts.get_json(&format!("/api/tracks/{theme}/waveform")).await["points"],
        1000
    );
    for bad in ["8", "4001", "x"] {
        assert_eq!(
            ts.get(&format!("/api/tracks/{theme}/waveform?points={bad}"))
                .await
                .status(),
            400,
            "{bad}"
        );
    }
    ts.shutdown().await;
}
