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
    cache.update_position(A, 0, "adaptive", next).await.unwrap();
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
            tokio::spawn(async move { c.get_chunk(A, 3, &Variant::Original).await.unwrap() })
        })
        .collect();
    until(|| cache.waiting_requests() == 50).await;
    r.open_gate();
    let want = r.expected(A, 3, &Variant::Original);
    for t in tasks {
        let (b, tier) = t.await.unwrap();
        assert_eq!((tier, &b[..]), (Tier::Miss, &want[..]));
    }
    assert_eq!(r.render_count(A, 3, &Variant::Original), 1);
    assert_eq!(r.total_renders(), 1);
}

#[tokio::test]
async fn a_waiting_request_overtakes_queued_background_work() {
    let dir = tempfile::tempdir().unwrap();
    // A's chunk 0 (P1) is held at the gate.
    let (cache, r) = one_gated_worker_playing_a(dir.path(), 8, Some(B)).await;
    let c2 = cache.clone();
    let waiting = tokio::spawn(async move { c2.get_chunk(A, 6, &Variant::Original).await });
    until(|| cache.waiting_requests() == 1).await;
    let q: Vec<_> = cache
        .queue()
        .iter()
        .map(|t| (t.track, t.chunk, t.priority))
        .collect();
    let mut want = vec![(A, 6, Priority::P0), (A, 1, Priority::P1)];
    want.extend([2, 3, 4, 5, 7].map(|c| (A, c, Priority::P2)));
    want.extend([(B, 0, Priority::P3), (B, 1, Priority::P3)]);
    assert_eq!(q, want);
    // One decode serves both variants: the P0 task carries the P2 task's variants too.
    assert_eq!(
        cache.queue()[0].variants,
        vec![Variant::Original, adaptive()]
    );
    r.open_gate();
    assert_eq!(waiting.await.unwrap().unwrap().1, Tier::Miss);
    cache.wait_idle().await;
    let order: Vec<_> = r.renders().iter().map(|(t, c, _)| (*t, *c)).collect();
    let mut want: Vec<_> = [0, 6, 1, 2, 3, 4, 5, 7].iter().map(|&c| (A, c)).collect();
    want.extend([(B, 0), (B, 1)]);
    assert_eq!(order, want);
}

#[tokio::test]
async fn track_change_drops_queued_work_but_keeps_the_running_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, r) = one_gated_worker_playing_a(dir.path(), 6, None).await;
    cache.update_position(B, 0, "adaptive", None).await.unwrap();
    assert!(cache.queue().iter().all(|t| t.track == B));
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
    assert_eq!(cache.track_status(A).await.unwrap().cached_chunks, 2);
    assert!(cache.is_track_fully_cached(B).await.unwrap());
    assert!(cache.stats().dropped_tasks > 0);
}

#[tokio::test]
async fn preset_change_drops_queued_work_for_the_old_preset() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, r) = one_gated_worker_playing_a(dir.path(), 5, None).await;
    cache.update_position(A, 0, "warm", None).await.unwrap();
    assert!(cache
        .queue()
        .iter()
        .all(|t| !t.variants.contains(&adaptive())));
    r.open_gate();
    cache.wait_idle().await;
    for c in 1..5 {
        assert_eq!(r.render_count(A, c, &adaptive()), 0);
        assert_eq!(r.render_count(A, c, &warm()), 1);
    }
    assert!(cache.is_track_fully_cached(A).await.unwrap());
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
    let e = cache.get_chunk(A, 2, &Variant::Original).await.unwrap_err();
    assert!(e.to_string().contains("panicked"), "{e}");
    let e = cache.get_chunk(A, 3, &Variant::Original).await.unwrap_err();
    assert!(e.to_string().contains("bad data in chunk 3"), "{e}");
    let (_, t) = cache.get_chunk(A, 1, &Variant::Original).await.unwrap();
    assert_eq!(t, Tier::Miss);
    // Background work skips the failed chunks and finishes the rest.
    cache.update_position(A, 0, "adaptive", None).await.unwrap();
    cache.wait_idle().await;
    let st = cache.track_status(A).await.unwrap();
    assert_eq!(st.cached_chunks, 4);
    // Chunks 2 and 3 failed in the original (on request) and in adaptive (in the background).
    assert_eq!(cache.stats().render_errors, 4);
}
