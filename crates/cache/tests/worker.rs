//! The worker: priorities, single-flight, cancellation, failures. Renders are held at the fake
//! renderer's gate so the queue can be observed deterministically (no sleeps).
mod common;

use auralis_cache::fake::FakeRenderer;
use auralis_cache::{Cache, Priority, Tier, TrackId, Variant};
use common::*;
use std::path::Path;
use std::sync::Arc;

/// One worker with renders held at the gate, and track A playing from chunk 0 (`next` queued
/// after it). Returns once A's chunk 0 is rendering, so the rest of the plan sits in the queue.
async fn one_gated_worker_playing_a(
    dir: &Path,
    chunks: u64,
    next: Option<TrackId>,
) -> (Arc<Cache>, Arc<FakeRenderer>) {
    let r = renderer(chunks);
    let mut c = config(dir);
    c.workers = 1;
    let cache = Arc::new(open(c, &r));
    r.close_gate();
    let mut started = r.watch_started();
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, next)
        .await
        .unwrap();
    assert_eq!(
        started.recv().await,
        Some((A, 0)),
        "A's chunk 0 is rendering"
    );
    (cache, r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_render_once() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(6);
    let cache = Arc::new(open(config(dir.path()), &r));
    r.close_gate();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.get_chunk(A, 3, Variant::Original).await.unwrap() })
        })
        .collect();
    until(|| cache.waiting_requests() == 50).await;
    r.open_gate();
    let want = r.expected(A, 3, Variant::Original);
    for t in tasks {
        let (b, tier) = t.await.unwrap();
        assert_eq!((tier, &b[..]), (Tier::Miss, &want[..]));
    }
    assert_eq!(r.render_count(A, 3, Variant::Original), 1);
    assert_eq!(r.total_renders(), 1);
}

#[tokio::test]
async fn a_waiting_request_overtakes_background_work() {
    let dir = tempfile::tempdir().unwrap();
    // A's chunk 0 (P1) is held at the gate.
    let (cache, r) = one_gated_worker_playing_a(dir.path(), 8, Some(B)).await;
    let c2 = cache.clone();
    let waiting = tokio::spawn(async move { c2.get_chunk(A, 6, Variant::Original).await });
    until(|| cache.waiting_requests() == 1).await;
    let q: Vec<_> = cache
        .queue(1000)
        .iter()
        .map(|t| (t.track, t.chunk, t.priority))
        .collect();
    // The next track's first chunks (P2) before the rest of the playing track (P3).
    let mut want = vec![(A, 6, Priority::P0), (A, 1, Priority::P1)];
    want.extend([(B, 0, Priority::P2), (B, 1, Priority::P2)]);
    want.extend([2, 3, 4, 5, 6, 7].map(|c| (A, c, Priority::P3)));
    assert_eq!(q, want);
    assert_eq!(cache.queue(1000)[0].variants, vec![Variant::Original]);
    assert_eq!(cache.queue(1000)[8].variants, vec![adaptive()]);
    r.open_gate();
    assert_eq!(waiting.await.unwrap().unwrap().1, Tier::Miss);
    cache.wait_idle().await;
    let order: Vec<_> = r.renders().iter().map(|(t, c, _)| (*t, *c)).collect();
    let mut want: Vec<_> = [0, 6, 1].iter().map(|&c| (A, c)).collect();
    want.extend([(B, 0), (B, 1)]);
    want.extend([2, 3, 4, 5, 7].map(|c| (A, c)));
    assert_eq!(order, want);
    // One decode served both variants of chunk 6: the listener's preset rode along.
    assert_eq!(r.renders()[1].2, vec![Variant::Original, adaptive()]);
}

#[tokio::test]
async fn moving_to_another_track_leaves_the_old_one_but_keeps_the_running_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, r) = one_gated_worker_playing_a(dir.path(), 6, None).await;
    cache
        .update_position(&me(), B, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    assert!(cache.queue(1000).iter().all(|t| t.track == B));
    r.open_gate();
    cache.wait_idle().await;
    let a_renders: Vec<_> = r
        .renders()
        .iter()
        .filter(|(t, ..)| *t == A)
        .map(|(_, c, _)| *c)
        .collect();
    assert_eq!(a_renders, vec![0]);
    // The chunk that was running still landed in tier 2.
    let a = cache.track_status(A, Preset::Adaptive).await.unwrap();
    assert_eq!((a.cached_chunks, a.pinned), (2, false));
    assert!(cache
        .is_track_fully_cached(B, Preset::Adaptive)
        .await
        .unwrap());
}

#[tokio::test]
async fn a_preset_change_switches_the_background_work_to_the_new_preset() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, r) = one_gated_worker_playing_a(dir.path(), 5, None).await;
    cache
        .update_position(&me(), A, 0, Preset::Warm, None)
        .await
        .unwrap();
    assert!(cache
        .queue(1000)
        .iter()
        .all(|t| !t.variants.contains(&adaptive())));
    r.open_gate();
    cache.wait_idle().await;
    for c in 1..5 {
        assert_eq!(r.render_count(A, c, adaptive()), 0);
        assert_eq!(r.render_count(A, c, warm()), 1);
    }
    assert!(cache.is_track_fully_cached(A, Preset::Warm).await.unwrap());
}

#[tokio::test]
async fn a_request_withdrawn_before_it_starts_is_not_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(8);
    let mut c = config(dir.path());
    c.workers = 1;
    let cache = Arc::new(open(c, &r));
    r.close_gate();
    let mut started = r.watch_started();
    let c1 = cache.clone();
    let first = tokio::spawn(async move { c1.get_chunk(A, 1, Variant::Original).await });
    assert_eq!(started.recv().await, Some((A, 1)));
    let c2 = cache.clone();
    let second = tokio::spawn(async move { c2.get_chunk(A, 5, Variant::Original).await });
    until(|| cache.waiting_requests() == 2).await;
    // The client of the second request goes away (its HTTP request is dropped).
    second.abort();
    assert!(second.await.unwrap_err().is_cancelled());
    r.open_gate();
    assert_eq!(first.await.unwrap().unwrap().1, Tier::Miss);
    cache.wait_idle().await;
    assert_eq!(r.render_count(A, 5, Variant::Original), 0);
    assert_eq!(cache.stats().dropped_tasks, 1);
}

#[tokio::test]
async fn waiting_requests_are_capped_per_listener_and_in_all() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(40);
    let mut c = config(dir.path());
    c.workers = 1;
    c.max_waiting_per_listener = 3;
    c.max_waiting = 6;
    let cache = Arc::new(open(c, &r));
    r.close_gate();
    let mut started = r.watch_started();
    let ask = |who: ListenerKey, chunk: u64| {
        let c = cache.clone();
        tokio::spawn(async move {
            c.get_chunk_for(Some(&who), A, chunk, Variant::Original)
                .await
        })
    };
    // Chunk 0 runs (held at the gate); three more wait for listener 1.
    let running = ask(listener(1), 0);
    assert_eq!(started.recv().await, Some((A, 0)));
    let mut held = vec![running];
    for chunk in 1..=3 {
        held.push(ask(listener(1), chunk));
    }
    until(|| cache.waiting_requests() == 4).await;
    let e = ask(listener(1), 4).await.unwrap().unwrap_err();
    assert!(matches!(e, auralis_cache::CacheError::Busy { .. }), "{e:?}");
    // Joining work that is already queued is never refused.
    held.push(ask(listener(1), 2));
    // Other listeners still get in, until 6 wait in all.
    held.push(ask(listener(2), 10));
    held.push(ask(listener(2), 11));
    until(|| cache.waiting_requests() == 7).await;
    let e = ask(listener(3), 12).await.unwrap().unwrap_err();
    assert!(matches!(e, auralis_cache::CacheError::Busy { .. }), "{e:?}");
    assert_eq!(cache.stats().refused_requests, 2);
    r.open_gate();
    for h in held {
        assert!(h.await.unwrap().is_ok());
    }
}

#[tokio::test]
async fn a_panicking_or_failing_chunk_is_an_error_and_the_worker_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(4);
    let mut c = config(dir.path());
    c.workers = 1;
    let cache = open(c, &r);
    r.panic_on(A, 2);
    r.fail_on(A, 3);
    let e = cache.get_chunk(A, 2, Variant::Original).await.unwrap_err();
    assert!(e.to_string().contains("panicked"), "{e}");
    let e = cache.get_chunk(A, 3, Variant::Original).await.unwrap_err();
    assert!(e.to_string().contains("bad data in chunk 3"), "{e}");
    let (_, t) = cache.get_chunk(A, 1, Variant::Original).await.unwrap();
    assert_eq!(t, Tier::Miss);
    // Background work skips the failed chunks and finishes the rest.
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let st = cache.track_status(A, Preset::Adaptive).await.unwrap();
    assert_eq!(st.cached_chunks, 4);
    // Chunks 2 and 3 failed in the original (on request) and in adaptive (in the background).
    assert_eq!(cache.stats().render_errors, 4);
}
