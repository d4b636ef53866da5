//! Loudness through the real server: the level-match gain of `/api/stream/{id}/metadata`
//! against a measurement of the two variants' chunks, album mode on a three-track album (one
//! gain, relative loudness kept, its own cache entries), the loudness setting and what the
//! cache prefetches for a listener in album mode.

mod common;

use std::path::Path;

use auralis_encode::BitDepth;
use common::*;
use lofty::config::WriteOptions;
use lofty::prelude::*;
use lofty::tag::{Tag, TagType};
use serde_json::{json, Value};

/// Decodes one FLAC chunk as the player would.
fn decode(bytes: &[u8]) -> (Vec<[f32; 2]>, u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chunk.flac");
    std::fs::write(&path, bytes).unwrap();
    let mut source = auralis_source::Source::open(&path).unwrap();
    let rate = source.info().rate;
    (source.read_all().unwrap(), rate)
}

/// Every chunk of a track as `query` asks for it: the raw chunks and the decoded whole.
async fn whole(ts: &TestServer, id: i64, query: &str) -> (Vec<Vec<u8>>, Vec<[f32; 2]>, u32) {
    let meta = ts.get_json(&format!("/api/stream/{id}/metadata")).await;
    let chunks = meta["total_chunks"].as_u64().unwrap();
    let (mut raw, mut frames, mut rate) = (Vec::new(), Vec::new(), 0);
    for n in 0..chunks {
        let resp = ts.get(&format!("/api/stream/{id}/chunk/{n}?{query}")).await;
        assert_eq!(resp.status(), 200, "chunk {n} of {id} ?{query}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        let (f, r) = decode(&bytes);
        frames.extend_from_slice(&f);
        rate = r;
        raw.push(bytes);
    }
    assert_eq!(frames.len() as u64, meta["total_samples"].as_u64().unwrap());
    (raw, frames, rate)
}

/// Integrated loudness (LUFS) by the project's BS.1770 meter.
fn lufs(frames: &[[f32; 2]], rate: u32) -> f64 {
    auralis_analysis::analyze(frames, rate).integrated_lufs
}

async fn level_match(ts: &TestServer, id: i64, query: &str) -> f64 {
    let meta = ts
        .get_json(&format!("/api/stream/{id}/metadata{query}"))
        .await;
    meta["level_match_db"]
        .as_f64()
        .unwrap_or_else(|| panic!("no level_match_db in {meta}"))
}

#[tokio::test]
async fn level_match_db_is_the_measured_difference_of_the_two_variants() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.track_id("Theme").await;

    let (_, original, rate) = whole(&ts, id, "variant=original").await;
    let original_lufs = lufs(&original, rate);
    for preset in ["adaptive", "warm", "punchy"] {
        let gain = level_match(&ts, id, &format!("?preset={preset}")).await;
        let (_, processed, _) = whole(&ts, id, &format!("variant=processed&preset={preset}")).await;
        let measured = lufs(&processed, rate) - original_lufs;
        println!("{preset}: level_match_db {gain:.3}, measured {measured:.3}");
        assert!(
            (measured - gain).abs() < 0.3,
            "{preset}: level_match_db {gain:.3} dB, measured difference {measured:.3} dB"
        );
    }

    // Without a preset: the caller's current one.
    let adaptive = level_match(&ts, id, "?preset=adaptive").await;
    let warm = level_match(&ts, id, "?preset=warm").await;
    assert_eq!(level_match(&ts, id, "").await, adaptive);
    let r = ts
        .post_json("/api/enhancement/preset", json!({"preset": "warm"}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(level_match(&ts, id, "").await, warm);

    // Bad parameters are refused.
    for bad in ["?preset=loud", "?loudness=Album", "?loudness=both"] {
        let r = ts.get(&format!("/api/stream/{id}/metadata{bad}")).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    ts.shutdown().await;
}

/// Writes `frames` as a tagged 16-bit FLAC track of album "Trio".
fn trio_track(dest: &Path, frames: &[[f32; 2]], rate: u32, title: &str, track: u32) {
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let bytes = auralis_encode::encode_flac(frames, rate, BitDepth::Sixteen, 0, false).unwrap();
    std::fs::write(dest, bytes).unwrap();
    let mut tag = Tag::new(TagType::VorbisComments);
    tag.set_title(title.to_string());
    tag.set_artist("Trio Artist".to_string());
    tag.set_album("Trio".to_string());
    tag.set_track(track);
    tag.insert_text(ItemKey::AlbumArtist, "Trio Artist".to_string());
    tag.save_to_path(dest, WriteOptions::default()).unwrap();
}

/// A three-track album: two fixture passages as they are, and a quiet interlude (a fixture
/// passage 12 dB down).
fn trio_album(music: &Path) {
    let read = |name: &str| {
        let mut s = auralis_source::Source::open(&fixture(name)).unwrap();
        let rate = s.info().rate;
        (s.read_all().unwrap(), rate)
    };
    let dir = music.join("Trio Artist/Trio");
    let (a, rate_a) = read("drascula-track2-20s.flac");
    trio_track(&dir.join("01 Opening.flac"), &a, rate_a, "Opening", 1);
    let (b, rate_b) = read("drascula-track1-8s.flac");
    let quiet = 10f32.powf(-12.0 / 20.0);
    let b_quiet: Vec<[f32; 2]> = b.iter().map(|[l, r]| [l * quiet, r * quiet]).collect();
    trio_track(
        &dir.join("02 Interlude.flac"),
        &b_quiet,
        rate_b,
        "Interlude",
        2,
    );
    let (c, rate_c) = read("drascula-track11-20s.flac");
    trio_track(&dir.join("03 Finale.flac"), &c, rate_c, "Finale", 3);
}

#[tokio::test]
async fn album_mode_masters_an_album_at_one_gain() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    trio_album(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;

    let mut album_gains = Vec::new();
    let mut track_gains = Vec::new();
    let mut album_out = Vec::new();
    let mut album_rate = 0;
    for title in ["Opening", "Interlude", "Finale"] {
        let id = ts.track_id(title).await;
        let (orig_raw, original, rate) = whole(&ts, id, "variant=original").await;
        let (album_raw, album, _) =
            whole(&ts, id, "variant=processed&preset=adaptive&loudness=album").await;
        let (track_raw, track, _) =
            whole(&ts, id, "variant=processed&preset=adaptive&loudness=track").await;
        let (default_raw, _, _) = whole(&ts, id, "variant=processed&preset=adaptive").await;
        // The loudness mode is part of what a chunk is: its own bytes, the original untouched,
        // and no parameter means track mode (a URL always names the same bytes).
        assert_eq!(default_raw, track_raw, "{title}");
        assert_ne!(
            album_raw, track_raw,
            "{title}: album and track chunks are the same"
        );
        let (orig_again, _, _) = whole(&ts, id, "variant=original&loudness=album").await;
        assert_eq!(orig_again, orig_raw, "{title}");

        let o = lufs(&original, rate);
        let (a, t) = (lufs(&album, rate), lufs(&track, rate));
        println!("{title}: original {o:.2}, album {a:.2}, track {t:.2} LUFS");
        album_gains.push(a - o);
        track_gains.push(t - o);
        // The level match honours the loudness mode.
        let lm = level_match(&ts, id, "?preset=adaptive&loudness=album").await;
        assert!(
            (lm - (a - o)).abs() < 0.3,
            "{title}: album level_match_db {lm:.3}, measured {:.3}",
            a - o
        );
        album_out.extend_from_slice(&album);
        album_rate = rate;
    }
    // One gain for the album: the tracks keep their relative loudness within 1 LU.
    let spread = |g: &[f64]| {
        g.iter().cloned().fold(f64::MIN, f64::max) - g.iter().cloned().fold(f64::MAX, f64::min)
    };
    println!("album gains {album_gains:.2?}, track gains {track_gains:.2?}");
    assert!(
        spread(&album_gains) < 1.0,
        "album mode changed the tracks' relative loudness: gains {album_gains:?}"
    );
    // Track mode would have lifted the interlude to the others' level.
    assert!(
        track_gains[1] - album_gains[1] > 6.0,
        "track mode should lift the quiet interlude: track {track_gains:?}, album {album_gains:?}"
    );
    // The album as a whole sits on the preset's target (-14 LUFS).
    let whole_album = lufs(&album_out, album_rate);
    println!("whole album in album mode: {whole_album:.2} LUFS");
    assert!(
        (whole_album + 14.0).abs() < 0.5,
        "album at {whole_album:.2} LUFS"
    );
    ts.shutdown().await;
}

#[tokio::test]
async fn the_loudness_setting_round_trips_and_the_cache_prefetches_what_is_played() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let theme = ts.track_id("Theme").await;
    let intro = ts.track_id("Intro").await;

    assert_eq!(ts.get_json("/api/enhancement").await["loudness"], "track");
    let mut events = Events::open(&ts).await;
    let r = ts
        .post_json("/api/enhancement/loudness", json!({"mode": "album"}))
        .await;
    assert_eq!(r.status(), 200);
    let state: Value = r.json().await.unwrap();
    assert_eq!(state["loudness"], "album");
    let announced = events
        .until("enhancement", |v| v["loudness"] == "album")
        .await;
    assert!(announced.is_some(), "no enhancement event");
    assert_eq!(ts.get_json("/api/enhancement").await["loudness"], "album");
    for bad in [
        json!({"mode": "Album"}),
        json!({"mode": "loud"}),
        json!({"mode": ""}),
        json!({"mode": 3}),
        json!({}),
    ] {
        let r = ts.post_json("/api/enhancement/loudness", bad.clone()).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    assert_eq!(ts.get_json("/api/enhancement").await["loudness"], "album");

    // A chunk request names its mode itself; a bad one is refused.
    let r = ts
        .get(&format!("/api/stream/{theme}/chunk/0?loudness=loud"))
        .await;
    assert_eq!(r.status(), 400);

    // A listener reporting without a mode plays the user's (album): the cache prefetches the
    // album variant for it.
    let r = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": theme, "position_s": 0.0, "listener": "tab-a"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let got = events
        .until("chunk_cached", |v| {
            v["track_id"] == theme && v["variant"] == "adaptive.album"
        })
        .await;
    assert!(got.is_some(), "the album variant was not prefetched");
    // The track's cache status follows the user's mode: the worker fills the whole track in
    // the album variant, and that is what completion counts.
    let status = ts.wait_cache(theme, |s| s["fully_cached"] == true).await;
    assert_eq!(status["loudness"], "album");
    assert_eq!(status["cached"]["adaptive.album"], status["total_chunks"]);
    assert_eq!(status["cached"]["original"], status["total_chunks"]);
    // One that says track mode gets the track variant.
    let r = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": intro, "position_s": 0.0, "listener": "tab-b", "loudness": "track"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let got = events
        .until("chunk_cached", |v| {
            v["track_id"] == intro && v["variant"] == "adaptive"
        })
        .await;
    assert!(got.is_some(), "the track variant was not prefetched");
    let r = ts
        .post_json(
            "/api/player/position",
            json!({"track_id": intro, "position_s": 0.0, "loudness": "both"}),
        )
        .await;
    assert_eq!(r.status(), 400);

    // Persisted across a restart.
    ts.shutdown().await;
    let ts = TestServer::start(music.path(), data.path()).await;
    assert_eq!(ts.get_json("/api/enhancement").await["loudness"], "album");
    ts.shutdown().await;
}
