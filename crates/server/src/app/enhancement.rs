//! The enhancement switch: on/off, preset, intensity. Held in memory and answered from there at
//! once; persisted in the library's settings by a background task that always writes the latest
//! state (so a burst of changes costs one write, and no request waits on SQLite or audio work).

use std::str::FromStr;
use std::sync::Arc;

use auralis_master::Preset;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use auralis_cache::Cache;

use super::error::{Error, Result};
use super::events::{Event, EventBus};

/// Key of the enhancement state in the library's settings.
pub const SETTINGS_KEY: &str = "enhancement";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EnhancementState {
    pub enabled: bool,
    #[serde(with = "preset_name")]
    pub preset: Preset,
    pub intensity: f32,
}

impl Default for EnhancementState {
    fn default() -> Self {
        Self {
            enabled: true,
            preset: Preset::default(),
            intensity: 1.0,
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

mod preset_name {
    use super::*;
    pub fn serialize<S: serde::Serializer>(p: &Preset, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.to_string())
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Preset, D::Error> {
        let s = String::deserialize(d)?;
        Preset::from_str(&s).map_err(|_| serde::de::Error::custom(format!("unknown preset {s}")))
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

/// The live state plus a channel to the persisting task.
pub struct Enhancement {
    state: RwLock<EnhancementState>,
    persist: watch::Sender<EnhancementState>,
}

impl Enhancement {
    /// The live state and the receiver the persisting task reads the latest state from.
    pub fn new(initial: EnhancementState) -> (Arc<Self>, watch::Receiver<EnhancementState>) {
        let (tx, rx) = watch::channel(initial);
        (
            Arc::new(Self {
                state: RwLock::new(initial),
                persist: tx,
            }),
            rx,
        )
    }

    pub fn get(&self) -> EnhancementState {
        *self.state.read()
    }

    /// Applies `change` and returns the new state; the change is persisted in the background.
    pub fn update(&self, change: impl FnOnce(&mut EnhancementState)) -> EnhancementState {
        let new = {
            let mut s = self.state.write();
            change(&mut s);
            *s
        };
        self.persist.send_replace(new);
        new
    }
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

/// The enhancement service: reads and changes the enhancement state, tells the listeners' cache
/// plan about a new preset, and announces every change on the event bus.
#[derive(Clone)]
pub struct EnhancementService {
    state: Arc<Enhancement>,
    cache: Arc<Cache>,
    events: EventBus,
}

impl EnhancementService {
    pub(crate) fn new(state: Arc<Enhancement>, cache: Arc<Cache>, events: EventBus) -> Self {
        Self {
            state,
            cache,
            events,
        }
    }

    pub fn get(&self) -> EnhancementState {
        self.state.get()
    }

    pub fn toggle(&self, enabled: Option<bool>) -> EnhancementState {
        self.change(|s| s.enabled = enabled.unwrap_or(!s.enabled))
    }

    /// A new preset: the listeners' hot chunks and background work move to it at once.
    pub fn set_preset(&self, name: &str) -> Result<EnhancementState> {
        let preset = parse_preset(name)?;
        let state = self.change(|s| s.preset = preset);
        self.cache.set_user_preset(0, preset);
        Ok(state)
    }

    pub fn set_intensity(&self, intensity: f32) -> Result<EnhancementState> {
        let intensity = check_intensity(intensity)?;
        Ok(self.change(|s| s.intensity = intensity))
    }

    fn change(&self, f: impl FnOnce(&mut EnhancementState)) -> EnhancementState {
        let state = self.state.update(f);
        self.events.publish(Event::Enhancement(state));
        state
    }
}
