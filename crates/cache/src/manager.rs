//! The cache's public API: [`Cache`] ties tier 1, tier 2 and the worker together.
//!
//! The server calls [`Cache::update_position`] whenever the playhead, the preset or the
//! queue changes: that pins the playing track, refreshes tier 1 (current and next chunk, both
//! variants) and replans the background work (P1 → P2 → P3). Every chunk served goes through
//! [`Cache::get_chunk`], which answers from tier 1, then tier 2, else renders at P0 while the
//! caller waits, and says which tier served it.
//!
//! All bookkeeping sits in one small `State` behind one mutex; disk I/O and rendering happen
//! outside it, on blocking threads.

use crate::events::CacheEvent;
use crate::key::TrackKey;
use crate::status::{CacheStats, QueuedTask, Tier, TrackStatus, VariantCount};
use crate::tier1::Tier1;
use crate::tier2::{DiskStore, Index, TrackEntry};
use crate::worker::{self, Outcome, Priority, Queue, Task, TrackRef};
use crate::{CacheError, Renderer, TrackId, Variant};
use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::{broadcast, oneshot, Notify};

/// Cache settings. [`Config::new`] gives the defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// The cache directory (tier 2). Created if missing. One `Cache` per directory.
    pub dir: PathBuf,
    /// Tier 2 keeps at most this many recent tracks (the next track's prefetch not counted).
    pub max_tracks: usize,
    /// Tier 2 keeps at most this many bytes, unless the playing track alone needs more.
    pub budget_bytes: u64,
    /// Worker threads, i.e. chunks rendered at once.
    pub workers: usize,
    /// How many chunks of the next track to prefetch (P3).
    pub next_track_chunks: u64,
    /// The preset completion refers to before the first `update_position`.
    pub default_preset: String,
    /// Capacity of the event channel.
    pub event_capacity: usize,
}

impl Config {
    pub fn new(dir: impl Into<PathBuf>) -> Config {
        Config {
            dir: dir.into(),
            max_tracks: 2,
            budget_bytes: 1 << 30,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            next_track_chunks: 2,
            default_preset: "adaptive".into(),
            event_capacity: 1024,
        }
    }
}

/// The playing track.
struct Playing {
    track: TrackRef,
    chunk: u64,
}

#[derive(Default)]
struct Counters {
    requests: u64,
    tier1_hits: u64,
    tier2_hits: u64,
    misses: u64,
    rendered: u64,
    render_errors: u64,
    damaged: u64,
}

pub(crate) struct State {
    tier1: Tier1,
    index: Index,
    queue: Queue,
    playing: Option<Playing>,
    next: Option<TrackRef>,
    preset: Variant,
    /// Chunks whose render failed: not replanned in the background (a request still retries).
    failed: HashSet<(u64, u64, Variant)>,
    counters: Counters,
    shutdown: bool,
}

impl State {
    fn is_hot(&self, hash: u64, chunk: u64, variant: &Variant) -> bool {
        self.playing.as_ref().is_some_and(|p| {
            p.track.hash == hash
                && (chunk == p.chunk || chunk == p.chunk + 1)
                && (*variant == Variant::Original || *variant == self.preset)
        })
    }

    fn status(&self, track: TrackId, tref: &TrackRef) -> TrackStatus {
        let total = tref.chunk_count;
        let entry = self.index.get(tref.hash);
        let (mut variants, cached, bytes) = match entry {
            Some(e) => {
                let v: Vec<VariantCount> = e
                    .chunks
                    .iter()
                    .filter(|(_, m)| !m.is_empty())
                    .map(|(v, m)| VariantCount {
                        variant: v.clone(),
                        cached_chunks: m.len() as u64,
                    })
                    .collect();
                let cached = e.count(&Variant::Original) + e.count(&self.preset);
                (v, cached, e.bytes)
            }
            None => (Vec::new(), 0, 0),
        };
        variants.sort_by(|a, b| a.variant.cmp(&b.variant));
        let percent = if total == 0 {
            100.0
        } else {
            cached as f64 * 100.0 / (2 * total) as f64
        };
        let preset = self.preset.name().to_string();
        let seconds_to_full = entry
            .and_then(|e| e.full.as_ref())
            .filter(|(p, _)| *p == preset)
            .and_then(|(_, s)| *s);
        TrackStatus {
            track,
            total_chunks: total,
            preset,
            variants,
            cached_chunks: cached,
            percent,
            fully_cached: cached == 2 * total,
            seconds_to_full,
            tier1_chunks: self.tier1.count_track(tref.hash),
            tier2_bytes: bytes,
            pinned: self
                .playing
                .as_ref()
                .is_some_and(|p| p.track.hash == tref.hash),
        }
    }

    /// Evicts tracks over the limits; returns the events and the directories to delete.
    fn evict(&mut self, shared: &Shared) -> (Vec<CacheEvent>, Vec<PathBuf>) {
        let protected: Vec<u64> = self.playing.iter().map(|p| p.track.hash).collect();
        let upcoming = self.next.as_ref().map(|n| n.hash);
        let evicted = self.index.evict(
            &protected,
            upcoming,
            shared.config.max_tracks,
            shared.config.budget_bytes,
        );
        self.forget(&shared.store, evicted)
    }

    fn forget(
        &mut self,
        store: &DiskStore,
        evicted: Vec<TrackEntry>,
    ) -> (Vec<CacheEvent>, Vec<PathBuf>) {
        let mut events = Vec::new();
        let mut trash = Vec::new();
        for e in evicted {
            self.tier1.retain(|k| k.0 != e.hash);
            self.failed.retain(|k| k.0 != e.hash);
            trash.extend(store.trash_track(e.hash));
            events.push(CacheEvent::Evicted {
                track: e.track,
                key: format!("{:016x}", e.hash),
                bytes: e.bytes,
            });
        }
        (events, trash)
    }
}

/// What the cache's threads share.
pub(crate) struct Shared {
    state: Mutex<State>,
    work: Condvar,
    pub(crate) store: DiskStore,
    pub(crate) renderer: Arc<dyn Renderer>,
    events: broadcast::Sender<CacheEvent>,
    idle: Notify,
    config: Config,
}

impl Shared {
    /// Sends events; called with the state lock held, so subscribers see them in the order
    /// the state changed (progress never goes backwards).
    fn send(&self, events: Vec<CacheEvent>) {
        for e in events {
            let _ = self.events.send(e);
        }
    }

    /// Deletes evicted track directories; called without the lock.
    fn delete(&self, trash: Vec<PathBuf>) {
        for t in trash {
            DiskStore::delete(&t);
        }
    }

    fn notify_if_idle(&self, st: &State) {
        if st.queue.is_idle() {
            self.idle.notify_waiters();
        }
    }

    /// Blocks a worker thread until there is work (None: shut down).
    pub(crate) fn next_task(&self) -> Option<Task> {
        let mut st = self.state.lock();
        loop {
            if st.shutdown {
                return None;
            }
            let next_chunks = self.config.next_track_chunks;
            // One worker is kept for P0 (when there are several).
            let workers = self.config.workers.max(1);
            let background = workers == 1 || st.queue.running_background() < workers - 1;
            let st_ref = &mut *st;
            let view = Wants {
                playing: st_ref.playing.as_ref().map(|p| p.track.hash),
                next: st_ref.next.as_ref().map(|n| n.hash),
                preset: st_ref.preset.clone(),
            };
            if let Some(task) = st_ref
                .queue
                .take_next(background, |t, c, v| view.wants(next_chunks, t, c, v))
            {
                return Some(task);
            }
            self.notify_if_idle(&st);
            self.work.wait(&mut st);
        }
    }

    /// Reads the variants already in tier 2 (None where absent or damaged).
    pub(crate) fn read_existing(
        &self,
        track: &TrackRef,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Option<Bytes>> {
        let present: Vec<bool> = {
            let st = self.state.lock();
            variants
                .iter()
                .map(|v| st.index.contains(track.hash, chunk, v))
                .collect()
        };
        variants
            .iter()
            .zip(present)
            .map(|(v, present)| {
                if !present {
                    return None;
                }
                let text = TrackKey::chunk_text_of(&track.key_text, v, chunk);
                match self.store.read(track.hash, v, chunk, &text) {
                    Ok(b) => Some(b),
                    Err(_) => {
                        self.discard(track.hash, chunk, v);
                        None
                    }
                }
            })
            .collect()
    }

    /// Drops a damaged tier-2 file from the index and the disk.
    fn discard(&self, hash: u64, chunk: u64, variant: &Variant) {
        let mut st = self.state.lock();
        st.counters.damaged += 1;
        st.index.remove_chunk(hash, chunk, variant);
        self.store.remove_chunk(hash, variant, chunk);
    }

    pub(crate) fn write_chunk(
        &self,
        track: &TrackRef,
        chunk: u64,
        variant: &Variant,
        data: &[u8],
    ) -> Option<u64> {
        let text = TrackKey::chunk_text_of(&track.key_text, variant, chunk);
        self.store
            .write(track.hash, variant, chunk, &text, data)
            .ok()
    }

    /// Records a finished task: tier 2 index, tier 1 if hot, answers, events, eviction.
    pub(crate) fn complete(&self, task: Task, outcomes: Vec<Outcome>) {
        let Task {
            track,
            chunk,
            priority,
            variants,
            ..
        } = task;
        let mut answers = Vec::new();
        let mut events = Vec::new();
        let trash;
        {
            let mut st = self.state.lock();
            let mut stored_any = false;
            for ((_, mut waiters), out) in variants.into_iter().zip(outcomes) {
                let v = out.variant;
                waiters.extend(st.queue.finish_flight(track.hash, chunk, &v));
                let answer = match out.result {
                    Ok(data) => {
                        if out.rendered {
                            st.counters.rendered += 1;
                        }
                        st.failed.remove(&(track.hash, chunk, v.clone()));
                        if let Some(size) = out.written {
                            st.index
                                .insert(track.hash, Some(track.track), chunk, v.clone(), size);
                            stored_any = true;
                        }
                        let hot = st.is_hot(track.hash, chunk, &v);
                        if hot {
                            st.tier1
                                .insert((track.hash, chunk, v.clone()), data.clone());
                        }
                        if out.written.is_some() || hot {
                            events.push(CacheEvent::ChunkCached {
                                track: track.track,
                                chunk,
                                variant: v.clone(),
                                tier: if hot { Tier::Tier1 } else { Tier::Tier2 },
                            });
                        }
                        Ok(data)
                    }
                    Err(message) => {
                        st.counters.render_errors += 1;
                        st.failed.insert((track.hash, chunk, v.clone()));
                        Err(CacheError::Render {
                            track: track.track,
                            chunk,
                            variant: v.clone(),
                            message,
                        })
                    }
                };
                answers.push((waiters, answer));
            }
            if stored_any {
                let status = st.status(track.track, &track);
                events.push(CacheEvent::TrackProgress {
                    track: track.track,
                    cached_chunks: status.cached_chunks,
                    total_chunks: status.total_chunks,
                    percent: status.percent,
                });
                if status.fully_cached {
                    let preset = status.preset.clone();
                    if let Some(e) = st.index.get_mut(track.hash) {
                        if e.full.as_ref().map(|f| &f.0) != Some(&preset) {
                            let secs = e.started.elapsed().as_secs_f64();
                            e.full = Some((preset.clone(), Some(secs)));
                            events.push(CacheEvent::TrackFullyCached {
                                track: track.track,
                                preset,
                                seconds: Some(secs),
                            });
                        }
                    }
                }
            }
            let (ev, tr) = st.evict(self);
            events.extend(ev);
            trash = tr;
            st.queue.finish_task(priority);
            self.send(events);
            self.notify_if_idle(&st);
        }
        for (waiters, answer) in answers {
            for w in waiters {
                let _ = w.send(answer.clone());
            }
        }
        self.delete(trash);
    }
}

/// A copy of what `State::wants` needs, so the queue can be borrowed mutably beside it.
struct Wants {
    playing: Option<u64>,
    next: Option<u64>,
    preset: Variant,
}

impl Wants {
    fn wants(&self, next_chunks: u64, t: &TrackRef, chunk: u64, v: &Variant) -> bool {
        let variant_ok = *v == Variant::Original || *v == self.preset;
        variant_ok
            && (self.playing == Some(t.hash) || (self.next == Some(t.hash) && chunk < next_chunks))
    }
}

/// The two-tier chunk cache and its worker threads. Share it as `Arc<Cache>`; dropping it
/// stops the workers (after the chunks they are rendering) and answers pending requests with
/// [`CacheError::Shutdown`].
pub struct Cache {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

enum Step {
    Disk,
    Wait(oneshot::Receiver<Result<Bytes, CacheError>>),
}

impl Cache {
    /// Opens (or creates) the cache in `config.dir`: removes leftovers of an interrupted run,
    /// rebuilds the tier-2 index from the directory listing, enforces the limits and starts
    /// the worker threads. Does not need a tokio runtime; the async methods do.
    pub fn open(config: Config, renderer: Arc<dyn Renderer>) -> Result<Cache, CacheError> {
        let (store, scanned) =
            DiskStore::open(&config.dir).map_err(|e| CacheError::io(&config.dir, e))?;
        let preset =
            Variant::processed(&config.default_preset).map_err(CacheError::InvalidVariant)?;
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        let state = State {
            tier1: Tier1::default(),
            index: Index::from_scan(scanned),
            queue: Queue::default(),
            playing: None,
            next: None,
            preset,
            failed: HashSet::new(),
            counters: Counters::default(),
            shutdown: false,
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            work: Condvar::new(),
            store,
            renderer,
            events,
            idle: Notify::new(),
            config,
        });
        let (_, trash) = shared.state.lock().evict(&shared);
        shared.delete(trash);
        let threads = (0..shared.config.workers.max(1))
            .map(|i| {
                let s = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("auralis-cache-{i}"))
                    .spawn(move || worker::run(s))
                    .map_err(|e| CacheError::io(&shared.config.dir, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Cache { shared, threads })
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    pub fn dir(&self) -> &Path {
        &self.shared.config.dir
    }

    /// Events: chunk cached, track progress, track fully cached, evicted.
    pub fn subscribe(&self) -> broadcast::Receiver<CacheEvent> {
        self.shared.events.subscribe()
    }

    /// Describes a track on a blocking thread.
    async fn describe(&self, track: TrackId) -> Result<TrackRef, CacheError> {
        let renderer = Arc::clone(&self.shared.renderer);
        let desc = tokio::task::spawn_blocking(move || renderer.describe(track))
            .await
            .map_err(|e| CacheError::Describe {
                track,
                message: format!("describe panicked: {e}"),
            })?
            .map_err(|e| CacheError::Describe {
                track,
                message: e.0,
            })?;
        let key = TrackKey::of(&desc);
        Ok(TrackRef {
            track,
            hash: key.hash,
            key_text: key.text.into(),
            chunk_count: desc.chunk_count,
        })
    }

    /// The playing and next tracks were described by the last `update_position`; any other
    /// track is described afresh, so a changed file is never served stale.
    async fn track_ref(&self, track: TrackId) -> Result<TrackRef, CacheError> {
        {
            let st = self.shared.state.lock();
            if let Some(p) = st.playing.as_ref().filter(|p| p.track.track == track) {
                return Ok(p.track.clone());
            }
            if let Some(n) = st.next.as_ref().filter(|n| n.track == track) {
                return Ok(n.clone());
            }
        }
        self.describe(track).await
    }

    /// The playhead is at chunk `chunk` of `track` (convert seconds with the track's
    /// timeline), the listener's preset is `preset`, and `next` plays after it. Describes both
    /// tracks again (so a changed file is noticed), pins `track` in tier 2, keeps tier 1 to the
    /// current and next chunk in the original and `preset`, and replans the background work;
    /// work for anything else that nobody waits for is dropped.
    pub async fn update_position(
        &self,
        track: TrackId,
        chunk: u64,
        preset: &str,
        next: Option<TrackId>,
    ) -> Result<(), CacheError> {
        let preset = Variant::processed(preset).map_err(CacheError::InvalidVariant)?;
        let current = self.describe(track).await?;
        if chunk >= current.chunk_count {
            return Err(CacheError::OutOfRange {
                track,
                chunk,
                chunk_count: current.chunk_count,
            });
        }
        // A next track that cannot be described is simply not prefetched.
        let next = match next {
            Some(n) if n != track => self.describe(n).await.ok(),
            _ => None,
        };
        let shared = &self.shared;
        let trash = {
            let mut st = shared.state.lock();
            let st = &mut *st;
            st.preset = preset.clone();
            st.playing = Some(Playing {
                track: current.clone(),
                chunk,
            });
            st.next = next.clone();
            let entry = st.index.entry(current.hash);
            entry.track = Some(track);
            st.index.touch(current.hash);
            let hot: Vec<(u64, u64, Variant)> = [chunk, chunk + 1]
                .into_iter()
                .filter(|c| *c < current.chunk_count)
                .flat_map(|c| {
                    [
                        (current.hash, c, Variant::Original),
                        (current.hash, c, preset.clone()),
                    ]
                })
                .collect();
            st.tier1.retain(|k| hot.contains(k));
            st.queue.clear_background();
            let variants = [Variant::Original, preset.clone()];
            for (h, c, v) in &hot {
                if !st.tier1.contains(&(*h, *c, v.clone()))
                    && !st.failed.contains(&(*h, *c, v.clone()))
                {
                    st.queue.enqueue(&current, *c, v, Priority::P1, None);
                }
            }
            let rest = (chunk + 2..current.chunk_count).chain(0..chunk);
            for c in rest {
                for v in &variants {
                    let k = (current.hash, c, v.clone());
                    if !st.index.contains(current.hash, c, v) && !st.failed.contains(&k) {
                        st.queue.enqueue(&current, c, v, Priority::P2, None);
                    }
                }
            }
            if let Some(n) = &next {
                for c in 0..shared.config.next_track_chunks.min(n.chunk_count) {
                    for v in &variants {
                        let k = (n.hash, c, v.clone());
                        if !st.index.contains(n.hash, c, v) && !st.failed.contains(&k) {
                            st.queue.enqueue(n, c, v, Priority::P3, None);
                        }
                    }
                }
            }
            let (events, trash) = st.evict(shared);
            shared.send(events);
            shared.work.notify_all();
            shared.notify_if_idle(st);
            trash
        };
        shared.delete(trash);
        Ok(())
    }

    /// One chunk of one variant, and the tier that served it: tier 1 (memory), tier 2 (disk,
    /// validated) or a miss (rendered at P0 while the caller waits; concurrent requests for the
    /// same chunk share one render). A damaged tier-2 file is discarded and rebuilt.
    pub async fn get_chunk(
        &self,
        track: TrackId,
        chunk: u64,
        variant: &Variant,
    ) -> Result<(Bytes, Tier), CacheError> {
        variant.validate().map_err(CacheError::InvalidVariant)?;
        let tref = self.track_ref(track).await?;
        if chunk >= tref.chunk_count {
            return Err(CacheError::OutOfRange {
                track,
                chunk,
                chunk_count: tref.chunk_count,
            });
        }
        let hot_key = (tref.hash, chunk, variant.clone());
        let mut first = true;
        let mut disk_allowed = true;
        loop {
            let step = {
                let mut st = self.shared.state.lock();
                if first {
                    st.counters.requests += 1;
                    first = false;
                }
                if let Some(b) = st.tier1.get(&hot_key) {
                    st.counters.tier1_hits += 1;
                    return Ok((b, Tier::Tier1));
                }
                if disk_allowed && st.index.contains(tref.hash, chunk, variant) {
                    st.index.touch(tref.hash);
                    Step::Disk
                } else {
                    let (tx, rx) = oneshot::channel();
                    st.counters.misses += 1;
                    st.queue
                        .enqueue(&tref, chunk, variant, Priority::P0, Some(tx));
                    self.shared.work.notify_one();
                    Step::Wait(rx)
                }
            };
            match step {
                Step::Disk => {
                    let shared = Arc::clone(&self.shared);
                    let (t, v) = (tref.clone(), variant.clone());
                    let read = tokio::task::spawn_blocking(move || {
                        let text = TrackKey::chunk_text_of(&t.key_text, &v, chunk);
                        shared.store.read(t.hash, &v, chunk, &text).ok()
                    })
                    .await
                    .ok()
                    .flatten();
                    match read {
                        Some(b) => {
                            let mut st = self.shared.state.lock();
                            st.counters.tier2_hits += 1;
                            if st.is_hot(tref.hash, chunk, variant) {
                                st.tier1.insert(hot_key, b.clone());
                            }
                            return Ok((b, Tier::Tier2));
                        }
                        None => {
                            self.shared.discard(tref.hash, chunk, variant);
                            disk_allowed = false;
                        }
                    }
                }
                Step::Wait(rx) => {
                    return match rx.await {
                        Ok(Ok(b)) => Ok((b, Tier::Miss)),
                        Ok(Err(e)) => Err(e),
                        Err(_) => Err(CacheError::Shutdown),
                    }
                }
            }
        }
    }

    /// Cache status of one track (completion refers to the original and the current preset).
    pub async fn track_status(&self, track: TrackId) -> Result<TrackStatus, CacheError> {
        let tref = self.track_ref(track).await?;
        Ok(self.shared.state.lock().status(track, &tref))
    }

    /// True when every chunk of the original and the current preset is in tier 2.
    pub async fn is_track_fully_cached(&self, track: TrackId) -> Result<bool, CacheError> {
        Ok(self.track_status(track).await?.fully_cached)
    }

    pub fn stats(&self) -> CacheStats {
        let st = self.shared.state.lock();
        let c = &st.counters;
        let hits = c.tier1_hits + c.tier2_hits;
        CacheStats {
            requests: c.requests,
            tier1_hits: c.tier1_hits,
            tier2_hits: c.tier2_hits,
            tier1_misses: c.requests - c.tier1_hits,
            misses: c.requests - hits,
            hit_rate: if c.requests == 0 {
                0.0
            } else {
                hits as f64 / c.requests as f64
            },
            tier1_chunks: st.tier1.len() as u64,
            tier1_bytes: st.tier1.bytes(),
            tier2_chunks: st.index.chunks(),
            tier2_bytes: st.index.bytes(),
            tracks_cached: st.index.len() as u64,
            budget_bytes: self.shared.config.budget_bytes,
            max_tracks: self.shared.config.max_tracks,
            rendered: c.rendered,
            render_errors: c.render_errors,
            damaged_files: c.damaged,
            dropped_tasks: st.queue.dropped,
            queued_tasks: st.queue.queued() as u64,
            running_tasks: st.queue.running() as u64,
        }
    }

    /// Pending work, in the order it would run.
    pub fn queue(&self) -> Vec<QueuedTask> {
        self.shared.state.lock().queue.snapshot()
    }

    /// Requests currently waiting for a render (queued or running).
    pub fn waiting_requests(&self) -> usize {
        self.shared.state.lock().queue.waiting()
    }

    /// Empties both tiers and drops background work (for `DELETE /api/cache`). Requests being
    /// waited on still complete; chunks being rendered still land in tier 2.
    pub fn clear(&self) {
        let shared = &self.shared;
        let mut trash = {
            let mut st = shared.state.lock();
            st.tier1.clear();
            st.failed.clear();
            st.queue.clear_background();
            let entries = st.index.clear();
            let (events, trash) = st.forget(&shared.store, entries);
            shared.send(events);
            shared.notify_if_idle(&st);
            trash
        };
        trash.extend(shared.store.trash_all());
        shared.delete(trash);
    }

    /// Waits until the worker has nothing queued or running (for tests, benchmarks and
    /// graceful shutdown).
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.shared.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.shared.state.lock().queue.is_idle() {
                return;
            }
            notified.await;
        }
    }

    /// The path of a chunk's tier-2 file (whether or not it exists), for tests and tools.
    pub async fn chunk_path(
        &self,
        track: TrackId,
        chunk: u64,
        variant: &Variant,
    ) -> Result<PathBuf, CacheError> {
        let tref = self.track_ref(track).await?;
        Ok(self.shared.store.chunk_path(tref.hash, variant, chunk))
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        {
            let mut st = self.shared.state.lock();
            st.shutdown = true;
            st.queue.drain_all();
        }
        self.shared.work.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
