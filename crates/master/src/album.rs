//! Album loudness (like ReplayGain's album gain): one loudness gain for every track of an
//! album, chosen so that the album as a whole (all tracks' output blocks pooled, gated as
//! BS.1770 gates one programme) sits on the preset's target. The tracks keep their relative
//! loudness (a quiet interlude stays quiet), except where the limiter has to take a loud
//! track down harder than the others.
//!
//! Not for: building the plans themselves (see [`Plan::with_gain_db`]).

use auralis_analysis::{gated_loudness, Profile};

use crate::preset::PresetParamsExt;
use crate::{Plan, Preset};

/// The album gain of one preset and what it does to each track.
#[derive(Clone, Debug, PartialEq)]
pub struct AlbumLoudness {
    pub preset: Preset,
    /// The loudness gain (dB) every track's plan uses ([`Plan::with_gain_db`]), at most
    /// [`MAX_GAIN_DB`](crate::MAX_GAIN_DB).
    pub gain_db: f64,
    pub target_lufs: f64,
    /// Expected integrated loudness of the whole album at the output.
    pub predicted_lufs: f64,
    /// Expected output loudness of each track, in the order given.
    pub tracks_lufs: Vec<f64>,
    /// Loudness (LU) the limiter is expected to take from each track at the album gain (a
    /// loud track pushed past its own target by a quiet album loses some of its lead).
    pub tracks_limiter_lu: Vec<f64>,
}

impl AlbumLoudness {
    /// The plan of track `profile` (one of the album's) in album mode.
    pub fn plan(&self, profile: &Profile) -> Plan {
        Plan::with_gain_db(profile, self.preset, self.gain_db)
    }
}

/// One gain for all of `profiles` (an album's tracks, in any order) with `preset`: the
/// album's pooled output loudness lands on the preset's target (each track's calibration
/// included), unless that needs more than [`MAX_GAIN_DB`](crate::MAX_GAIN_DB). An empty or
/// silent album gets 0 dB.
pub fn album_loudness(profiles: &[&Profile], preset: Preset) -> AlbumLoudness {
    let plans: Vec<Plan> = profiles
        .iter()
        .map(|p| Plan::with_gain_db(p, preset, 0.0))
        .collect();
    let models: Vec<_> = plans
        .iter()
        .zip(profiles)
        .map(|(plan, p)| plan.model(p))
        .collect();
    let target = preset.params().target_lufs;
    let mut pooled = Vec::new();
    let mut breaks = Vec::new();
    let mut track = Vec::new();
    let mut scratch = Vec::new();
    let mut album_lufs = |g: f64| -> f64 {
        pooled.clear();
        breaks.clear();
        for m in &models {
            m.block_energies(g, &mut track);
            let scale = 10f64.powf(m.offset_lu() / 10.0);
            let base = pooled.len() as u32;
            if base > 0 {
                breaks.push(base);
            }
            breaks.extend(m.breaks().iter().map(|b| b + base));
            pooled.extend(track.iter().map(|e| e * scale));
        }
        gated_loudness(&pooled, &breaks, &mut scratch)
    };
    let silent = plans.iter().all(|p| p.silent);
    let gain_db = if silent {
        0.0
    } else {
        crate::plan::solve_gain(&mut album_lufs, target)
    };
    let predicted_lufs = album_lufs(gain_db);
    let tracks_lufs = profiles
        .iter()
        .map(|p| Plan::with_gain_db(p, preset, gain_db).predicted_lufs())
        .collect();
    let tracks_limiter_lu = models.iter().map(|m| m.limiter_loss_lu(gain_db)).collect();
    AlbumLoudness {
        preset,
        gain_db,
        target_lufs: target,
        predicted_lufs,
        tracks_lufs,
        tracks_limiter_lu,
    }
}
