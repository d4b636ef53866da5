//! The worker: the queue of requests someone is waiting for (P0), single-flight bookkeeping,
//! and the dedicated threads that produce chunks.
//!
//! A task is one chunk of one track with the set of variants to produce (one decode serves
//! all of them). Only P0 work (a listener is waiting) is queued here, first come first served.
//! Background work (P1-P3) is never queued: when a thread is free, the manager asks every
//! active listener in turn what it needs next (see `manager::State::next_background`), so a
//! position update costs nothing, nothing has to be cancelled when a listener moves on, and
//! one listener's long track cannot starve another's next chunk.
//!
//! A request for a chunk already queued joins its task; a request for a chunk being computed
//! waits on it (single-flight). A queued request whose client went away (the HTTP request was
//! dropped, closing its channel) is dropped before it starts. Background work never occupies
//! every worker: one is kept for P0, so a listener waits for one render rather than for
//! running background renders to end first (a render cannot be preempted).
//!
//! Not for: deciding what background work to do (the manager does that).

use crate::manager::Shared;
use crate::{CacheError, ListenerKey, QueuedTask, RenderError, RenderErrorKind, TrackId, Variant};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use tokio::sync::oneshot;

/// Priorities, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    /// A listener is waiting (seek, track switch, cache miss).
    P0,
    /// A listener's current and next chunk, both variants.
    P1,
    /// The first chunks of a listener's next track: a few chunks per listener, and what a
    /// player asks for the moment it skips, so they come before the unbounded P3.
    P2,
    /// The rest of a listener's track: from the playhead forward, then from the start.
    P3,
}

/// A request waiting for one variant of a chunk, and whose it is (for the per-listener cap).
pub(crate) struct Waiter {
    pub tx: oneshot::Sender<Result<Bytes, CacheError>>,
    pub listener: Option<ListenerKey>,
}

/// What a task needs to know about its track.
#[derive(Clone, Debug)]
pub(crate) struct TrackRef {
    pub track: TrackId,
    pub hash: u64,
    pub key_text: Arc<str>,
    pub chunk_count: u64,
    /// The description's `processed_key`: what the chunks under this key are rendered with.
    pub processed_key: Arc<str>,
}

pub(crate) struct Task {
    pub track: TrackRef,
    pub chunk: u64,
    pub priority: Priority,
    /// Each variant with the requests waiting for it.
    pub variants: Vec<(Variant, Vec<Waiter>)>,
}

type ChunkId = (u64, u64);
pub(crate) type FlightId = (u64, u64, Variant);

/// Waiting requests (P0) and running work.
#[derive(Default)]
pub(crate) struct Queue {
    /// Queued P0 tasks by chunk, and their arrival order.
    pending: HashMap<ChunkId, Task>,
    order: BTreeMap<u64, ChunkId>,
    seqs: HashMap<ChunkId, u64>,
    /// Variants being produced, with the requests that joined them.
    running: HashMap<FlightId, Vec<Waiter>>,
    running_tasks: usize,
    /// Running tasks taken at P1-P3.
    running_background: usize,
    seq: u64,
    /// Queued variants dropped because nobody waited for them any more.
    pub dropped: u64,
}

impl Queue {
    /// Adds a request for `variant` of a chunk: joins the running flight or the queued task
    /// if there is one, else queues a new P0 task.
    pub fn request(&mut self, track: &TrackRef, chunk: u64, variant: Variant, waiter: Waiter) {
        if let Some(waiters) = self.running.get_mut(&(track.hash, chunk, variant)) {
            waiters.push(waiter);
            return;
        }
        let id = (track.hash, chunk);
        if let Some(task) = self.pending.get_mut(&id) {
            match task.variants.iter_mut().find(|(v, _)| *v == variant) {
                Some((_, ws)) => ws.push(waiter),
                None => task.variants.push((variant, vec![waiter])),
            }
            return;
        }
        self.seq += 1;
        self.order.insert(self.seq, id);
        self.seqs.insert(id, self.seq);
        self.pending.insert(
            id,
            Task {
                track: track.clone(),
                chunk,
                priority: Priority::P0,
                variants: vec![(variant, vec![waiter])],
            },
        );
    }

    /// Is this variant of a chunk queued or being produced?
    pub fn is_claimed(&self, hash: u64, chunk: u64, variant: Variant) -> bool {
        self.running.contains_key(&(hash, chunk, variant))
            || self
                .pending
                .get(&(hash, chunk))
                .is_some_and(|t| t.variants.iter().any(|(v, _)| *v == variant))
    }

    /// Queued requests of one listener, and in all (for the P0 caps).
    pub fn queued_requests(&self, listener: Option<&ListenerKey>) -> (usize, usize) {
        let mut mine = 0;
        let mut all = 0;
        for t in self.pending.values() {
            for (_, ws) in &t.variants {
                for w in ws.iter().filter(|w| !w.tx.is_closed()) {
                    all += 1;
                    if listener.is_some() && w.listener.as_ref() == listener {
                        mine += 1;
                    }
                }
            }
        }
        (mine, all)
    }

    /// The oldest queued P0 task that someone still waits for; requests whose client went away
    /// are dropped first, and a variant nobody waits for any more is not produced. The caller
    /// may add variants to it, then [`Queue::start`]s it.
    pub fn take_p0(&mut self) -> Option<Task> {
        while let Some((_, id)) = self.order.pop_first() {
            self.seqs.remove(&id);
            let Some(mut task) = self.pending.remove(&id) else {
                continue;
            };
            for (_, ws) in &mut task.variants {
                ws.retain(|w| !w.tx.is_closed());
            }
            let before = task.variants.len();
            task.variants.retain(|(_, ws)| !ws.is_empty());
            self.dropped += (before - task.variants.len()) as u64;
            if task.variants.is_empty() {
                continue;
            }
            return Some(task);
        }
        None
    }

    /// Marks a task's variants as running (later requests join them) and counts it.
    pub fn start(&mut self, task: &mut Task) {
        for (v, ws) in &mut task.variants {
            self.running
                .insert((task.track.hash, task.chunk, *v), std::mem::take(ws));
        }
        self.running_tasks += 1;
        if task.priority != Priority::P0 {
            self.running_background += 1;
        }
    }

    /// Ends the flight of one variant; returns the requests that joined it while it ran.
    pub fn finish_flight(&mut self, hash: u64, chunk: u64, variant: Variant) -> Vec<Waiter> {
        self.running
            .remove(&(hash, chunk, variant))
            .unwrap_or_default()
    }

    /// Ends a task taken at `priority`.
    pub fn finish_task(&mut self, priority: Priority) {
        self.running_tasks -= 1;
        if priority != Priority::P0 {
            self.running_background -= 1;
        }
    }

    /// Running tasks taken at P1-P3.
    pub fn running_background(&self) -> usize {
        self.running_background
    }

    pub fn has_pending(&self) -> bool {
        !self.order.is_empty()
    }

    /// Requests waiting on queued or running work.
    pub fn waiting(&self) -> usize {
        let queued: usize = self
            .pending
            .values()
            .flat_map(|t| t.variants.iter().map(|(_, ws)| ws.len()))
            .sum();
        queued + self.running.values().map(Vec::len).sum::<usize>()
    }

    pub fn queued(&self) -> usize {
        self.order.len()
    }

    pub fn running(&self) -> usize {
        self.running_tasks
    }

    /// Queued P0 tasks in the order they will run.
    pub fn snapshot(&self) -> Vec<QueuedTask> {
        self.order
            .values()
            .filter_map(|id| self.pending.get(id))
            .map(|t| QueuedTask {
                track: t.track.track,
                chunk: t.chunk,
                priority: t.priority,
                variants: t.variants.iter().map(|(v, _)| *v).collect(),
                // Requests whose client went away no longer count.
                waiters: t
                    .variants
                    .iter()
                    .map(|(_, ws)| ws.iter().filter(|w| !w.tx.is_closed()).count())
                    .sum(),
            })
            .collect()
    }

    /// Forgets every request (their channels close: they are answered with `Shutdown`).
    pub fn drain_all(&mut self) {
        self.pending.clear();
        self.order.clear();
        self.seqs.clear();
        self.running.clear();
    }
}

/// What became of one variant of a task.
pub(crate) struct Outcome {
    pub variant: Variant,
    pub result: Result<Bytes, RenderError>,
    /// Size of the tier-2 file written for it, if one was.
    pub written: Option<u64>,
    /// True if the renderer produced it (false: read back from tier 2).
    pub rendered: bool,
}

/// The body of one worker thread: take the most urgent task, produce it, repeat until the
/// cache shuts down.
pub(crate) fn run(shared: Arc<Shared>) {
    while let Some(task) = shared.next_task() {
        let chunk = task.chunk;
        let track = task.track.clone();
        let names: Vec<Variant> = task.variants.iter().map(|(v, _)| *v).collect();
        // Variants already on disk are read back (promotion to tier 1); the rest are rendered.
        let existing = shared.read_existing(&track, chunk, &names);
        let missing: Vec<Variant> = names
            .iter()
            .zip(&existing)
            .filter(|(_, e)| e.is_none())
            .map(|(v, _)| *v)
            .collect();
        let mut rendered = if missing.is_empty() {
            Vec::new()
        } else {
            render_guarded(shared.renderer.as_ref(), &track, chunk, &missing)
        }
        .into_iter();
        let outcomes = names
            .into_iter()
            .zip(existing)
            .map(|(variant, existing)| match existing {
                Some(data) => Outcome {
                    variant,
                    result: Ok(data),
                    written: None,
                    rendered: false,
                },
                None => {
                    let result = rendered.next().unwrap_or_else(|| {
                        Err(RenderError::new(
                            RenderErrorKind::Internal,
                            "renderer returned too few results",
                        ))
                    });
                    let written = match &result {
                        Ok(data) => shared.write_chunk(&track, chunk, variant, data),
                        Err(_) => None,
                    };
                    Outcome {
                        variant,
                        result: result.map(Bytes::from),
                        written,
                        rendered: true,
                    }
                }
            })
            .collect();
        shared.complete(task, outcomes);
    }
}

/// Calls the renderer, turning a panic or a wrong number of results into per-chunk errors.
fn render_guarded(
    renderer: &dyn crate::Renderer,
    track: &TrackRef,
    chunk: u64,
    variants: &[Variant],
) -> Vec<Result<Vec<u8>, RenderError>> {
    let render = || renderer.render_keyed(track.track, &track.processed_key, chunk, variants);
    match catch_unwind(AssertUnwindSafe(render)) {
        Ok(results) if results.len() == variants.len() => results,
        Ok(results) => {
            let e = RenderError::new(
                RenderErrorKind::Internal,
                format!(
                    "renderer returned {} results for {} variants",
                    results.len(),
                    variants.len()
                ),
            );
            variants.iter().map(|_| Err(e.clone())).collect()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let e = RenderError::new(
                RenderErrorKind::Internal,
                format!("renderer panicked: {what}"),
            );
            variants.iter().map(|_| Err(e.clone())).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auralis_core::Preset;

    fn tr(h: u64) -> TrackRef {
        TrackRef {
            track: TrackId(h as i64),
            hash: h,
            key_text: "k".into(),
            chunk_count: 10,
            processed_key: "".into(),
        }
    }

    fn waiter() -> (Waiter, oneshot::Receiver<Result<Bytes, CacheError>>) {
        let (tx, rx) = oneshot::channel();
        (Waiter { tx, listener: None }, rx)
    }

    #[test]
    fn requests_run_first_come_first_served_and_merge_per_chunk() {
        let mut q = Queue::default();
        let (w1, _r1) = waiter();
        let (w2, _r2) = waiter();
        let (w3, _r3) = waiter();
        q.request(&tr(1), 3, Variant::Original, w1);
        q.request(&tr(2), 0, Variant::Original, w2);
        q.request(&tr(1), 3, Variant::Processed(Preset::Warm), w3);
        let snap: Vec<_> = q
            .snapshot()
            .iter()
            .map(|t| (t.track.0, t.chunk, t.variants.len()))
            .collect();
        assert_eq!(snap, vec![(1, 3, 2), (2, 0, 1)]);
        let mut t = q.take_p0().unwrap();
        assert_eq!((t.track.hash, t.chunk), (1, 3));
        q.start(&mut t);
        // A request for a running chunk joins its flight instead of queueing it again.
        let (w4, _r4) = waiter();
        q.request(&tr(1), 3, Variant::Original, w4);
        assert_eq!(q.queued(), 1);
        assert!(q.is_claimed(1, 3, Variant::Original));
        assert_eq!(q.finish_flight(1, 3, Variant::Original).len(), 2);
        assert!(!q.is_claimed(1, 3, Variant::Original));
    }

    #[test]
    fn a_request_whose_client_went_away_is_not_produced() {
        let mut q = Queue::default();
        let (w1, r1) = waiter();
        let (w2, _r2) = waiter();
        q.request(&tr(1), 0, Variant::Original, w1);
        q.request(&tr(2), 0, Variant::Original, w2);
        assert_eq!(q.queued_requests(None), (0, 2));
        drop(r1);
        assert_eq!(q.queued_requests(None), (0, 1));
        assert_eq!(q.take_p0().unwrap().track.hash, 2);
        assert!(q.take_p0().is_none());
        assert_eq!(q.dropped, 1);
    }
}
