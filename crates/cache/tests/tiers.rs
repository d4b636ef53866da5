//! Tier 1 / tier 2 behaviour: byte accounting, LRU, pinning, eviction, presets, completion,
//! events, clear.
mod common;

use auralis_cache::{CacheEvent, Tier, Variant};
use common::*;

#[tokio::test]
async fn miss_then_tier2_then_tier1_with_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(4);
    let cache = open(config(dir.path()), &r);
    let want = r.expected(A, 0, Variant::Original);
    let (b, t) = cache.get_chunk(A, 0, Variant::Original).await.unwrap();
    assert_eq!((t, &b[..]), (Tier::Miss, &want[..]));
    let (b, t) = cache.get_chunk(A, 0, Variant::Original).await.unwrap();
    assert_eq!((t, &b[..]), (Tier::Tier2, &want[..]));
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let (b, t) = cache.get_chunk(A, 0, Variant::Original).await.unwrap();
    assert_eq!((t, &b[..]), (Tier::Tier1, &want[..]));
    let s = cache.stats();
    assert_eq!(
        (s.requests, s.tier1_hits, s.tier2_hits, s.misses),
        (3, 1, 1, 1)
    );
    assert_eq!(s.tier1_misses, 2);
    assert!((s.hit_rate - 2.0 / 3.0).abs() < 1e-12);
}

#[tokio::test]
async fn tier1_holds_current_and_next_chunk_of_both_variants_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(5);
    let cache = open(config(dir.path()), &r);
    cache
        .update_position(&me(), A, 1, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let len = |c, v: Variant| r.expected(A, c, v).len() as u64;
    let s = cache.stats();
    assert_eq!(s.tier1_chunks, 4);
    let want: u64 = [1, 2]
        .iter()
        .map(|&c| len(c, Variant::Original) + len(c, adaptive()))
        .sum();
    assert_eq!(s.tier1_bytes, want);
    // At the last chunk there is no next chunk.
    cache
        .update_position(&me(), A, 4, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let s = cache.stats();
    assert_eq!(s.tier1_chunks, 2);
    assert_eq!(
        s.tier1_bytes,
        len(4, Variant::Original) + len(4, adaptive())
    );
    // Tier 2 bytes are not held in memory: tier 1 stays at two chunks with the track cached.
    assert_eq!(s.tier2_chunks, 10);
    assert_eq!(
        cache.get_chunk(A, 4, adaptive()).await.unwrap().1,
        Tier::Tier1
    );
}

#[tokio::test]
async fn tier2_budget_is_byte_exact_and_evicts_whole_tracks_lru() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    // Measure one track's bytes.
    let track_bytes = {
        let mut c = config(dir.path());
        c.max_tracks = 10;
        let cache = open(c, &r);
        fill(&cache, A, 3).await;
        let s = cache.stats();
        assert_eq!(s.tier2_bytes, disk_bytes(&dir.path().join("tracks")));
        cache.clear();
        s.tier2_bytes
    };
    let mut c = config(dir.path());
    c.max_tracks = 10;
    c.budget_bytes = 2 * track_bytes;
    let cache = open(c, &r);
    let mut events = cache.subscribe();
    fill(&cache, A, 3).await;
    fill(&cache, B, 3).await;
    // Exactly at the budget: nothing evicted.
    assert_eq!(cache.stats().tier2_bytes, 2 * track_bytes);
    assert_eq!(cache.stats().tracks_cached, 2);
    // A is used again, so B is now the least recently used.
    assert_eq!(
        cache.get_chunk(A, 1, Variant::Original).await.unwrap().1,
        Tier::Tier2
    );
    fill(&cache, C, 3).await;
    let s = cache.stats();
    assert_eq!(s.tracks_cached, 2);
    assert_eq!(s.tier2_bytes, 2 * track_bytes);
    assert_eq!(s.tier2_bytes, disk_bytes(&dir.path().join("tracks")));
    assert!(
        cache
            .track_status(B, Preset::Adaptive)
            .await
            .unwrap()
            .cached_chunks
            == 0
    );
    assert!(cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
    assert!(cache
        .is_track_fully_cached(C, Preset::Adaptive)
        .await
        .unwrap());
    let mut evicted = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let CacheEvent::Evicted { track, bytes, .. } = e {
            evicted.push((track, bytes));
        }
    }
    assert_eq!(evicted, vec![(Some(B), track_bytes)]);
    // Whole track gone from disk: exactly two track directories remain.
    assert_eq!(
        std::fs::read_dir(dir.path().join("tracks"))
            .unwrap()
            .count(),
        2
    );
}

#[tokio::test]
async fn track_count_limit_keeps_last_n_tracks() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(2);
    let cache = open(config(dir.path()), &r); // default: 2 tracks
    fill(&cache, A, 2).await;
    fill(&cache, B, 2).await;
    fill(&cache, C, 2).await;
    assert_eq!(cache.stats().tracks_cached, 2);
    assert_eq!(
        cache
            .track_status(A, Preset::Adaptive)
            .await
            .unwrap()
            .cached_chunks,
        0
    );
    assert!(cache
        .is_track_fully_cached(B, Preset::Adaptive)
        .await
        .unwrap());
}

#[tokio::test]
async fn playing_track_is_pinned_even_when_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let mut c = config(dir.path());
    c.max_tracks = 0; // only pinned tracks stay
    let cache = open(c, &r);
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    assert!(cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
    // B is more recent than A, yet B is what goes.
    fill(&cache, B, 3).await;
    assert!(cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
    assert!(
        cache
            .track_status(A, Preset::Adaptive)
            .await
            .unwrap()
            .pinned
    );
    assert_eq!(cache.stats().tracks_cached, 1);
    // Once A stops playing it is evictable like any other.
    cache
        .update_position(&me(), B, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    assert_eq!(
        cache
            .track_status(A, Preset::Adaptive)
            .await
            .unwrap()
            .cached_chunks,
        0
    );
    assert!(cache
        .is_track_fully_cached(B, Preset::Adaptive)
        .await
        .unwrap());
}

#[tokio::test]
async fn next_track_prefetch_does_not_evict_the_previous_track() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(4);
    let cache = open(config(dir.path()), &r); // 2 tracks
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    cache
        .update_position(&me(), B, 0, Preset::Adaptive, Some(C))
        .await
        .unwrap();
    cache.wait_idle().await;
    assert!(cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
    assert!(cache
        .is_track_fully_cached(B, Preset::Adaptive)
        .await
        .unwrap());
    // C's first two chunks, both variants.
    assert_eq!(
        cache
            .track_status(C, Preset::Adaptive)
            .await
            .unwrap()
            .cached_chunks,
        4
    );
}

#[tokio::test]
async fn preset_change_keeps_the_other_preset_and_renders_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    cache
        .update_position(&me(), A, 0, Preset::Warm, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let st = cache.track_status(A, Preset::Warm).await.unwrap();
    assert_eq!(st.preset, Preset::Warm);
    assert!(st.fully_cached);
    let counts: Vec<_> = st
        .variants
        .iter()
        .map(|v| (v.variant.name().to_string(), v.cached_chunks))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("original".into(), 3),
            ("adaptive".into(), 3),
            ("warm".into(), 3)
        ]
    );
    // Switching back is instant: adaptive comes from tier 2, never rendered twice.
    let (b, t) = cache.get_chunk(A, 2, adaptive()).await.unwrap();
    assert_eq!((t, b.to_vec()), (Tier::Tier2, r.expected(A, 2, adaptive())));
    for c in 0..3 {
        assert_eq!(r.render_count(A, c, adaptive()), 1);
        assert_eq!(r.render_count(A, c, warm()), 1);
        assert_eq!(r.render_count(A, c, Variant::Original), 1);
    }
    // Tier 1 now holds the original and warm only.
    assert_eq!(cache.get_chunk(A, 0, warm()).await.unwrap().1, Tier::Tier1);
    assert_eq!(
        cache.get_chunk(A, 0, adaptive()).await.unwrap().1,
        Tier::Tier2
    );
}

#[tokio::test]
async fn completion_percent_full_flag_time_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(4);
    let cache = open(config(dir.path()), &r);
    let mut events = cache.subscribe();
    cache.get_chunk(A, 0, Variant::Original).await.unwrap();
    cache.get_chunk(A, 1, Variant::Original).await.unwrap();
    let st = cache.track_status(A, Preset::Adaptive).await.unwrap();
    assert_eq!(
        (st.total_chunks, st.cached_chunks, st.percent),
        (4, 2, 25.0)
    );
    assert!(!st.fully_cached && st.seconds_to_full.is_none());
    assert!(!cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let st = cache.track_status(A, Preset::Adaptive).await.unwrap();
    assert_eq!(
        (st.cached_chunks, st.percent, st.fully_cached),
        (8, 100.0, true)
    );
    assert!(st.seconds_to_full.unwrap() >= 0.0);
    assert_eq!(st.tier1_chunks, 4);
    let mut cached = 0;
    let mut last_percent = 0.0;
    let mut full = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            CacheEvent::ChunkCached { track, .. } => {
                assert_eq!(track, A);
                cached += 1
            }
            CacheEvent::TrackProgress { percent, .. } => last_percent = percent,
            CacheEvent::TrackFullyCached { track, .. } => {
                assert_eq!(track, A);
                full += 1
            }
            CacheEvent::Evicted { .. } => panic!("nothing to evict"),
        }
    }
    // 8 stored + 2 promoted into tier 1 (chunks 0 and 1 of the original were on disk).
    assert_eq!((cached, last_percent, full), (10, 100.0, 1));
    let json = serde_json::to_value(CacheEvent::ChunkCached {
        track: A,
        chunk: 3,
        variant: adaptive(),
        tier: Tier::Tier2,
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "chunk_cached", "track": 1, "chunk": 3, "variant": "adaptive", "tier": "tier2"})
    );
    assert_eq!(serde_json::to_string(&Tier::Tier1).unwrap(), "\"tier1\"");
    assert_eq!(serde_json::to_string(&Tier::Miss).unwrap(), "\"miss\"");
    serde_json::to_string(&cache.stats()).unwrap();
    serde_json::to_string(&st).unwrap();
}

#[tokio::test]
async fn clear_empties_both_tiers_and_forgets_the_listeners() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    cache.clear();
    cache.wait_idle().await;
    let s = cache.stats();
    assert_eq!(
        (
            s.tier1_chunks,
            s.tier1_bytes,
            s.tier2_chunks,
            s.tier2_bytes,
            s.tracks_cached
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!((s.listeners, disk_bytes(dir.path())), (0, 0));
    // The listener reports again: its track is built again.
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    assert!(cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
    assert_eq!(
        cache.get_chunk(A, 1, Variant::Original).await.unwrap().1,
        Tier::Tier1
    );
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    let e = cache.get_chunk(A, 3, Variant::Original).await.unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
    let e = cache
        .get_chunk(auralis_cache::TrackId(99), 0, Variant::Original)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no such track"), "{e}");
    assert!(ListenerKey::new(0, "").is_err());
    assert!(cache
        .update_position(&me(), A, 7, Preset::Adaptive, None)
        .await
        .is_err());
}
