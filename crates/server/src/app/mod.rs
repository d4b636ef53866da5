//! The domain side of the server: the services the transports call, each reached on its own.
//!
//! [`App`] opens the library, the engine and the cache in the data folder and holds one handle
//! per service: [`LibraryService`] (browse, artwork, scan), [`PlaybackService`] (listeners,
//! positions, chunks), [`EnhancementService`] (on/off, preset, intensity), [`CacheService`]
//! (stats, status, clear), [`AuthService`] (setup, sign-in, keys, users) and the [`EventBus`].
//! A handler extracts only the service it needs
//! (axum's `FromRef`), so its signature says what it touches. Blocking work (SQLite, opening
//! files) runs on blocking threads, never on the async workers.
//!
//! Not for: HTTP concerns (status codes, headers, wire types): see `crate::http`.

pub mod artwork;
pub mod auth;
pub mod cache;
pub mod enhancement;
mod error;
pub mod events;
pub mod library;
pub mod people;
pub mod playback;
pub mod plays;
pub mod scanner;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use auralis_cache::{Cache, CacheEvent};
use auralis_engine::Engine;
use auralis_library::Library;
use axum::extract::FromRef;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use auralis_engine::TrackInfo;
pub use auth::{AuthService, Caller, Via};
pub use cache::CacheService;
pub use enhancement::{EnhancementService, EnhancementState};
pub use error::{Error, Result};
pub use events::{Event, EventBus, StreamLimits, StreamPermit};
pub use library::LibraryService;
pub use people::PeopleService;
pub use playback::{Chunk, ListenerRef, PlaybackService};
pub use scanner::ScanStatus;

use crate::config::ServerConfig;
use crate::lockfile::DataLock;
use crate::net::NetPolicy;
use scanner::Scanner;
use store::LibraryStore;

/// How often idle listeners are looked for.
const EXPIRE_EVERY: Duration = Duration::from_secs(5);
/// How often sessions idle past their limit are deleted.
const SESSIONS_EVERY: Duration = Duration::from_secs(3600);

/// A cheap handle to every service.
#[derive(Clone)]
pub struct App {
    pub library: LibraryService,
    pub playback: PlaybackService,
    pub enhancement: EnhancementService,
    pub cache: CacheService,
    pub auth: AuthService,
    pub people: PeopleService,
    pub events: EventBus,
    /// Caps on open event streams.
    pub streams: Arc<StreamLimits>,
    /// Caps on open Subsonic media streams.
    pub media_streams: Arc<StreamLimits>,
    /// The host names and proxies the server trusts.
    pub net: Arc<NetPolicy>,
    lifecycle: Arc<Lifecycle>,
}

/// What only start-up and shutdown need.
struct Lifecycle {
    config: ServerConfig,
    cache: Arc<Cache>,
    library: Arc<Library>,
    scanner: Arc<Scanner>,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Held while the server runs: one server per data folder.
    _lock: DataLock,
}

impl FromRef<App> for LibraryService {
    fn from_ref(app: &App) -> Self {
        app.library.clone()
    }
}

impl FromRef<App> for PlaybackService {
    fn from_ref(app: &App) -> Self {
        app.playback.clone()
    }
}

impl FromRef<App> for EnhancementService {
    fn from_ref(app: &App) -> Self {
        app.enhancement.clone()
    }
}

impl FromRef<App> for CacheService {
    fn from_ref(app: &App) -> Self {
        app.cache.clone()
    }
}

impl FromRef<App> for PeopleService {
    fn from_ref(app: &App) -> Self {
        app.people.clone()
    }
}

impl FromRef<App> for AuthService {
    fn from_ref(app: &App) -> Self {
        app.auth.clone()
    }
}

impl FromRef<App> for Arc<NetPolicy> {
    fn from_ref(app: &App) -> Self {
        app.net.clone()
    }
}

impl FromRef<App> for EventBus {
    fn from_ref(app: &App) -> Self {
        app.events.clone()
    }
}

impl App {
    /// Opens the library and the cache in the data folder and starts the background tasks
    /// (event forwarding, enhancement persistence, listener and session expiry). Does not scan.
    /// `config.addr` is the address the server is bound to (the Host check allows it).
    pub async fn open(config: ServerConfig) -> Result<App> {
        let cfg = config.clone();
        let (lock, library, secrets, cache, engine) = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
                Error::internal(format!(
                    "cannot create data folder {}: {e}",
                    cfg.data_dir.display()
                ))
            })?;
            // Before anything in the folder is touched: a second server stops here.
            let lock = DataLock::acquire(&cfg.data_dir).map_err(Error::Internal)?;
            let library = Arc::new(Library::open(cfg.library_path()).map_err(|e| {
                // A damaged database explains itself in one line; say it as it is.
                Error::Internal(e.to_string())
            })?);
            if let Some(policy) = cfg.password_policy {
                library.set_password_policy(policy)?;
            }
            let secrets = auralis_library::SecretBox::open_or_create(cfg.secret_key_path())
                .map_err(|e| Error::Internal(e.to_string()))?;
            let engine = Arc::new(Engine::new(
                Arc::new(LibraryStore(library.clone())),
                &cfg.music_dir,
                cfg.chunk_seconds,
            ));
            let mut cache_config = auralis_cache::Config::new(cfg.cache_dir());
            cache_config.max_tracks = cfg.tier2_tracks;
            cache_config.budget_bytes = cfg.tier2_bytes;
            cache_config.listener_idle = cfg.listener_idle;
            cache_config.max_listeners = cfg.max_listeners;
            let cache = Cache::open(cache_config, engine.clone())
                .map_err(|e| Error::internal(e.to_string()))?;
            Ok::<_, Error>((lock, library, secrets, Arc::new(cache), engine))
        })
        .await??;

        let events = EventBus::new();
        let scanner = Scanner::new(
            library.clone(),
            engine.clone(),
            events.clone(),
            config.music_dir.clone(),
        );
        let (enhancement, persist_rx) =
            EnhancementService::new(library.clone(), cache.clone(), events.clone());
        let auth = AuthService::new(library.clone(), secrets);
        let people = PeopleService::new(library.clone(), engine.clone());
        let (stop, _) = watch::channel(false);
        let streams = StreamLimits::new(config.event_streams_per_user, config.event_streams);
        let media_streams = StreamLimits::new(config.media_streams_per_user, config.media_streams);
        let net = NetPolicy::new(&config, config.addr);
        let app = App {
            library: LibraryService::new(library.clone(), engine.clone(), scanner.clone()),
            playback: PlaybackService::new(
                cache.clone(),
                engine.clone(),
                enhancement.clone(),
                people.clone(),
            ),
            enhancement,
            cache: CacheService::new(cache.clone(), engine),
            auth,
            people,
            events: events.clone(),
            streams,
            media_streams,
            net,
            lifecycle: Arc::new(Lifecycle {
                config,
                cache: cache.clone(),
                library: library.clone(),
                scanner,
                stop,
                tasks: Mutex::new(Vec::new()),
                _lock: lock,
            }),
        };
        let forward = tokio::spawn(forward_cache_events(
            cache.subscribe(),
            events,
            app.stopped(),
        ));
        let persist = tokio::spawn(enhancement::persist(persist_rx, library, app.stopped()));
        let expire = tokio::spawn(expire_listeners(cache, app.stopped()));
        let sessions = tokio::spawn(expire_sessions(app.auth.clone(), app.stopped()));
        app.lifecycle
            .tasks
            .lock()
            .extend([forward, persist, expire, sessions]);
        Ok(app)
    }

    pub fn config(&self) -> &ServerConfig {
        &self.lifecycle.config
    }

    /// The chunk cache (for tests and benchmarks that look below the services).
    pub fn chunk_cache(&self) -> &Cache {
        &self.lifecycle.cache
    }

    /// The library database (for tests and tools that look below the services).
    pub fn library_db(&self) -> &Library {
        &self.lifecycle.library
    }

    /// Resolves when the server is shutting down (ends SSE streams and background tasks).
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.lifecycle.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// Stops the background work: the scan job, the event forwarding, the persistence (which
    /// writes the latest enhancement state first), the listener sweep.
    pub async fn shutdown(&self) {
        self.lifecycle.stop.send_replace(true);
        let scanner = self.lifecycle.scanner.clone();
        let _ = tokio::task::spawn_blocking(move || scanner.shutdown()).await;
        let tasks: Vec<_> = self.lifecycle.tasks.lock().drain(..).collect();
        for t in tasks {
            let _ = t.await;
        }
    }
}

/// Deletes sessions idle past their limit, at start and then hourly.
async fn expire_sessions(auth: AuthService, stopped: impl std::future::Future<Output = ()>) {
    tokio::pin!(stopped);
    let mut tick = tokio::time::interval(SESSIONS_EVERY);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = tick.tick() => {
                if let Err(e) = auth.expire_sessions().await {
                    tracing::warn!(error = %e, "cannot delete expired sessions");
                }
            }
        }
    }
}

/// Forgets idle listeners now and then, releasing their pins.
async fn expire_listeners(cache: Arc<Cache>, stopped: impl std::future::Future<Output = ()>) {
    tokio::pin!(stopped);
    let mut tick = tokio::time::interval(EXPIRE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = tick.tick() => {
                let gone = cache.expire_idle();
                if gone > 0 {
                    tracing::debug!(listeners = gone, "forgot idle listeners");
                }
            }
        }
    }
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
                variant,
                tier: tier.as_str(),
            },
            CacheEvent::TrackProgress {
                track,
                preset,
                loudness,
                cached_chunks,
                total_chunks,
                percent,
            } => Event::TrackProgress {
                track: track.0,
                preset,
                loudness,
                percent,
                cached_chunks,
                total_chunks,
            },
            CacheEvent::TrackFullyCached {
                track,
                preset,
                loudness,
                ..
            } => Event::TrackCached {
                track: track.0,
                preset,
                loudness,
            },
            CacheEvent::Evicted { track, .. } => match track {
                Some(t) => Event::Evicted { track: t.0 },
                None => continue,
            },
        };
        bus.publish(out);
    }
}
