//! Library API: health, tracks (search, paging), track, albums, album order, artists,
//! artwork, scan progress, and a rescan after adding and deleting files.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn library_endpoints() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    // Not audio at all: the scan lists it as unreadable and goes on.
    std::fs::write(music.path().join("notes.mp3"), b"this is not an mp3 file").unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;

    let health = ts.get_json("/api/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], "0.1.0");
    assert_eq!(health["tracks"], 7, "{health}");

    let unreadable = ts.get_json("/api/library/unreadable").await;
    let items = unreadable["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{unreadable}");
    assert_eq!(items[0]["path"], "notes.mp3");
    assert!(
        !items[0]["reason"].as_str().unwrap().is_empty(),
        "{unreadable}"
    );

    // Paging.
    let page = ts.get_json("/api/tracks?limit=3&offset=0").await;
    assert_eq!(page["total"], 7);
    assert_eq!(page["limit"], 3);
    assert_eq!(page["offset"], 0);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let rest = ts.get_json("/api/tracks?limit=3&offset=6").await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let default = ts.get_json("/api/tracks").await;
    assert_eq!(default["limit"], 100);

    // Search.
    let found = ts.get_json("/api/tracks?q=theme").await;
    assert_eq!(found["total"], 1);
    let theme = &found["items"][0];
    assert_eq!(theme["title"], "Theme");
    assert_eq!(theme["artist"], "Artist A");
    assert_eq!(theme["album"], "Album A");
    assert_eq!(theme["track_number"], 2);
    assert_eq!(theme["has_artwork"], false);
    let dur = theme["duration_s"].as_f64().unwrap();
    assert!((dur - 20.0).abs() < 0.5, "{dur}");
    for key in [
        "id",
        "title",
        "artist",
        "album",
        "album_artist",
        "album_id",
        "artist_id",
        "track_number",
        "disc_number",
        "year",
        "genre",
        "duration_s",
        "sample_rate",
        "channels",
        "bit_depth",
        "has_artwork",
        "replaygain_track_gain",
        "replaygain_album_gain",
    ] {
        assert!(theme.get(key).is_some(), "Track lacks {key}: {theme}");
    }
    let none = ts.get_json("/api/tracks?q=nothing-like-this").await;
    assert_eq!(none["total"], 0);

    // One track.
    let id = theme["id"].as_i64().unwrap();
    let one = ts.get_json(&format!("/api/tracks/{id}")).await;
    assert_eq!(one, *theme);

    // Albums and the album's tracks in order.
    let albums = ts.get_json("/api/albums").await;
    let album = albums["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Album A")
        .unwrap()
        .clone();
    assert_eq!(album["track_count"], 2);
    assert_eq!(album["artist"], "Artist A");
    assert_eq!(album["has_artwork"], true);
    let album_id = album["id"].as_i64().unwrap();
    let detail = ts.get_json(&format!("/api/albums/{album_id}")).await;
    let titles: Vec<&str> = detail["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Intro", "Theme"]);
    assert_eq!(detail["title"], "Album A");

    // Artists.
    let artists = ts.get_json("/api/artists").await;
    let a = artists["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Artist A")
        .unwrap();
    assert_eq!(a["track_count"], 2);
    assert_eq!(a["album_count"], 1);

    // Artwork: the embedded PNG of "Intro"; none for "Theme".
    let intro = ts.track_id("Intro").await;
    let art = ts.get(&format!("/api/tracks/{intro}/artwork")).await;
    assert_eq!(art.status(), 200);
    assert_eq!(art.headers()["content-type"], "image/png");
    assert_eq!(art.bytes().await.unwrap().as_ref(), PNG);
    let no_art = ts.get(&format!("/api/tracks/{id}/artwork")).await;
    assert_eq!(no_art.status(), 404);
    let body: Value = no_art.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    ts.shutdown().await;
}

#[tokio::test]
async fn rescan_after_adding_and_deleting_files() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let status = ts.get_json("/api/library/scan").await;
    assert_eq!(status["running"], false);
    assert_eq!(status["phase"], "idle");
    assert_eq!(status["last_report"]["added"], 7, "{status}");

    // A rescan with nothing changed.
    let started = ts.start_scan().await;
    assert!(started.get("running").is_some());
    let report = ts.wait_scan_idle().await;
    assert_eq!(report["last_report"]["unchanged"], 7, "{report}");
    assert_eq!(report["last_report"]["added"], 0);

    // Add one file, delete another.
    synthetic_wav(&music.path().join("Synth/new-one.wav"), 44100, 3.0, 330.0);
    std::fs::remove_file(music.path().join("Formats/passage.ogg")).unwrap();
    ts.start_scan().await;
    let report = ts.wait_scan_idle().await;
    let r = &report["last_report"];
    assert_eq!(r["added"], 1, "{report}");
    assert_eq!(r["removed"], 1, "{report}");
    assert_eq!(r["unchanged"], 6, "{report}");
    let health = ts.get_json("/api/health").await;
    assert_eq!(health["tracks"], 7);
    let titles: Vec<Value> = ts
        .tracks()
        .await
        .iter()
        .map(|t| t["title"].clone())
        .collect();
    assert!(titles.contains(&json!("new-one")), "{titles:?}");
    ts.shutdown().await;
}

#[tokio::test]
async fn missing_music_folder_is_reported_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(&tmp.path().join("not-there"), data.path()).await;
    let status = ts.get_json("/api/library/scan").await;
    assert_eq!(status["running"], false);
    assert!(
        status["error"].as_str().unwrap().contains("not-there"),
        "{status}"
    );
    assert_eq!(ts.get_json("/api/health").await["tracks"], 0);
    ts.shutdown().await;
}

/// A library analysed by an older release keeps profiles of an older format (before the
/// loudness calibrations): they are never rendered from, and the next scan analyses those
/// tracks again, so upgraded libraries get the calibrated loudness too.
#[tokio::test]
async fn profiles_of_an_older_analysis_are_analysed_again() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    standard_library(music.path());
    let ts = TestServer::start(music.path(), data.path()).await;
    let id = ts.tracks().await[0]["id"].as_i64().unwrap();
    ts.shutdown().await;

    let db = data.path().join(auralis_server::config::LIBRARY_FILE);
    let library = auralis_library::Library::open(&db).unwrap();
    let version = |json: &str| serde_json::from_str::<Value>(json).unwrap()["version"].clone();
    let stored = library.profile_json(id).unwrap().expect("analysed");
    assert_eq!(version(&stored), json!(auralis_analysis::PROFILE_VERSION));
    let to_analyse = || {
        library
            .tracks_to_analyse(auralis_analysis::PROFILE_VERSION)
            .unwrap()
    };
    assert!(!to_analyse().contains(&id));
    let mut old: Value = serde_json::from_str(&stored).unwrap();
    old["version"] = json!(1);
    old["calibration"] = json!([]);
    library.set_profile_json(id, &old.to_string()).unwrap();
    assert!(to_analyse().contains(&id));
    drop(library);

    let ts = TestServer::start(music.path(), data.path()).await;
    ts.start_scan().await;
    ts.wait_scan_idle().await;
    ts.shutdown().await;
    let library = auralis_library::Library::open(&db).unwrap();
    let again = library.profile_json(id).unwrap().expect("analysed again");
    assert_eq!(version(&again), json!(auralis_analysis::PROFILE_VERSION));
    let calibrated: Value = serde_json::from_str(&again).unwrap();
    assert!(
        !calibrated["calibration"].as_array().unwrap().is_empty(),
        "the new analysis calibrates"
    );
}
