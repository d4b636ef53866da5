//! Many listeners at once: tier 1 is the union of their hot sets, tier 2 pins every listener's
//! track, background work is shared round-robin, idle listeners expire. Renders are held at the
//! fake renderer's gate where the order matters (no sleeps).
mod common;

use auralis_cache::{Priority, Tier, TrackId, Variant};
use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes of the hot chunks `chunks` of `track` in the original and `preset`.
fn hot_bytes(
    r: &auralis_cache::fake::FakeRenderer,
    track: TrackId,
    chunks: &[u64],
    preset: Preset,
) -> u64 {
    chunks
        .iter()
        .flat_map(|&c| [Variant::Original, Variant::Processed(preset)].map(|v| (c, v)))
        .map(|(c, v)| r.expected(track, c, v).len() as u64)
        .sum()
}

#[tokio::test]
async fn tier1_is_the_union_of_every_listeners_hot_chunks_byte_exact() {
    for n in [1usize, 2, 8] {
        let dir = tempfile::tempdir().unwrap();
        let r = Arc::new(auralis_cache::fake::FakeRenderer::new());
        let tracks: Vec<TrackId> = (1..=n as i64).map(TrackId).collect();
        for &t in &tracks {
            r.add_track(t, 6, 1000 + 37 * t.0 as usize);
        }
        let mut c = config(dir.path());
        c.max_tracks = 0;
        let cache = open(c, &r);
        for (i, &t) in tracks.iter().enumerate() {
            let preset = if i % 2 == 0 {
                Preset::Adaptive
            } else {
                Preset::Warm
            };
            cache
                .update_position(&listener(i), t, (i % 4) as u64, preset, None)
                .await
                .unwrap();
        }
        cache.wait_idle().await;
        let s = cache.stats();
        let want: u64 = tracks
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let preset = if i % 2 == 0 {
                    Preset::Adaptive
                } else {
                    Preset::Warm
                };
                let c = (i % 4) as u64;
                hot_bytes(&r, t, &[c, c + 1], preset)
            })
            .sum();
        assert_eq!(
            (s.tier1_chunks, s.tier1_bytes),
            (4 * n as u64, want),
            "{n} listeners"
        );
        assert_eq!(s.listeners, n as u64);
        // Every listener's next chunk is served from memory.
        for (i, &t) in tracks.iter().enumerate() {
            let preset = if i % 2 == 0 {
                Preset::Adaptive
            } else {
                Preset::Warm
            };
            let next = (i % 4) as u64 + 1;
            let got = cache
                .get_chunk(t, next, Variant::Processed(preset))
                .await
                .unwrap();
            assert_eq!(got.1, Tier::Tier1, "listener {i}");
        }
    }
}

#[tokio::test]
async fn a_listener_moving_on_leaves_the_others_chunks_alone() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(6);
    let cache = open(config(dir.path()), &r);
    cache
        .update_position(&listener(1), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache
        .update_position(&listener(2), B, 2, Preset::Warm, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let before = cache.stats().tier1_bytes;
    cache
        .update_position(&listener(1), A, 3, Preset::Adaptive, None)
        .await
        .unwrap();
    // Listener 2's hot chunks are still in memory, byte for byte.
    for c in [2, 3] {
        for v in [Variant::Original, warm()] {
            let (b, t) = cache.get_chunk(B, c, v).await.unwrap();
            assert_eq!((t, b.to_vec()), (Tier::Tier1, r.expected(B, c, v)));
        }
    }
    cache.wait_idle().await;
    let after = cache.stats().tier1_bytes;
    let a_old = hot_bytes(&r, A, &[0, 1], Preset::Adaptive);
    let a_new = hot_bytes(&r, A, &[3, 4], Preset::Adaptive);
    assert_eq!(after, before - a_old + a_new);
}

#[tokio::test]
async fn every_active_listeners_track_is_pinned_and_expiry_releases_the_pins() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let mut c = config(dir.path());
    c.max_tracks = 0; // nothing beyond the pinned tracks
    c.listener_idle = Duration::from_secs(120);
    let cache = open(c, &r);
    cache
        .update_position(&listener(1), A, 0, Preset::Adaptive, Some(C))
        .await
        .unwrap();
    cache
        .update_position(&listener(2), B, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    for t in [A, B] {
        let st = cache.track_status(t, Preset::Adaptive).await.unwrap();
        assert!(st.fully_cached && st.pinned, "{t}: {st:?}");
        assert_eq!(st.listeners, 1);
    }
    // The next track's prefetch is pinned too.
    assert_eq!(
        cache
            .track_status(C, Preset::Adaptive)
            .await
            .unwrap()
            .cached_chunks,
        4
    );
    assert_eq!(cache.stats().tracks_cached, 3);
    // Nothing happens before the idle time...
    assert_eq!(
        cache.expire_idle_at(Instant::now() + Duration::from_secs(60)),
        0
    );
    // ...listener 2 keeps talking, listener 1 goes quiet.
    let later = Instant::now() + Duration::from_secs(121);
    cache
        .update_position(&listener(2), B, 1, Preset::Adaptive, None)
        .await
        .unwrap();
    assert_eq!(
        cache.expire_idle_at(later),
        2,
        "both are older than 121 s then"
    );
    // With the pins released, max_tracks = 0 lets every track go.
    let s = cache.stats();
    assert_eq!((s.listeners, s.tracks_cached, s.tier1_chunks), (0, 0, 0));
    assert_eq!(s.expired_listeners, 2);
}

#[tokio::test]
async fn expiry_forgets_only_the_idle_listener() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let mut c = config(dir.path());
    c.max_tracks = 0;
    c.listener_idle = Duration::from_secs(3600);
    let cache = open(c, &r);
    cache
        .update_position(&listener(1), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let cut = Instant::now();
    cache
        .update_position(&listener(2), B, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    // An hour after `cut`, listener 1 (updated before it) is idle, listener 2 (after) is not.
    assert_eq!(cache.expire_idle_at(cut + Duration::from_secs(3600)), 1);
    let left: Vec<_> = cache.listeners().into_iter().map(|l| l.listener).collect();
    assert_eq!(left, vec![listener(2)]);
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
async fn the_listener_cap_forgets_the_least_recently_active() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let mut c = config(dir.path());
    c.max_listeners = 2;
    let cache = open(c, &r);
    cache
        .update_position(&listener(1), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache
        .update_position(&listener(2), B, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache
        .update_position(&listener(1), A, 1, Preset::Adaptive, None)
        .await
        .unwrap();
    cache
        .update_position(&listener(3), C, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    let mut left: Vec<_> = cache.listeners().into_iter().map(|l| l.listener).collect();
    left.sort();
    assert_eq!(left, vec![listener(1), listener(3)]);
    assert_eq!(cache.stats().expired_listeners, 1);
    cache.wait_idle().await;
}

#[tokio::test]
async fn a_long_track_does_not_delay_another_listeners_next_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let r = Arc::new(auralis_cache::fake::FakeRenderer::new());
    let long = TrackId(1);
    let short = TrackId(2);
    r.add_track(long, 180, 500); // 30 minutes of 10 s chunks
    r.add_track(short, 10, 500);
    let mut c = config(dir.path());
    c.workers = 1;
    let cache = Arc::new(open(c, &r));
    r.close_gate();
    let mut started = r.watch_started();
    cache
        .update_position(&listener(1), long, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    assert_eq!(started.recv().await, Some((long, 0)));
    cache
        .update_position(&listener(2), short, 4, Preset::Adaptive, None)
        .await
        .unwrap();
    // The plan: both listeners' hot chunks first, then the rest of both tracks taken in turn.
    let plan: Vec<_> = cache
        .queue(10)
        .iter()
        .map(|t| (t.track, t.chunk, t.priority))
        .collect();
    assert_eq!(
        plan,
        vec![
            (long, 1, Priority::P1),
            (short, 4, Priority::P1),
            (short, 5, Priority::P1),
            (long, 2, Priority::P3),
            (short, 6, Priority::P3),
            (long, 3, Priority::P3),
            (short, 7, Priority::P3),
            (long, 4, Priority::P3),
            (short, 8, Priority::P3),
            (long, 5, Priority::P3),
        ]
    );
    // Five renders pass the gate (long 0, long 1, short 4, short 5, long 2; short 6 waits at
    // it), then the short track's listener moves on to chunk 6 while the long track still has
    // 170 chunks to go: its next chunk comes right after the one already started.
    r.release(5);
    until(|| r.total_renders() == 5).await;
    cache
        .update_position(&listener(2), short, 6, Preset::Adaptive, None)
        .await
        .unwrap();
    r.open_gate();
    cache.wait_idle().await;
    let order: Vec<_> = r.renders().iter().map(|(t, c, _)| (*t, *c)).collect();
    let pos = |t, c| order.iter().position(|x| *x == (t, c)).unwrap();
    assert_eq!(pos(short, 6), 5, "{order:?}");
    assert_eq!(pos(short, 7), 6, "{order:?}");
    assert!(cache
        .is_track_fully_cached(short, Preset::Adaptive)
        .await
        .unwrap());
    assert!(cache
        .is_track_fully_cached(long, Preset::Adaptive)
        .await
        .unwrap());
    // Nothing was rendered twice.
    assert_eq!(order.len(), 190);
}

#[tokio::test]
async fn position_updates_on_the_same_track_restart_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(12);
    let mut c = config(dir.path());
    c.workers = 1;
    let cache = Arc::new(open(c, &r));
    r.close_gate();
    let mut started = r.watch_started();
    for round in 0..12u64 {
        // Position every "second", within chunk 0 then 1, as a player reports it.
        cache
            .update_position(&me(), A, round / 6, Preset::Adaptive, None)
            .await
            .unwrap();
        r.release(1);
        started.recv().await.unwrap();
    }
    r.open_gate();
    cache.wait_idle().await;
    // 12 chunks, each rendered once (both variants in one render), in playback order.
    let order: Vec<u64> = r.renders().iter().map(|(_, c, _)| *c).collect();
    assert_eq!(order, (0..12).collect::<Vec<_>>());
    assert!(cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
}

#[tokio::test]
async fn a_users_preset_change_moves_all_of_that_users_listeners() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    let alice_tab = ListenerKey::new(1, "tab").unwrap();
    let alice_phone = ListenerKey::new(1, "phone").unwrap();
    let bob = ListenerKey::new(2, "tab").unwrap();
    cache
        .update_position(&alice_tab, A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache
        .update_position(&alice_phone, B, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache
        .update_position(&bob, C, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    assert_eq!(cache.set_user_preset(1, Preset::Warm), 2);
    cache.wait_idle().await;
    let presets: Vec<_> = cache
        .listeners()
        .into_iter()
        .map(|l| (l.listener, l.preset))
        .collect();
    assert!(presets.contains(&(alice_tab, Preset::Warm)));
    assert!(presets.contains(&(alice_phone, Preset::Warm)));
    assert!(presets.contains(&(bob, Preset::Adaptive)));
    assert_eq!(cache.get_chunk(A, 0, warm()).await.unwrap().1, Tier::Tier1);
    assert_eq!(
        cache.get_chunk(C, 0, adaptive()).await.unwrap().1,
        Tier::Tier1
    );
}
