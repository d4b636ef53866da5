//! Encoded stream files in tier 2: written whole or not at all, found again after a restart,
//! counted against the byte budget, evicted with their track, never served for a changed file.
mod common;

use auralis_cache::{valid_stream_name, Cache};
use common::*;

async fn write_stream(cache: &Cache, track: auralis_cache::TrackId, name: &str, bytes: &[u8]) {
    let mut w = cache.stream_writer(track, name).await.unwrap();
    let data = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        for part in data.chunks(1000) {
            w.write(part).unwrap();
        }
        w.commit().unwrap()
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_committed_stream_is_found_counted_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    {
        let cache = open(config(dir.path()), &r);
        assert_eq!(cache.stream_file(A, "adaptive.flac").await.unwrap(), None);
        write_stream(&cache, A, "adaptive.flac", &data).await;
        let f = cache
            .stream_file(A, "adaptive.flac")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(f.len, 5000);
        assert_eq!(std::fs::read(&f.path).unwrap(), data);
        assert_eq!(cache.stats().tier2_bytes, 5000);
        // Another name of the same track is another stream.
        assert_eq!(
            cache.stream_file(A, "adaptive.opus-128").await.unwrap(),
            None
        );
    }
    let cache = open(config(dir.path()), &r);
    assert_eq!(cache.stats().tier2_bytes, 5000);
    let f = cache
        .stream_file(A, "adaptive.flac")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(std::fs::read(&f.path).unwrap(), data);
}

#[tokio::test]
async fn an_unfinished_stream_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    let mut w = cache.stream_writer(A, "original.mp3-320").await.unwrap();
    tokio::task::spawn_blocking(move || {
        w.write(&[1, 2, 3]).unwrap();
        drop(w);
    })
    .await
    .unwrap();
    assert_eq!(
        cache.stream_file(A, "original.mp3-320").await.unwrap(),
        None
    );
    assert_eq!(cache.stats().tier2_bytes, 0);
    let leftovers = std::fs::read_dir(dir.path().join("tmp")).unwrap().count();
    assert_eq!(leftovers, 0, "the temporary file is removed");
}

#[tokio::test]
async fn streams_count_against_the_budget_and_leave_with_their_track() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let mut c = config(dir.path());
    c.max_tracks = 10;
    c.budget_bytes = 8000;
    let cache = open(c, &r);
    write_stream(&cache, A, "s", &[7u8; 5000]).await;
    write_stream(&cache, B, "s", &[8u8; 5000]).await;
    // 10 000 bytes > 8000: the least recently used track (A) went, with its stream file.
    assert_eq!(cache.stream_file(A, "s").await.unwrap(), None);
    assert!(cache.stream_file(B, "s").await.unwrap().is_some());
    assert_eq!(cache.stats().tier2_bytes, 5000);
    let a_dir = cache.chunk_path(A, 0, adaptive()).await.unwrap();
    assert!(!a_dir.parent().unwrap().parent().unwrap().exists());
}

#[tokio::test]
async fn a_changed_file_never_gets_its_old_stream() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    write_stream(&cache, A, "adaptive.flac", &[1u8; 100]).await;
    r.modify_file(A);
    assert_eq!(cache.stream_file(A, "adaptive.flac").await.unwrap(), None);
}

#[tokio::test]
async fn a_stream_file_removed_behind_its_back_is_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    write_stream(&cache, A, "x", &[1u8; 100]).await;
    let f = cache.stream_file(A, "x").await.unwrap().unwrap();
    std::fs::write(&f.path, [1u8; 10]).unwrap();
    assert_eq!(cache.stream_file(A, "x").await.unwrap(), None);
    assert_eq!(cache.stats().tier2_bytes, 0);
}

#[test]
fn stream_names_cannot_leave_their_folder() {
    for ok in [
        "adaptive.flac",
        "processed-warm@80.opus-128",
        "original.mp3-320",
    ] {
        assert!(valid_stream_name(ok), "{ok}");
    }
    for bad in [
        "",
        "../x",
        "a/b",
        ".hidden",
        "UPPER",
        "a b",
        &"x".repeat(97),
    ] {
        assert!(!valid_stream_name(bad), "{bad}");
    }
}
