//! The presets: each is a set of parameters, documented in the crate doc.

pub use auralis_core::{Preset, UnknownPreset};

/// Parameters of one preset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PresetParams {
    pub target_lufs: f64,
    pub low_shelf_db: f64,
    pub high_shelf_db: f64,
    /// Share (0..1) of the gap to the reference balance that the adaptive shelves close.
    pub adaptive: f64,
    /// Compressor knee centre relative to the track's (post-EQ) integrated loudness.
    pub threshold_above_lufs: f64,
    pub ratio: f64,
    pub knee_db: f64,
    pub attack_seconds: f64,
    pub release_seconds: f64,
}

/// The parameters of a preset (the preset names live in `auralis-core`, their DSP here).
pub(crate) trait PresetParamsExt {
    fn params(self) -> PresetParams;
}

impl PresetParamsExt for Preset {
    fn params(self) -> PresetParams {
        let base = PresetParams {
            target_lufs: -14.0,
            low_shelf_db: 0.0,
            high_shelf_db: 0.0,
            adaptive: 0.5,
            threshold_above_lufs: 4.0,
            ratio: 2.0,
            knee_db: 6.0,
            attack_seconds: 0.02,
            release_seconds: 0.15,
        };
        match self {
            Preset::Adaptive => base,
            Preset::Gentle => PresetParams {
                target_lufs: -16.0,
                adaptive: 0.3,
                threshold_above_lufs: 6.0,
                ratio: 1.5,
                knee_db: 8.0,
                attack_seconds: 0.03,
                release_seconds: 0.2,
                ..base
            },
            Preset::Warm => PresetParams {
                low_shelf_db: 2.0,
                high_shelf_db: -1.5,
                attack_seconds: 0.025,
                release_seconds: 0.18,
                ..base
            },
            Preset::Bright => PresetParams {
                low_shelf_db: -0.5,
                high_shelf_db: 2.5,
                attack_seconds: 0.015,
                ..base
            },
            Preset::Punchy => PresetParams {
                target_lufs: -13.0,
                low_shelf_db: 1.5,
                high_shelf_db: 1.0,
                threshold_above_lufs: 1.0,
                ratio: 3.0,
                attack_seconds: 0.03,
                release_seconds: 0.1,
                ..base
            },
        }
    }
}
