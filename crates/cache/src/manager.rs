//! The cache's public API: [`Cache`] ties tier 1, tier 2, the listeners and the worker together.
//!
//! The server calls [`Cache::update_position`] whenever a listener's playhead, preset or queue
//! changes: that pins the listener's track (and its next one) in tier 2 and keeps its current
//! and next chunk, both variants, in tier 1. Every listener is tracked the same way, so tier 1
//! is the union of their hot sets and tier 2 pins every listener's track. Nothing is queued by a
//! position update: when a worker thread is free it asks the listeners in turn what each needs
//! next (P1, then P2, then P3), so updates are cheap and never restart anybody's work. Every
//! chunk served goes through [`Cache::get_chunk`], which answers from tier 1, then tier 2, else
//! renders at P0 while the caller waits, and says which tier served it.
//!
//! All bookkeeping sits in one small `State` behind one mutex; disk I/O and rendering happen
//! outside it, on blocking threads.

use crate::events::CacheEvent;
use crate::key::TrackKey;
use crate::status::{CacheStats, ListenerStatus, QueuedTask, Tier, TrackStatus, VariantCount};
use crate::streams::{valid_stream_name, StreamFile, StreamWriter};
use crate::tier1::{HotKey, Tier1};
use crate::tier2::{DiskStore, Index, TrackEntry};
use crate::worker::{self, FlightId, Outcome, Priority, Queue, Task, TrackRef, Waiter};
use crate::{CacheError, ListenerKey, Loudness, Preset, Renderer, TrackId, Variant};
use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, oneshot, Notify};

/// Cache settings. [`Config::new`] gives the defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// The cache directory (tier 2). Created if missing. One `Cache` per directory.
    pub dir: PathBuf,
    /// Tier 2 keeps at most this many recent tracks besides the pinned ones (every listener's
    /// current and next track).
    pub max_tracks: usize,
    /// Tier 2 keeps at most this many bytes, unless the pinned tracks alone need more.
    pub budget_bytes: u64,
    /// Worker threads, i.e. chunks rendered at once.
    pub workers: usize,
    /// How many chunks of a listener's next track to prefetch (P3).
    pub next_track_chunks: u64,
    /// A listener with no position update for this long is forgotten (its pins released).
    pub listener_idle: Duration,
    /// At most this many listeners are tracked; a new one replaces the least recently active.
    pub max_listeners: usize,
    /// Requests one listener may have waiting for a render; more get [`CacheError::Busy`].
    pub max_waiting_per_listener: usize,
    /// Requests that may wait for a render in all; more get [`CacheError::Busy`].
    pub max_waiting: usize,
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
            listener_idle: Duration::from_secs(120),
            max_listeners: 64,
            max_waiting_per_listener: 8,
            max_waiting: 64,
            event_capacity: 1024,
        }
    }
}

/// What one listener is doing.
struct Listener {
    key: ListenerKey,
    track: TrackRef,
    chunk: u64,
    preset: Preset,
    /// Track or album loudness: which processed variant of `preset` it plays.
    loudness: Loudness,
    next: Option<TrackRef>,
    last_seen: Instant,
}

impl Listener {
    fn variants(&self) -> [Variant; 2] {
        [
            Variant::Original,
            Variant::processed(self.preset, self.loudness),
        ]
    }

    /// Its hot chunks: the current one and the next one (the next track's first chunk when the
    /// current one is the last), both variants.
    fn hot(&self) -> impl Iterator<Item = (&TrackRef, u64)> {
        let t = &self.track;
        let next_in_track = (self.chunk + 1 < t.chunk_count).then_some((t, self.chunk + 1));
        let next_track = match &self.next {
            Some(n) if self.chunk + 1 >= t.chunk_count && n.chunk_count > 0 => Some((n, 0)),
            _ => None,
        };
        std::iter::once((t, self.chunk))
            .chain(next_in_track)
            .chain(next_track)
    }

    fn is_hot(&self, hash: u64, chunk: u64, variant: Variant) -> bool {
        self.variants().contains(&variant) && self.hot().any(|(t, c)| t.hash == hash && c == chunk)
    }
}

#[derive(Default)]
struct Counters {
    requests: u64,
    tier1_hits: u64,
    tier2_hits: u64,
    misses: u64,
    refused: u64,
    rendered: u64,
    render_errors: u64,
    damaged: u64,
    expired_listeners: u64,
}

pub(crate) struct State {
    tier1: Tier1,
    index: Index,
    queue: Queue,
    /// Active listeners, in the order they arrived (the round-robin order).
    listeners: Vec<Listener>,
    /// The listener whose turn it is for background work.
    turn: usize,
    /// Chunks whose render failed: not redone in the background (a request still retries).
    failed: HashSet<FlightId>,
    counters: Counters,
    /// The pinned tracks alone exceed the byte budget (logged once per episode).
    over_budget: bool,
    shutdown: bool,
}

impl State {
    fn is_hot(&self, hash: u64, chunk: u64, variant: Variant) -> bool {
        self.listeners
            .iter()
            .any(|l| l.is_hot(hash, chunk, variant))
    }

    /// Drops from tier 1 whatever no listener's hot set holds any more.
    fn retain_hot(&mut self) {
        let hot: HashSet<HotKey> = self
            .listeners
            .iter()
            .flat_map(|l| {
                let vs = l.variants();
                l.hot()
                    .flat_map(move |(t, c)| vs.into_iter().map(move |v| (t.hash, c, v)))
            })
            .collect();
        self.tier1.retain(|k| hot.contains(k));
    }

    /// Every listener's current and next track: tier 2 keeps them whatever the limits say.
    fn pinned(&self) -> Vec<u64> {
        let mut pinned: Vec<u64> = self
            .listeners
            .iter()
            .flat_map(|l| std::iter::once(l.track.hash).chain(l.next.as_ref().map(|n| n.hash)))
            .collect();
        pinned.sort_unstable();
        pinned.dedup();
        pinned
    }

    fn ref_of(&self, track: TrackId) -> Option<TrackRef> {
        self.listeners.iter().find_map(|l| {
            if l.track.track == track {
                Some(l.track.clone())
            } else {
                l.next.as_ref().filter(|n| n.track == track).cloned()
            }
        })
    }

    /// The first chunk listener `l` needs at `priority`, with the variants still to produce,
    /// skipping what is cached, claimed, failed, or `taken` (already planned by the caller).
    fn needed(
        &self,
        l: &Listener,
        priority: Priority,
        next_chunks: u64,
        taken: &dyn Fn(u64, u64, Variant) -> bool,
    ) -> Option<(TrackRef, u64, Vec<Variant>)> {
        let free = |t: &TrackRef, c: u64, v: Variant| {
            !self.queue.is_claimed(t.hash, c, v)
                && !self.failed.contains(&(t.hash, c, v))
                && !taken(t.hash, c, v)
        };
        let missing = |t: &TrackRef, c: u64, in_tier1: bool| {
            let vs: Vec<Variant> = l
                .variants()
                .into_iter()
                .filter(|&v| {
                    let cached = if in_tier1 {
                        self.tier1.contains(&(t.hash, c, v))
                    } else {
                        self.index.contains(t.hash, c, v)
                    };
                    !cached && free(t, c, v)
                })
                .collect();
            (!vs.is_empty()).then(|| (t.clone(), c, vs))
        };
        match priority {
            Priority::P0 => None,
            Priority::P1 => l.hot().find_map(|(t, c)| missing(t, c, true)),
            Priority::P2 => {
                let n = l.next.as_ref()?;
                (0..next_chunks.min(n.chunk_count)).find_map(|c| missing(n, c, false))
            }
            Priority::P3 => {
                let t = &l.track;
                (l.chunk + 2..t.chunk_count)
                    .chain(0..l.chunk.min(t.chunk_count))
                    .find_map(|c| missing(t, c, false))
            }
        }
    }

    /// The next background task: the most urgent priority any listener needs, taken from the
    /// listeners in turn (round-robin), so nobody's long track delays another's next chunk.
    fn next_background(
        &self,
        turn: usize,
        next_chunks: u64,
        taken: &dyn Fn(u64, u64, Variant) -> bool,
    ) -> Option<(usize, Task)> {
        let n = self.listeners.len();
        for priority in [Priority::P1, Priority::P2, Priority::P3] {
            for i in 0..n {
                let at = (turn + i) % n;
                if let Some((track, chunk, vs)) =
                    self.needed(&self.listeners[at], priority, next_chunks, taken)
                {
                    let task = Task {
                        track,
                        chunk,
                        priority,
                        variants: vs.into_iter().map(|v| (v, Vec::new())).collect(),
                    };
                    return Some(((at + 1) % n, task));
                }
            }
        }
        None
    }

    fn has_background_work(&self, next_chunks: u64) -> bool {
        self.next_background(0, next_chunks, &|_, _, _| false)
            .is_some()
    }

    /// Variants of this chunk that some listener will want in tier 2 and nobody produces yet:
    /// added to a P0 task, because one decode serves them all.
    fn also_wanted(&self, hash: u64, chunk: u64, next_chunks: u64) -> Vec<Variant> {
        let mut out: Vec<Variant> = Vec::new();
        for l in &self.listeners {
            let on_track = l.track.hash == hash
                || l.next
                    .as_ref()
                    .is_some_and(|n| n.hash == hash && chunk < next_chunks);
            if !on_track {
                continue;
            }
            for v in l.variants() {
                if !out.contains(&v)
                    && !self.index.contains(hash, chunk, v)
                    && !self.queue.is_claimed(hash, chunk, v)
                    && !self.failed.contains(&(hash, chunk, v))
                {
                    out.push(v);
                }
            }
        }
        out
    }

    fn is_idle(&self, next_chunks: u64) -> bool {
        !self.queue.has_pending()
            && self.queue.running() == 0
            && !self.has_background_work(next_chunks)
    }

    /// Completion of the original and `processed` (a processed variant of either loudness).
    fn status(&self, track: TrackId, tref: &TrackRef, processed: Variant) -> TrackStatus {
        let total = tref.chunk_count;
        let entry = self.index.get(tref.hash);
        let preset = processed.preset().unwrap_or_default();
        let (mut variants, cached, bytes) = match entry {
            Some(e) => {
                let v: Vec<VariantCount> = e
                    .chunks
                    .iter()
                    .filter(|(_, m)| !m.is_empty())
                    .map(|(v, m)| VariantCount {
                        variant: *v,
                        cached_chunks: m.len() as u64,
                    })
                    .collect();
                let cached = e.count(Variant::Original) + e.count(processed);
                (v, cached, e.bytes)
            }
            None => (Vec::new(), 0, 0),
        };
        variants.sort_by_key(|v| v.variant);
        let percent = if total == 0 {
            100.0
        } else {
            cached as f64 * 100.0 / (2 * total) as f64
        };
        let listeners = self
            .listeners
            .iter()
            .filter(|l| l.track.hash == tref.hash)
            .count() as u64;
        TrackStatus {
            track,
            total_chunks: total,
            preset,
            loudness: processed.loudness().unwrap_or_default(),
            variants,
            cached_chunks: cached,
            percent,
            fully_cached: cached == 2 * total,
            seconds_to_full: entry.and_then(|e| e.full.get(&processed).copied().flatten()),
            tier1_chunks: self.tier1.count_track(tref.hash),
            tier2_bytes: bytes,
            pinned: self.pinned().contains(&tref.hash),
            listeners,
        }
    }

    /// The processed variants whose completion a new chunk of `variant` on `hash` changes.
    fn processed_for(&self, hash: u64, variant: Variant) -> Vec<Variant> {
        if variant.preset().is_some() {
            return vec![variant];
        }
        let mut processed: Vec<Variant> = self
            .listeners
            .iter()
            .filter(|l| l.track.hash == hash || l.next.as_ref().is_some_and(|n| n.hash == hash))
            .map(|l| l.variants()[1])
            .collect();
        if let Some(e) = self.index.get(hash) {
            processed.extend(e.chunks.keys().filter(|v| v.preset().is_some()));
        }
        processed.sort_unstable();
        processed.dedup();
        if processed.is_empty() {
            processed.push(Variant::Processed(Preset::default()));
        }
        processed
    }

    /// Evicts tracks over the limits; returns the events and the directories to delete.
    fn evict(&mut self, shared: &Shared) -> (Vec<CacheEvent>, Vec<PathBuf>) {
        let pinned = self.pinned();
        let cfg = &shared.config;
        let evicted = self.index.evict(&pinned, cfg.max_tracks, cfg.budget_bytes);
        let pinned_bytes = self.index.bytes_of(&pinned);
        let over = pinned_bytes > cfg.budget_bytes;
        if over && !self.over_budget {
            tracing::warn!(
                pinned_bytes,
                budget_bytes = cfg.budget_bytes,
                tracks = pinned.len(),
                "the tracks listeners are playing need more than the tier-2 budget: they stay \
                 on disk until their listeners move on; every other track was evicted"
            );
        }
        self.over_budget = over;
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

    /// Forgets listeners idle since before `now - idle`; returns how many.
    fn expire(&mut self, now: Instant, idle: Duration) -> usize {
        let before = self.listeners.len();
        self.listeners
            .retain(|l| now.saturating_duration_since(l.last_seen) <= idle);
        let gone = before - self.listeners.len();
        self.counters.expired_listeners += gone as u64;
        if gone > 0 {
            self.turn = 0;
            self.retain_hot();
        }
        gone
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
        if st.is_idle(self.config.next_track_chunks) {
            self.idle.notify_waiters();
        }
    }

    /// Blocks a worker thread until there is work (None: shut down).
    pub(crate) fn next_task(&self) -> Option<Task> {
        let next_chunks = self.config.next_track_chunks;
        let mut st = self.state.lock();
        loop {
            if st.shutdown {
                return None;
            }
            if let Some(mut task) = st.queue.take_p0() {
                for v in st.also_wanted(task.track.hash, task.chunk, next_chunks) {
                    if !task.variants.iter().any(|(w, _)| *w == v) {
                        task.variants.push((v, Vec::new()));
                    }
                }
                st.queue.start(&mut task);
                return Some(task);
            }
            // One worker is kept for P0 (when there are several).
            let workers = self.config.workers.max(1);
            if workers == 1 || st.queue.running_background() < workers - 1 {
                if let Some((turn, mut task)) =
                    st.next_background(st.turn, next_chunks, &|_, _, _| false)
                {
                    st.turn = turn;
                    st.queue.start(&mut task);
                    return Some(task);
                }
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
                .map(|&v| st.index.contains(track.hash, chunk, v))
                .collect()
        };
        variants
            .iter()
            .zip(present)
            .map(|(&v, present)| {
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

    /// Records a complete stream file and enforces the limits.
    pub(crate) fn record_stream(&self, track: TrackId, hash: u64, name: &str, size: u64) {
        let trash = {
            let mut st = self.state.lock();
            st.index
                .insert_stream(hash, Some(track), name.to_string(), size);
            st.index.touch(hash);
            let (events, trash) = st.evict(self);
            self.send(events);
            trash
        };
        self.delete(trash);
    }

    /// Drops a damaged tier-2 file from the index and the disk.
    fn discard(&self, hash: u64, chunk: u64, variant: Variant) {
        let mut st = self.state.lock();
        st.counters.damaged += 1;
        st.index.remove_chunk(hash, chunk, variant);
        self.store.remove_chunk(hash, variant, chunk);
    }

    pub(crate) fn write_chunk(
        &self,
        track: &TrackRef,
        chunk: u64,
        variant: Variant,
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
        } = task;
        let mut answers = Vec::new();
        let mut events = Vec::new();
        let trash;
        {
            let mut st = self.state.lock();
            let mut stored = Vec::new();
            for ((_, mut waiters), out) in variants.into_iter().zip(outcomes) {
                let v = out.variant;
                waiters.extend(st.queue.finish_flight(track.hash, chunk, v));
                let answer = match out.result {
                    Ok(data) => {
                        if out.rendered {
                            st.counters.rendered += 1;
                        }
                        st.failed.remove(&(track.hash, chunk, v));
                        if let Some(size) = out.written {
                            st.index
                                .insert(track.hash, Some(track.track), chunk, v, size);
                            stored.push(v);
                        }
                        let hot = st.is_hot(track.hash, chunk, v);
                        if hot {
                            st.tier1.insert((track.hash, chunk, v), data.clone());
                        }
                        if out.written.is_some() || hot {
                            events.push(CacheEvent::ChunkCached {
                                track: track.track,
                                chunk,
                                variant: v,
                                tier: if hot { Tier::Tier1 } else { Tier::Tier2 },
                            });
                        }
                        Ok(data)
                    }
                    Err(source) => {
                        st.counters.render_errors += 1;
                        st.failed.insert((track.hash, chunk, v));
                        Err(CacheError::Render {
                            track: track.track,
                            chunk,
                            variant: v,
                            source,
                        })
                    }
                };
                answers.push((waiters, answer));
            }
            let mut processed: Vec<Variant> = stored
                .iter()
                .flat_map(|&v| st.processed_for(track.hash, v))
                .collect();
            processed.sort_unstable();
            processed.dedup();
            for variant in processed {
                let status = st.status(track.track, &track, variant);
                let (preset, loudness) = (status.preset, status.loudness);
                events.push(CacheEvent::TrackProgress {
                    track: track.track,
                    preset,
                    loudness,
                    cached_chunks: status.cached_chunks,
                    total_chunks: status.total_chunks,
                    percent: status.percent,
                });
                if status.fully_cached {
                    if let Some(e) = st.index.get_mut(track.hash) {
                        if !e.full.contains_key(&variant) {
                            let secs = e.started.elapsed().as_secs_f64();
                            e.full.insert(variant, Some(secs));
                            events.push(CacheEvent::TrackFullyCached {
                                track: track.track,
                                preset,
                                loudness,
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
                let _ = w.tx.send(answer.clone());
            }
        }
        self.delete(trash);
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
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        let state = State {
            tier1: Tier1::default(),
            index: Index::from_scan(scanned),
            queue: Queue::default(),
            listeners: Vec::new(),
            turn: 0,
            failed: HashSet::new(),
            counters: Counters::default(),
            over_budget: false,
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
                source: crate::RenderError::new(
                    crate::RenderErrorKind::Internal,
                    format!("describe panicked: {e}"),
                ),
            })?
            .map_err(|source| CacheError::Describe { track, source })?;
        let key = TrackKey::of(&desc);
        Ok(TrackRef {
            track,
            hash: key.hash,
            key_text: key.text.into(),
            chunk_count: desc.chunk_count,
            processed_key: desc.processed_key.into(),
        })
    }

    /// Listeners' tracks were described by their last `update_position`; any other track is
    /// described afresh, so a changed file is never served stale.
    async fn track_ref(&self, track: TrackId) -> Result<TrackRef, CacheError> {
        let known = self.shared.state.lock().ref_of(track);
        match known {
            Some(t) => Ok(t),
            None => self.describe(track).await,
        }
    }

    /// Listener `listener` is at chunk `chunk` of `track` (convert seconds with the track's
    /// timeline), plays the processed variant of `preset`, and `next` plays after it. Describes
    /// both tracks again (so a changed file is noticed), pins them in tier 2 and keeps the
    /// listener's current and next chunk, both variants, in tier 1. Other listeners are not
    /// touched, and an update that keeps the track restarts nothing: the worker goes on from
    /// where it was. A new listener beyond `max_listeners` replaces the least recently active.
    pub async fn update_position(
        &self,
        listener: &ListenerKey,
        track: TrackId,
        chunk: u64,
        preset: Preset,
        next: Option<TrackId>,
    ) -> Result<(), CacheError> {
        self.update_position_in(listener, track, chunk, preset, Loudness::Track, next)
            .await
    }

    /// [`Cache::update_position`] for a listener that plays the processed variant of `preset`
    /// in loudness mode `loudness` ([`Variant::processed`]): that variant is the one kept hot
    /// and prefetched for it.
    pub async fn update_position_in(
        &self,
        listener: &ListenerKey,
        track: TrackId,
        chunk: u64,
        preset: Preset,
        loudness: Loudness,
        next: Option<TrackId>,
    ) -> Result<(), CacheError> {
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
            let mut guard = shared.state.lock();
            let st = &mut *guard;
            let now = Instant::now();
            st.expire(now, shared.config.listener_idle);
            match st.listeners.iter_mut().find(|l| l.key == *listener) {
                Some(l) => {
                    l.track = current.clone();
                    l.chunk = chunk;
                    l.preset = preset;
                    l.loudness = loudness;
                    l.next = next;
                    l.last_seen = now;
                }
                None => {
                    if st.listeners.len() >= shared.config.max_listeners.max(1) {
                        let oldest = st
                            .listeners
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, l)| l.last_seen)
                            .map(|(i, _)| i);
                        if let Some(i) = oldest {
                            let gone = st.listeners.remove(i);
                            st.counters.expired_listeners += 1;
                            st.turn = 0;
                            tracing::info!(listener = %gone.key, "too many listeners: forgot the least recently active");
                        }
                    }
                    st.listeners.push(Listener {
                        key: listener.clone(),
                        track: current.clone(),
                        chunk,
                        preset,
                        loudness,
                        next,
                        last_seen: now,
                    });
                }
            }
            let entry = st.index.entry(current.hash);
            entry.track = Some(track);
            st.index.touch(current.hash);
            st.retain_hot();
            let (events, trash) = st.evict(shared);
            shared.send(events);
            shared.work.notify_all();
            shared.notify_if_idle(st);
            trash
        };
        shared.delete(trash);
        Ok(())
    }

    /// Every listener of `user` now plays `preset`: their processed hot chunks and background
    /// work switch to it (the other preset's chunks stay in tier 2). Returns how many changed.
    pub fn set_user_preset(&self, user: i64, preset: Preset) -> usize {
        let shared = &self.shared;
        let mut st = shared.state.lock();
        let mut changed = 0;
        for l in st.listeners.iter_mut().filter(|l| l.key.user == user) {
            if l.preset != preset {
                l.preset = preset;
                changed += 1;
            }
        }
        if changed > 0 {
            st.retain_hot();
            shared.work.notify_all();
        }
        changed
    }

    /// Every listener of `user` now plays the processed variants in loudness mode `loudness`:
    /// their hot chunks and background work switch to it. Returns how many changed.
    pub fn set_user_loudness(&self, user: i64, loudness: Loudness) -> usize {
        let shared = &self.shared;
        let mut st = shared.state.lock();
        let mut changed = 0;
        for l in st.listeners.iter_mut().filter(|l| l.key.user == user) {
            if l.loudness != loudness {
                l.loudness = loudness;
                changed += 1;
            }
        }
        if changed > 0 {
            st.retain_hot();
            shared.work.notify_all();
        }
        changed
    }

    /// Forgets a listener at once (its tab closed, its user signed out); its pins are released.
    pub fn forget_listener(&self, listener: &ListenerKey) -> bool {
        let shared = &self.shared;
        let trash = {
            let mut st = shared.state.lock();
            let before = st.listeners.len();
            st.listeners.retain(|l| l.key != *listener);
            if st.listeners.len() == before {
                return false;
            }
            st.turn = 0;
            st.retain_hot();
            let (events, trash) = st.evict(shared);
            shared.send(events);
            shared.notify_if_idle(&st);
            trash
        };
        shared.delete(trash);
        true
    }

    /// Forgets the listeners that sent no update for `config.listener_idle` (call it now and
    /// then); returns how many.
    pub fn expire_idle(&self) -> usize {
        self.expire_idle_at(Instant::now())
    }

    /// [`Cache::expire_idle`] as if it were `now` (tests step the clock without sleeping).
    pub fn expire_idle_at(&self, now: Instant) -> usize {
        let shared = &self.shared;
        let (gone, trash) = {
            let mut st = shared.state.lock();
            let gone = st.expire(now, shared.config.listener_idle);
            if gone == 0 {
                return 0;
            }
            let (events, trash) = st.evict(shared);
            shared.send(events);
            shared.notify_if_idle(&st);
            (gone, trash)
        };
        shared.delete(trash);
        gone
    }

    /// The active listeners, in round-robin order.
    pub fn listeners(&self) -> Vec<ListenerStatus> {
        let st = self.shared.state.lock();
        let now = Instant::now();
        st.listeners
            .iter()
            .map(|l| ListenerStatus {
                listener: l.key.clone(),
                track: l.track.track,
                chunk: l.chunk,
                preset: l.preset,
                loudness: l.loudness,
                next: l.next.as_ref().map(|n| n.track),
                idle_seconds: now.saturating_duration_since(l.last_seen).as_secs_f64(),
            })
            .collect()
    }

    /// [`Cache::get_chunk_for`] without a listener (counted only against the overall cap).
    pub async fn get_chunk(
        &self,
        track: TrackId,
        chunk: u64,
        variant: Variant,
    ) -> Result<(Bytes, Tier), CacheError> {
        self.get_chunk_for(None, track, chunk, variant).await
    }

    /// One chunk of one variant, and the tier that served it: tier 1 (memory), tier 2 (disk,
    /// validated) or a miss (rendered at P0 while the caller waits; concurrent requests for the
    /// same chunk share one render). A damaged tier-2 file is discarded and rebuilt. A miss is
    /// refused with [`CacheError::Busy`] when `listener` already has `max_waiting_per_listener`
    /// requests waiting, or `max_waiting` are waiting in all. Dropping the future before it is
    /// answered withdraws the request: if nobody else wants the chunk, it is not rendered.
    pub async fn get_chunk_for(
        &self,
        listener: Option<&ListenerKey>,
        track: TrackId,
        chunk: u64,
        variant: Variant,
    ) -> Result<(Bytes, Tier), CacheError> {
        let tref = self.track_ref(track).await?;
        if chunk >= tref.chunk_count {
            return Err(CacheError::OutOfRange {
                track,
                chunk,
                chunk_count: tref.chunk_count,
            });
        }
        let hot_key = (tref.hash, chunk, variant);
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
                    let cfg = &self.shared.config;
                    let joins = st.queue.is_claimed(tref.hash, chunk, variant);
                    let (mine, all) = st.queue.queued_requests(listener);
                    if !joins
                        && (all >= cfg.max_waiting
                            || (listener.is_some() && mine >= cfg.max_waiting_per_listener))
                    {
                        st.counters.refused += 1;
                        return Err(CacheError::Busy {
                            waiting: all,
                            retry_after_secs: 1,
                        });
                    }
                    let (tx, rx) = oneshot::channel();
                    st.counters.misses += 1;
                    let waiter = Waiter {
                        tx,
                        listener: listener.cloned(),
                    };
                    st.queue.request(&tref, chunk, variant, waiter);
                    self.shared.work.notify_one();
                    Step::Wait(rx)
                }
            };
            match step {
                Step::Disk => {
                    let shared = Arc::clone(&self.shared);
                    let t = tref.clone();
                    let read = tokio::task::spawn_blocking(move || {
                        let text = TrackKey::chunk_text_of(&t.key_text, variant, chunk);
                        shared.store.read(t.hash, variant, chunk, &text).ok()
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

    /// Cache status of one track: completion of the original and `preset`.
    pub async fn track_status(
        &self,
        track: TrackId,
        preset: Preset,
    ) -> Result<TrackStatus, CacheError> {
        self.track_status_of(track, Variant::Processed(preset))
            .await
    }

    /// Cache status of one track: completion of the original and the processed variant
    /// `processed` (a preset in either loudness mode).
    pub async fn track_status_of(
        &self,
        track: TrackId,
        processed: Variant,
    ) -> Result<TrackStatus, CacheError> {
        let tref = self.track_ref(track).await?;
        Ok(self.shared.state.lock().status(track, &tref, processed))
    }

    /// True when every chunk of the original and `preset` is in tier 2.
    pub async fn is_track_fully_cached(
        &self,
        track: TrackId,
        preset: Preset,
    ) -> Result<bool, CacheError> {
        Ok(self.track_status(track, preset).await?.fully_cached)
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
            misses: c.misses,
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
            refused_requests: c.refused,
            queued_tasks: st.queue.queued() as u64,
            running_tasks: st.queue.running() as u64,
            listeners: st.listeners.len() as u64,
            expired_listeners: c.expired_listeners,
            pinned_bytes: st.index.bytes_of(&st.pinned()),
        }
    }

    /// Work in the order it would run now: the waiting requests (P0), then the background plan
    /// (P1-P3, round-robin between listeners), at most `limit` tasks. For tests and tools: the
    /// background part is computed, not stored.
    pub fn queue(&self, limit: usize) -> Vec<QueuedTask> {
        let st = self.shared.state.lock();
        let mut out = st.queue.snapshot();
        let planned: std::cell::RefCell<HashSet<FlightId>> = Default::default();
        let mut turn = st.turn;
        while out.len() < limit {
            let taken = |h: u64, c: u64, v: Variant| planned.borrow().contains(&(h, c, v));
            let Some((t, task)) =
                st.next_background(turn, self.shared.config.next_track_chunks, &taken)
            else {
                break;
            };
            turn = t;
            let variants: Vec<Variant> = task.variants.iter().map(|(v, _)| *v).collect();
            planned
                .borrow_mut()
                .extend(variants.iter().map(|&v| (task.track.hash, task.chunk, v)));
            out.push(QueuedTask {
                track: task.track.track,
                chunk: task.chunk,
                priority: task.priority,
                variants,
                waiters: 0,
            });
        }
        out.truncate(limit);
        out
    }

    /// Requests currently waiting for a render (queued or running).
    pub fn waiting_requests(&self) -> usize {
        self.shared.state.lock().queue.waiting()
    }

    /// Empties both tiers and forgets every listener (for `DELETE /api/cache`), so nothing is
    /// rebuilt until a listener reports its position again (a playing client does within a
    /// second). Requests being waited on still complete; chunks being rendered still land in
    /// tier 2.
    pub fn clear(&self) {
        let shared = &self.shared;
        let mut trash = {
            let mut st = shared.state.lock();
            st.tier1.clear();
            st.failed.clear();
            st.listeners.clear();
            st.turn = 0;
            let entries = st.index.clear();
            let (events, trash) = st.forget(&shared.store, entries);
            shared.send(events);
            shared.work.notify_all();
            shared.notify_if_idle(&st);
            trash
        };
        trash.extend(shared.store.trash_all());
        shared.delete(trash);
    }

    /// Waits until the worker has nothing to do: no request queued or running, and no listener
    /// needing anything (for tests, benchmarks and graceful shutdown).
    pub async fn wait_idle(&self) {
        let next_chunks = self.shared.config.next_track_chunks;
        loop {
            let notified = self.shared.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.shared.state.lock().is_idle(next_chunks) {
                return;
            }
            notified.await;
        }
    }

    /// A complete encoded stream of `track` named `name` (see [`crate::streams`]), if tier 2
    /// has one for the track's current file version. Marks the track recently used.
    pub async fn stream_file(
        &self,
        track: TrackId,
        name: &str,
    ) -> Result<Option<StreamFile>, CacheError> {
        if !valid_stream_name(name) {
            return Ok(None);
        }
        let tref = self.track_ref(track).await?;
        let Some(len) = ({
            let mut st = self.shared.state.lock();
            let size = st.index.stream_size(tref.hash, name);
            if size.is_some() {
                st.index.touch(tref.hash);
            }
            size
        }) else {
            return Ok(None);
        };
        let path = self.shared.store.stream_path(tref.hash, name);
        let p = path.clone();
        let on_disk = tokio::task::spawn_blocking(move || std::fs::metadata(p).map(|m| m.len()))
            .await
            .ok()
            .and_then(Result::ok);
        if on_disk == Some(len) {
            return Ok(Some(StreamFile { path, len }));
        }
        // Gone or changed behind our back: forget it (it is rebuilt by the next play).
        let mut st = self.shared.state.lock();
        st.counters.damaged += 1;
        st.index.remove_stream(tref.hash, name);
        drop(st);
        let _ = std::fs::remove_file(&path);
        Ok(None)
    }

    /// Starts writing an encoded stream of `track` named `name`; it joins tier 2 when
    /// committed. Fails for a name [`valid_stream_name`] refuses.
    pub async fn stream_writer(
        &self,
        track: TrackId,
        name: &str,
    ) -> Result<StreamWriter, CacheError> {
        if !valid_stream_name(name) {
            return Err(CacheError::io(
                &self.shared.config.dir,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("invalid stream name {name:?}"),
                ),
            ));
        }
        let tref = self.track_ref(track).await?;
        let tmp = self.shared.store.temp_path();
        let t = tmp.clone();
        let file = tokio::task::spawn_blocking(move || std::fs::File::create(t))
            .await
            .map_err(|e| CacheError::io(&tmp, std::io::Error::other(e.to_string())))?
            .map_err(|e| CacheError::io(&tmp, e))?;
        Ok(StreamWriter {
            shared: Arc::clone(&self.shared),
            track,
            hash: tref.hash,
            name: name.to_string(),
            tmp,
            file: Some(std::io::BufWriter::with_capacity(1 << 16, file)),
            len: 0,
        })
    }

    /// The path of a chunk's tier-2 file (whether or not it exists), for tests and tools.
    pub async fn chunk_path(
        &self,
        track: TrackId,
        chunk: u64,
        variant: Variant,
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
