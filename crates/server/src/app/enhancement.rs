//! The enhancement switch of each user: on/off, preset, intensity, loudness mode (track or
//! album). Held in memory and answered
//! from there at once (a user's state is read from SQLite the first time it is needed);
//! persisted per user by a background task that always writes the latest state, so a burst of
//! changes costs one write and no request waits on SQLite or audio work.
//!
//! Not for: the cache's plan (a new preset is handed to the cache for the user's listeners and
//! the cache takes it from there).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use auralis_cache::{Cache, Loudness, Preset};
use auralis_library::Library;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::error::{Error, Result};
use super::events::{Event, EventBus};

/// Key of a user's enhancement state in the library's per-user settings.
pub const SETTINGS_KEY: &str = "enhancement";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EnhancementState {
    pub enabled: bool,
    pub preset: Preset,
    pub intensity: f32,
    /// Track or album loudness; states stored before it existed read as track.
    #[serde(default)]
    pub loudness: Loudness,
}

impl Default for EnhancementState {
    fn default() -> Self {
        Self {
            enabled: true,
            preset: Preset::default(),
            intensity: 1.0,
            loudness: Loudness::Track,
        }
    }
}

impl EnhancementState {
    /// Parses a stored state, falling back to the default for anything unreadable.
    pub fn from_setting(value: Option<&str>) -> Self {
        let mut state: Self = value
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        if !(0.0..=1.0).contains(&state.intensity) {
            state.intensity = 1.0;
        }
        state
    }

    pub fn to_setting(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }
}

/// Parses a preset name, 400 for an unknown one.
pub fn parse_preset(name: &str) -> Result<Preset> {
    Preset::from_str(name).map_err(|_| {
        let known: Vec<String> = Preset::ALL.iter().map(|p| p.to_string()).collect();
        Error::bad_request(format!(
            "unknown preset {name:?}; known presets: {}",
            known.join(", ")
        ))
    })
}

/// Parses a loudness mode, 400 for anything but `track` or `album`.
pub fn parse_loudness(name: &str) -> Result<Loudness> {
    Loudness::from_str(name).map_err(|e| Error::bad_request(e.to_string()))
}

/// Validates an intensity: a finite number in 0..=1.
pub fn check_intensity(intensity: f32) -> Result<f32> {
    if intensity.is_finite() && (0.0..=1.0).contains(&intensity) {
        Ok(intensity)
    } else {
        Err(Error::bad_request(format!(
            "intensity must lie between 0 and 1, got {intensity}"
        )))
    }
}

/// A change to write: (user, state).
pub(crate) type Pending = (i64, EnhancementState);

/// The enhancement service: each user's state, the cache told about a user's new preset, every
/// change announced on the event bus (to that user's pages only).
#[derive(Clone)]
pub struct EnhancementService {
    library: Arc<Library>,
    states: Arc<RwLock<HashMap<i64, EnhancementState>>>,
    persist: mpsc::UnboundedSender<Pending>,
    cache: Arc<Cache>,
    events: EventBus,
}

impl EnhancementService {
    /// The service and the receiver the persisting task reads changes from.
    pub(crate) fn new(
        library: Arc<Library>,
        cache: Arc<Cache>,
        events: EventBus,
    ) -> (Self, mpsc::UnboundedReceiver<Pending>) {
        let (persist, rx) = mpsc::unbounded_channel();
        let service = Self {
            library,
            states: Arc::default(),
            persist,
            cache,
            events,
        };
        (service, rx)
    }

    /// The user's state: from memory, else stored, else the server's state from before
    /// accounts, else the default.
    pub async fn get(&self, user: i64) -> Result<EnhancementState> {
        if let Some(s) = self.states.read().get(&user) {
            return Ok(*s);
        }
        let lib = self.library.clone();
        let stored =
            tokio::task::spawn_blocking(move || match lib.user_setting(user, SETTINGS_KEY) {
                // Before accounts there was one listener and one global state: a user who has never
                // changed theirs starts from it, so an upgraded server sounds as it did.
                Ok(None) => lib.setting(SETTINGS_KEY),
                found => found,
            })
            .await??;
        let state = EnhancementState::from_setting(stored.as_deref());
        // A change made meanwhile wins over what was read.
        Ok(*self.states.write().entry(user).or_insert(state))
    }

    pub async fn toggle(&self, user: i64, enabled: Option<bool>) -> Result<EnhancementState> {
        self.change(user, |s| s.enabled = enabled.unwrap_or(!s.enabled))
            .await
    }

    /// A new preset: the user's listeners' hot chunks and background work move to it at once.
    pub async fn set_preset(&self, user: i64, name: &str) -> Result<EnhancementState> {
        let preset = parse_preset(name)?;
        let state = self.change(user, |s| s.preset = preset).await?;
        self.cache.set_user_preset(user, preset);
        Ok(state)
    }

    /// A new loudness mode: the user's listeners' hot chunks and background work move to the
    /// processed variant of that mode at once.
    pub async fn set_loudness(&self, user: i64, name: &str) -> Result<EnhancementState> {
        let loudness = parse_loudness(name)?;
        let state = self.change(user, |s| s.loudness = loudness).await?;
        self.cache.set_user_loudness(user, loudness);
        Ok(state)
    }

    pub async fn set_intensity(&self, user: i64, intensity: f32) -> Result<EnhancementState> {
        let intensity = check_intensity(intensity)?;
        self.change(user, |s| s.intensity = intensity).await
    }

    async fn change(
        &self,
        user: i64,
        f: impl FnOnce(&mut EnhancementState),
    ) -> Result<EnhancementState> {
        self.get(user).await?;
        let state = {
            let mut states = self.states.write();
            let s = states.entry(user).or_default();
            f(s);
            *s
        };
        let _ = self.persist.send((user, state));
        self.events.publish(Event::Enhancement { user, state });
        Ok(state)
    }

    /// Forgets a deleted user's state.
    pub fn forget(&self, user: i64) {
        self.states.write().remove(&user);
    }
}

/// Writes the latest state of every changed user until `stopped`, then what is still pending.
pub(crate) async fn persist(
    mut rx: mpsc::UnboundedReceiver<Pending>,
    library: Arc<Library>,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    loop {
        let first = tokio::select! {
            _ = &mut stopped => None,
            got = rx.recv() => got,
        };
        let stop = first.is_none();
        // Only the newest state of each user is written.
        let mut batch: HashMap<i64, EnhancementState> = first.into_iter().collect();
        while let Ok((user, state)) = rx.try_recv() {
            batch.insert(user, state);
        }
        if !batch.is_empty() {
            let lib = library.clone();
            let written = tokio::task::spawn_blocking(move || {
                for (user, state) in batch {
                    // A user deleted meanwhile has no row to write to: nothing to keep.
                    if let Err(e) = lib.set_user_setting(user, SETTINGS_KEY, &state.to_setting()) {
                        tracing::debug!(user, error = %e, "enhancement settings not saved");
                    }
                }
            })
            .await;
            if written.is_err() {
                tracing::warn!("cannot save the enhancement settings");
            }
        }
        if stop {
            return;
        }
    }
}
