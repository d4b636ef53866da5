//! The worker: a priority queue of chunk work, single-flight bookkeeping, and the dedicated
//! threads that run it.
//!
//! A task is one chunk of one track with the set of variants to produce (one decode serves
//! all of them). Tasks run by priority, then in the order they were planned. Requests for a
//! chunk already queued merge into its task (raising its priority); requests for a chunk being
//! computed wait on it (single-flight). Work nobody waits for is dropped before it starts if
//! its track or preset stopped being current; what is already running still lands in tier 2.
//! Background work (P1-P3) never occupies every worker: one is kept for P0, so a listener
//! waits for one render rather than for running background renders to end first (a render
//! cannot be preempted).
//!
//! Not for: deciding what to plan (the manager does that on `update_position`).

use crate::manager::Shared;
use crate::{CacheError, QueuedTask, RenderError, TrackId, Variant};
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
    /// The current and next chunk of the playing track, both variants.
    P1,
    /// The rest of the current track: from the playhead forward, then from the start.
    P2,
    /// The first chunks of the next track in the queue.
    P3,
}

pub(crate) type Waiter = oneshot::Sender<Result<Bytes, CacheError>>;

/// What a task needs to know about its track.
#[derive(Clone, Debug)]
pub(crate) struct TrackRef {
    pub track: TrackId,
    pub hash: u64,
    pub key_text: Arc<str>,
    pub chunk_count: u64,
}

pub(crate) struct Task {
    pub track: TrackRef,
    pub chunk: u64,
    pub priority: Priority,
    order: u64,
    /// Each variant with the requests waiting for it.
    pub variants: Vec<(Variant, Vec<Waiter>)>,
}

type ChunkId = (u64, u64);
type FlightId = (u64, u64, Variant);

#[derive(Default)]
pub(crate) struct Queue {
    pending: HashMap<ChunkId, Task>,
    order: BTreeMap<(Priority, u64), ChunkId>,
    running: HashMap<FlightId, Vec<Waiter>>,
    running_tasks: usize,
    /// Running tasks taken at P1-P3.
    running_background: usize,
    seq: u64,
    pub dropped: u64,
}

impl Queue {
    /// Queues `variant` of a chunk at `priority`, or merges into existing work. A `waiter` is
    /// answered when the chunk is ready.
    pub fn enqueue(
        &mut self,
        track: &TrackRef,
        chunk: u64,
        variant: &Variant,
        priority: Priority,
        waiter: Option<Waiter>,
    ) {
        let flight = (track.hash, chunk, variant.clone());
        if let Some(waiters) = self.running.get_mut(&flight) {
            waiters.extend(waiter);
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        let id = (track.hash, chunk);
        match self.pending.get_mut(&id) {
            Some(task) => {
                match task.variants.iter_mut().find(|(v, _)| v == variant) {
                    Some((_, ws)) => ws.extend(waiter),
                    None => task
                        .variants
                        .push((variant.clone(), waiter.into_iter().collect())),
                }
                if priority < task.priority {
                    self.order.remove(&(task.priority, task.order));
                    task.priority = priority;
                    task.order = seq;
                    self.order.insert((priority, seq), id);
                }
            }
            None => {
                self.pending.insert(
                    id,
                    Task {
                        track: track.clone(),
                        chunk,
                        priority,
                        order: seq,
                        variants: vec![(variant.clone(), waiter.into_iter().collect())],
                    },
                );
                self.order.insert((priority, seq), id);
            }
        }
    }

    /// Drops every queued variant nobody waits for (the background plan is rebuilt from
    /// scratch on each position update).
    pub fn clear_background(&mut self) {
        let mut emptied = Vec::new();
        for (id, task) in self.pending.iter_mut() {
            let before = task.variants.len();
            task.variants.retain(|(_, ws)| !ws.is_empty());
            self.dropped += (before - task.variants.len()) as u64;
            if task.variants.is_empty() {
                emptied.push((*id, task.priority, task.order));
            }
        }
        for (id, p, o) in emptied {
            self.pending.remove(&id);
            self.order.remove(&(p, o));
        }
    }

    /// The next task to run: variants nobody waits for and that are no longer wanted
    /// (`wanted` false) are dropped first. Marks the task's variants as running. With
    /// `background` false only P0 work is taken.
    pub fn take_next(
        &mut self,
        background: bool,
        wanted: impl Fn(&TrackRef, u64, &Variant) -> bool,
    ) -> Option<Task> {
        while let Some((&(priority, _), _)) = self.order.first_key_value() {
            if !background && priority != Priority::P0 {
                return None;
            }
            let Some((_, id)) = self.order.pop_first() else {
                break;
            };
            let Some(mut task) = self.pending.remove(&id) else {
                continue;
            };
            let before = task.variants.len();
            task.variants
                .retain(|(v, ws)| !ws.is_empty() || wanted(&task.track, task.chunk, v));
            self.dropped += (before - task.variants.len()) as u64;
            if task.variants.is_empty() {
                continue;
            }
            // The waiters move to the flight, where later requests join them.
            for (v, ws) in &mut task.variants {
                self.running
                    .insert((task.track.hash, task.chunk, v.clone()), std::mem::take(ws));
            }
            self.running_tasks += 1;
            if task.priority != Priority::P0 {
                self.running_background += 1;
            }
            return Some(task);
        }
        None
    }

    /// Ends the flight of one variant; returns the requests that joined it while it ran.
    pub fn finish_flight(&mut self, hash: u64, chunk: u64, variant: &Variant) -> Vec<Waiter> {
        self.running
            .remove(&(hash, chunk, variant.clone()))
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

    pub fn is_idle(&self) -> bool {
        self.order.is_empty() && self.running_tasks == 0
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

    /// Pending tasks in the order they would run.
    pub fn snapshot(&self) -> Vec<QueuedTask> {
        self.order
            .values()
            .filter_map(|id| self.pending.get(id))
            .map(|t| QueuedTask {
                track: t.track.track,
                chunk: t.chunk,
                priority: t.priority,
                variants: t.variants.iter().map(|(v, _)| v.clone()).collect(),
                waiters: t.variants.iter().map(|(_, ws)| ws.len()).sum(),
            })
            .collect()
    }

    /// Waiters of pending work and running flights (answered with `Shutdown` when dropped).
    pub fn drain_all(&mut self) {
        self.pending.clear();
        self.order.clear();
        self.running.clear();
    }
}

/// What became of one variant of a task.
pub(crate) struct Outcome {
    pub variant: Variant,
    pub result: Result<Bytes, String>,
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
        let names: Vec<Variant> = task.variants.iter().map(|(v, _)| v.clone()).collect();
        // Variants already on disk are read back (promotion to tier 1); the rest are rendered.
        let existing = shared.read_existing(&track, chunk, &names);
        let missing: Vec<Variant> = names
            .iter()
            .zip(&existing)
            .filter(|(_, e)| e.is_none())
            .map(|(v, _)| v.clone())
            .collect();
        let mut rendered = if missing.is_empty() {
            Vec::new()
        } else {
            render_guarded(shared.renderer.as_ref(), track.track, chunk, &missing)
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
                    let result = rendered
                        .next()
                        .unwrap_or_else(|| Err("renderer returned too few results".into()));
                    let written = match &result {
                        Ok(data) => shared.write_chunk(&track, chunk, &variant, data),
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
    track: TrackId,
    chunk: u64,
    variants: &[Variant],
) -> Vec<Result<Vec<u8>, String>> {
    match catch_unwind(AssertUnwindSafe(|| renderer.render(track, chunk, variants))) {
        Ok(results) if results.len() == variants.len() => results
            .into_iter()
            .map(|r| r.map_err(|RenderError(m)| m))
            .collect(),
        Ok(results) => {
            let msg = format!(
                "renderer returned {} results for {} variants",
                results.len(),
                variants.len()
            );
            variants.iter().map(|_| Err(msg.clone())).collect()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let msg = format!("renderer panicked: {what}");
            variants.iter().map(|_| Err(msg.clone())).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(h: u64) -> TrackRef {
        TrackRef {
            track: TrackId(h as i64),
            hash: h,
            key_text: "k".into(),
            chunk_count: 10,
        }
    }

    #[test]
    fn priority_then_plan_order_and_merging() {
        let mut q = Queue::default();
        q.enqueue(&tr(1), 2, &Variant::Original, Priority::P2, None);
        q.enqueue(&tr(1), 3, &Variant::Original, Priority::P2, None);
        q.enqueue(&tr(1), 1, &Variant::Original, Priority::P1, None);
        q.enqueue(
            &tr(1),
            3,
            &Variant::Processed("warm".into()),
            Priority::P0,
            None,
        );
        let order: Vec<_> = q
            .snapshot()
            .iter()
            .map(|t| (t.chunk, t.priority, t.variants.len()))
            .collect();
        assert_eq!(
            order,
            vec![
                (3, Priority::P0, 2),
                (1, Priority::P1, 1),
                (2, Priority::P2, 1)
            ]
        );
        let t = q.take_next(true, |_, _, _| true).unwrap();
        assert_eq!(t.chunk, 3);
        // A request for a running chunk joins its flight instead of queueing it again.
        let (tx, _rx) = oneshot::channel();
        q.enqueue(&tr(1), 3, &Variant::Original, Priority::P0, Some(tx));
        assert_eq!(q.queued(), 2);
        assert_eq!(q.finish_flight(1, 3, &Variant::Original).len(), 1);
    }

    #[test]
    fn unwanted_work_without_waiters_is_dropped() {
        let mut q = Queue::default();
        q.enqueue(&tr(1), 0, &Variant::Original, Priority::P2, None);
        let (tx, _rx) = oneshot::channel();
        q.enqueue(&tr(2), 0, &Variant::Original, Priority::P0, Some(tx));
        q.clear_background();
        assert_eq!(q.queued(), 1);
        assert_eq!(q.take_next(true, |_, _, _| false).unwrap().track.hash, 2);
        q.enqueue(&tr(3), 0, &Variant::Original, Priority::P2, None);
        assert!(q.take_next(true, |_, _, _| false).is_none());
        assert_eq!(q.dropped, 2);
    }

    #[test]
    fn without_background_only_p0_is_taken() {
        let mut q = Queue::default();
        q.enqueue(&tr(1), 1, &Variant::Original, Priority::P1, None);
        q.enqueue(&tr(1), 2, &Variant::Original, Priority::P2, None);
        assert!(q.take_next(false, |_, _, _| true).is_none());
        let t = q.take_next(true, |_, _, _| true).unwrap();
        assert_eq!((t.chunk, q.running_background()), (1, 1));
        q.enqueue(&tr(1), 5, &Variant::Original, Priority::P0, None);
        let urgent = q.take_next(false, |_, _, _| true).unwrap();
        assert_eq!((urgent.chunk, q.running_background()), (5, 1));
        assert!(q.take_next(false, |_, _, _| true).is_none());
        q.finish_task(t.priority);
        q.finish_task(urgent.priority);
        assert_eq!((q.running(), q.running_background()), (0, 0));
        assert_eq!(q.take_next(true, |_, _, _| true).unwrap().chunk, 2);
    }
}
