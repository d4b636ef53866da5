//! The domain side of the server: opens the library and the cache, owns the renderer, the
//! scanner, the enhancement state and the event bus, and offers the operations the routes call.
//! Blocking work (SQLite, opening files) runs on blocking threads, never on the async workers.
//!
//! Not for: HTTP concerns (status codes, headers, wire types): see `crate::http`.

mod bounded;
pub mod enhancement;
mod error;
pub mod events;
pub mod renderer;
pub mod scanner;

use std::str::FromStr;
use std::sync::Arc;

use auralis_cache::{Cache, CacheEvent, CacheStats, Tier, TrackId, TrackStatus, Variant};
use auralis_library::{Album, AlbumDetail, Artist, Library, Track};
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use enhancement::EnhancementState;
pub use error::{Error, Result};
pub use events::{Event, EventBus};
pub use renderer::TrackInfo;
pub use scanner::ScanStatus;

use crate::config::ServerConfig;
use enhancement::Enhancement;
use renderer::AudioRenderer;
use scanner::Scanner;

/// One chunk as served: bytes, where they came from, and where they sit on the timeline.
pub struct Chunk {
    pub bytes: Bytes,
    pub tier: &'static str,
    pub start_sample: u64,
    pub samples: u64,
    pub etag: String,
}

/// Where the listener is, as last reported (replayed to the cache when the preset changes).
#[derive(Clone, Copy)]
struct Playhead {
    track: i64,
    chunk: u64,
    next: Option<i64>,
}

/// A cheap handle to the server's state.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    library: Arc<Library>,
    cache: Arc<Cache>,
    renderer: Arc<AudioRenderer>,
    scanner: Arc<Scanner>,
    enhancement: Arc<Enhancement>,
    events: EventBus,
    playhead: Mutex<Option<Playhead>>,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl App {
    /// Opens the library and the cache in the data folder and starts the background tasks
    /// (event forwarding, enhancement persistence). Does not scan.
    pub async fn open(config: ServerConfig) -> Result<App> {
        let cfg = config.clone();
        let (library, cache, renderer) = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
                Error::internal(format!(
                    "cannot create data folder {}: {e}",
                    cfg.data_dir.display()
                ))
            })?;
            let library = Arc::new(Library::open(cfg.library_path())?);
            let renderer = Arc::new(AudioRenderer::new(
                library.clone(),
                &cfg.music_dir,
                cfg.chunk_seconds,
            ));
            let mut cache_config = auralis_cache::Config::new(cfg.cache_dir());
            cache_config.max_tracks = cfg.tier2_tracks;
            cache_config.budget_bytes = cfg.tier2_bytes;
            let cache = Cache::open(cache_config, renderer.clone())
                .map_err(|e| Error::internal(e.to_string()))?;
            Ok::<_, Error>((library, Arc::new(cache), renderer))
        })
        .await??;

        let lib = library.clone();
        let stored =
            tokio::task::spawn_blocking(move || lib.setting(enhancement::SETTINGS_KEY)).await??;
        let (enhancement, persist_rx) =
            Enhancement::new(EnhancementState::from_setting(stored.as_deref()));
        let events = EventBus::new();
        let scanner = Scanner::new(
            library.clone(),
            renderer.clone(),
            events.clone(),
            config.music_dir.clone(),
        );
        let (stop, _) = watch::channel(false);
        let app = App {
            inner: Arc::new(Inner {
                config,
                library,
                cache,
                renderer,
                scanner,
                enhancement,
                events,
                playhead: Mutex::new(None),
                stop,
                tasks: Mutex::new(Vec::new()),
            }),
        };
        let forward = tokio::spawn(forward_cache_events(
            app.inner.cache.subscribe(),
            app.inner.events.clone(),
            app.stopped(),
        ));
        let persist = tokio::spawn(persist_enhancement(
            persist_rx,
            app.inner.library.clone(),
            app.stopped(),
        ));
        app.inner.tasks.lock().extend([forward, persist]);
        Ok(app)
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    /// Resolves when the server is shutting down (ends SSE streams and background tasks).
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// Stops the background work: the scan job, the event forwarding, the persistence (which
    /// writes the latest enhancement state first).
    pub async fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let scanner = self.inner.scanner.clone();
        let _ = tokio::task::spawn_blocking(move || scanner.shutdown()).await;
        let tasks: Vec<_> = self.inner.tasks.lock().drain(..).collect();
        for t in tasks {
            let _ = t.await;
        }
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Library) -> auralis_library::Result<T> + Send + 'static,
    ) -> Result<T> {
        let lib = self.inner.library.clone();
        Ok(tokio::task::spawn_blocking(move || f(&lib)).await??)
    }

    async fn track_info(&self, id: i64) -> Result<Arc<TrackInfo>> {
        if let Some(info) = self.inner.renderer.cached_info(id) {
            return Ok(info);
        }
        let r = self.inner.renderer.clone();
        tokio::task::spawn_blocking(move || r.track_info(id)).await?
    }

    // -- library ------------------------------------------------------------------------

    pub async fn track_count(&self) -> Result<u64> {
        self.db(|l| l.counts().map(|c| c.tracks)).await
    }

    pub async fn tracks(
        &self,
        query: Option<String>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<Track>, u64)> {
        self.db(move |l| {
            l.tracks(
                query.as_deref(),
                limit as usize,
                usize::try_from(offset).unwrap_or(usize::MAX),
            )
        })
        .await
    }

    pub async fn track(&self, id: i64) -> Result<Track> {
        self.db(move |l| l.track(id))
            .await?
            .ok_or_else(|| Error::not_found(format!("no track with id {id}")))
    }

    pub async fn albums(&self) -> Result<Vec<Album>> {
        self.db(|l| l.albums()).await
    }

    pub async fn album(&self, id: i64) -> Result<AlbumDetail> {
        self.db(move |l| l.album(id))
            .await?
            .ok_or_else(|| Error::not_found(format!("no album with id {id}")))
    }

    pub async fn artists(&self) -> Result<Vec<Artist>> {
        self.db(|l| l.artists()).await
    }

    /// Files the last scans could not read, with the reason.
    pub async fn unreadable(&self) -> Result<Vec<auralis_library::UnreadableFile>> {
        self.db(|l| l.unreadable()).await
    }

    /// Image bytes and MIME type of a track's artwork.
    pub async fn artwork(&self, id: i64) -> Result<(Vec<u8>, String)> {
        self.track(id).await?;
        let r = self.inner.renderer.clone();
        tokio::task::spawn_blocking(move || r.checked_path(id)).await??;
        self.db(move |l| l.artwork(id))
            .await?
            .ok_or_else(|| Error::not_found(format!("track {id} has no artwork")))
    }

    // -- scan -----------------------------------------------------------------------------

    /// Starts a scan (then analysis) in the background unless one runs.
    pub fn start_scan(&self) -> ScanStatus {
        self.inner.scanner.start()
    }

    pub fn scan_status(&self) -> ScanStatus {
        self.inner.scanner.status()
    }

    // -- streaming ----------------------------------------------------------------------

    pub async fn stream_info(&self, id: i64) -> Result<Arc<TrackInfo>> {
        self.track_info(id).await
    }

    /// Chunk `n` of a track through the cache. `variant` is `original` or `processed`
    /// (default: processed when enhancement is on); `preset` defaults to the current one.
    pub async fn chunk(
        &self,
        id: i64,
        n: u64,
        variant: Option<&str>,
        preset: Option<&str>,
    ) -> Result<Chunk> {
        let state = self.enhancement();
        let variant = match variant {
            Some("original") => Variant::Original,
            Some("processed") => {
                let p = match preset {
                    Some(p) => enhancement::parse_preset(p)?,
                    None => state.preset,
                };
                processed(p)
            }
            None if state.enabled => processed(match preset {
                Some(p) => enhancement::parse_preset(p)?,
                None => state.preset,
            }),
            None => Variant::Original,
            Some(other) => {
                return Err(Error::bad_request(format!(
                    "unknown variant {other:?}: use original or processed"
                )))
            }
        };
        let info = self.track_info(id).await?;
        let Some(range) = info.timeline.chunk_range(n) else {
            return Err(Error::not_found(format!(
                "chunk {n} is out of range: track {id} has {} chunks",
                info.timeline.chunk_count()
            )));
        };
        let (bytes, tier) = self.inner.cache.get_chunk(TrackId(id), n, &variant).await?;
        Ok(Chunk {
            bytes,
            tier: tier_name(tier),
            start_sample: range.start,
            samples: range.end - range.start,
            etag: info.etag(n, &variant),
        })
    }

    // -- playback -------------------------------------------------------------------------

    /// The listener is at `position_s` of `track`, `next` plays after it: drives the worker.
    pub async fn update_position(
        &self,
        track: i64,
        position_s: f64,
        next: Option<i64>,
    ) -> Result<()> {
        if !position_s.is_finite() || position_s < 0.0 {
            return Err(Error::bad_request(format!(
                "position_s must be a finite number of seconds >= 0, got {position_s}"
            )));
        }
        let info = self.track_info(track).await?;
        let tl = &info.timeline;
        let last = tl.chunk_count().saturating_sub(1);
        let chunk = tl
            .chunk_of_sample(tl.sample_at_seconds(position_s))
            .unwrap_or(last);
        if let Some(n) = next {
            // An unknown next track is a client error; an undecodable one is simply skipped.
            if matches!(self.track_info(n).await, Err(Error::NotFound(_))) {
                return Err(Error::not_found(format!("no track with id {n}")));
            }
        }
        *self.inner.playhead.lock() = Some(Playhead { track, chunk, next });
        let preset = self.enhancement().preset.to_string();
        self.inner
            .cache
            .update_position(TrackId(track), chunk, &preset, next.map(TrackId))
            .await?;
        Ok(())
    }

    // -- enhancement ----------------------------------------------------------------------

    pub fn enhancement(&self) -> EnhancementState {
        self.inner.enhancement.get()
    }

    pub fn toggle_enhancement(&self, enabled: Option<bool>) -> EnhancementState {
        self.change_enhancement(|s| s.enabled = enabled.unwrap_or(!s.enabled))
    }

    pub fn set_preset(&self, name: &str) -> Result<EnhancementState> {
        let preset = enhancement::parse_preset(name)?;
        let before = self.enhancement().preset;
        let state = self.change_enhancement(|s| s.preset = preset);
        if before != preset {
            self.replan();
        }
        Ok(state)
    }

    pub fn set_intensity(&self, intensity: f32) -> Result<EnhancementState> {
        let intensity = enhancement::check_intensity(intensity)?;
        Ok(self.change_enhancement(|s| s.intensity = intensity))
    }

    fn change_enhancement(&self, f: impl FnOnce(&mut EnhancementState)) -> EnhancementState {
        let state = self.inner.enhancement.update(f);
        self.inner.events.publish(Event::Enhancement(state));
        state
    }

    /// The preset changed: tell the worker (in the background, the request does not wait).
    fn replan(&self) {
        let Some(p) = *self.inner.playhead.lock() else {
            return;
        };
        let app = self.clone();
        tokio::spawn(async move {
            let preset = app.enhancement().preset.to_string();
            if let Err(e) = app
                .inner
                .cache
                .update_position(TrackId(p.track), p.chunk, &preset, p.next.map(TrackId))
                .await
            {
                tracing::warn!(error = %e, "cannot replan the cache for the new preset");
            }
        });
    }

    // -- cache ----------------------------------------------------------------------------

    pub fn cache_stats(&self) -> CacheStats {
        self.inner.cache.stats()
    }

    pub async fn track_cache_status(&self, id: i64) -> Result<TrackStatus> {
        self.track_info(id).await?;
        Ok(self.inner.cache.track_status(TrackId(id)).await?)
    }

    pub async fn clear_cache(&self) -> Result<()> {
        let cache = self.inner.cache.clone();
        tokio::task::spawn_blocking(move || cache.clear()).await?;
        Ok(())
    }

    // -- events ---------------------------------------------------------------------------

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    pub fn publish(&self, event: Event) {
        self.inner.events.publish(event);
    }
}

fn processed(p: auralis_master::Preset) -> Variant {
    // Preset names are lower-case words, always valid variant names.
    Variant::from_str(&p.to_string()).unwrap_or(Variant::Original)
}

pub fn tier_name(t: Tier) -> &'static str {
    t.as_str()
}

/// Forwards the cache's events to the bus, as the API names them.
async fn forward_cache_events(
    mut rx: tokio::sync::broadcast::Receiver<CacheEvent>,
    bus: EventBus,
    stopped: impl std::future::Future<Output = ()>,
) {
    use tokio::sync::broadcast::error::RecvError;
    tokio::pin!(stopped);
    loop {
        let ev = tokio::select! {
            _ = &mut stopped => return,
            ev = rx.recv() => ev,
        };
        let ev = match ev {
            Ok(ev) => ev,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        let out = match ev {
            CacheEvent::ChunkCached {
                track,
                chunk,
                variant,
                tier,
            } => Event::ChunkCached {
                track: track.0,
                chunk,
                variant: variant.name().to_string(),
                tier: tier.as_str(),
            },
            CacheEvent::TrackProgress {
                track,
                cached_chunks,
                total_chunks,
                percent,
            } => Event::TrackProgress {
                track: track.0,
                percent,
                cached_chunks,
                total_chunks,
            },
            CacheEvent::TrackFullyCached { track, .. } => Event::TrackCached { track: track.0 },
            CacheEvent::Evicted { track, .. } => match track {
                Some(t) => Event::Evicted { track: t.0 },
                None => continue,
            },
        };
        bus.publish(out);
    }
}

/// Writes the latest enhancement state to the library whenever it changes (and once more on
/// shutdown if a change is pending).
async fn persist_enhancement(
    mut rx: watch::Receiver<EnhancementState>,
    library: Arc<Library>,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    loop {
        let stop = tokio::select! {
            _ = &mut stopped => true,
            r = rx.changed() => r.is_err(),
        };
        if stop && !rx.has_changed().unwrap_or(false) {
            return;
        }
        let value = rx.borrow_and_update().to_setting();
        let lib = library.clone();
        let written =
            tokio::task::spawn_blocking(move || lib.set_setting(enhancement::SETTINGS_KEY, &value))
                .await;
        if let Ok(Err(e)) = written {
            tracing::warn!(error = %e, "cannot save the enhancement settings");
        }
        if stop {
            return;
        }
    }
}
