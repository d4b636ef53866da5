//! Track-level parameters: from a [`Profile`] and a [`Preset`] to every stage's settings, and
//! the loudness model that picks the gain so the limited output lands on the target.
//!
//! The model ([`LoudnessModel`]) predicts the chain's integrated output loudness from the
//! profile's 100 ms block statistics. It is good to a few tenths of a LU; a measured
//! [`Calibration`](auralis_analysis::Calibration) in the profile (the chain's real output
//! against the model, see `auralis-render`) removes the rest: the plan solves
//! `model(gain) + offset = target`.
//!
//! Not for: running the chain (see [`crate::Chain`]), measuring (see [`crate::ChainMeter`]).

use crate::dsp::Coeffs;
use crate::preset::{Preset, PresetParams, PresetParamsExt};
use crate::stages::{CompressorParams, CONTROL_PERIOD};
use crate::DSP_VERSION;
use auralis_analysis::{block_energy, gated_loudness, Profile, LOUDNESS_FLOOR_LUFS};

/// Limiter ceiling (dBTP). 0.2 dB below the -1 dBTP contract, for 16-bit quantisation.
pub const CEILING_DBTP: f64 = -1.2;
/// Largest makeup gain (dB). A track too quiet to reach its target with this much gain is
/// raised by exactly this much and stays below the target.
pub const MAX_GAIN_DB: f64 = 24.0;
/// Lookahead of the limiter in seconds.
pub const LOOKAHEAD_SECONDS: f64 = 0.002;
/// Limiter release time constant in seconds.
pub const LIMITER_RELEASE_SECONDS: f64 = 0.08;
/// Pre-roll processed (and discarded) before a chunk: ≥ 15 × the longest time constant
/// (0.2 s, compressor release), so state differences decay below -120 dB.
pub const PREROLL_SECONDS: f64 = 3.0;
/// Detector mean-square time constant of the compressor.
const RMS_SECONDS: f64 = 0.01;
/// Shelf corner frequencies and the subsonic high-pass.
const LOW_SHELF_HZ: f64 = 120.0;
const HIGH_SHELF_HZ: f64 = 6000.0;
const SUBSONIC_HZ: f64 = 20.0;
/// Reference long-term balance for the adaptive EQ: slope of third-octave band levels in
/// dB/octave around 700 Hz (typical of commercial masters).
const REFERENCE_TILT: f64 = -3.0;
/// Largest adaptive shelf correction (dB).
const MAX_ADAPTIVE_DB: f64 = 3.0;

/// How the loudness gain of a plan was chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GainMode {
    /// Per track: the gain that puts this track on the preset's target.
    Track,
    /// A gain given from outside (album mode: one gain for every track of an album, see
    /// [`crate::album_loudness`]).
    Fixed,
}

/// All track-level parameters of the chain. Built once per track (or per chunk request: it
/// costs well under a millisecond), from the profile and the preset only (plus, in album
/// mode, the album's gain).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub(crate) preset: Preset,
    pub(crate) rate: u32,
    pub(crate) eq: [Coeffs; 3],
    pub(crate) low_shelf_db: f64,
    pub(crate) high_shelf_db: f64,
    pub(crate) compressor: CompressorParams,
    pub(crate) gain_db: f64,
    pub(crate) lookahead: usize,
    pub(crate) limiter_release_coef: f64,
    pub(crate) target_lufs: f64,
    pub(crate) predicted_lufs: f64,
    /// Calibration offset applied to the model (LU), 0 without a calibration.
    pub(crate) offset_lu: f64,
    pub(crate) calibrated: bool,
    pub(crate) mode: GainMode,
    /// The input is silence (nothing above the absolute gate): no gain.
    pub(crate) silent: bool,
}

/// Energy-weighted mean of band levels (dB) over [lo, hi] Hz.
fn band_level(profile: &Profile, lo: f32, hi: f32) -> f64 {
    let s = &profile.spectrum;
    let (sum, n) = s
        .centres_hz
        .iter()
        .zip(&s.band_db)
        .filter(|(&f, _)| f >= lo && f <= hi)
        .fold((0.0, 0), |(a, n), (_, &d)| {
            (a + 10f64.powf(d as f64 / 10.0), n + 1)
        });
    if n == 0 || sum <= 0.0 {
        -150.0
    } else {
        10.0 * (sum / n as f64).log10()
    }
}

impl Plan {
    /// The plan for this track in track mode: every stage from the profile and the preset, the
    /// gain chosen so the output lands on the preset's target (using the profile's calibration
    /// for this preset when it has one), capped at [`MAX_GAIN_DB`]. Silence gets no gain.
    pub fn new(profile: &Profile, preset: Preset) -> Plan {
        let mut plan = Plan::settings(profile, preset);
        if plan.silent {
            return plan;
        }
        let model = plan.model(profile);
        let target = plan.target_lufs - plan.offset_lu;
        plan.gain_db = solve_gain(|g| model.output_lufs(g), target);
        plan.predicted_lufs = model.output_lufs(plan.gain_db) + plan.offset_lu;
        plan
    }

    /// The plan with the loudness gain fixed at `gain_db` (clamped to at most [`MAX_GAIN_DB`]):
    /// album mode, where one gain serves every track of an album. Every other stage is as in
    /// [`Plan::new`]; [`Plan::predicted_lufs`] is this track's expected output loudness.
    pub fn with_gain_db(profile: &Profile, preset: Preset, gain_db: f64) -> Plan {
        let mut plan = Plan::settings(profile, preset);
        plan.mode = GainMode::Fixed;
        let gain_db = if gain_db.is_finite() {
            gain_db.min(MAX_GAIN_DB)
        } else {
            0.0
        };
        if plan.silent {
            return plan;
        }
        plan.gain_db = gain_db;
        plan.predicted_lufs = plan.model(profile).output_lufs(gain_db) + plan.offset_lu;
        plan
    }

    /// Every stage but the gain (0 dB), and the calibration offset.
    fn settings(profile: &Profile, preset: Preset) -> Plan {
        let p: PresetParams = preset.params();
        let rate = profile.sample_rate.max(1);

        // EQ: preset shelves plus a partial correction of the track's balance towards the
        // reference (bass 40-160 Hz and treble 4-12.5 kHz against the 250 Hz-2 kHz mids).
        let mid = band_level(profile, 250.0, 2000.0);
        let bass = band_level(profile, 40.0, 160.0) - mid;
        let treble = band_level(profile, 4000.0, 12500.0) - mid;
        let ref_bass = REFERENCE_TILT * (80.0f64 / 707.0).log2();
        let ref_treble = REFERENCE_TILT * (7000.0f64 / 707.0).log2();
        let adapt = |want: f64, have: f64| {
            (p.adaptive * (want - have)).clamp(-MAX_ADAPTIVE_DB, MAX_ADAPTIVE_DB)
        };
        let low_shelf_db = p.low_shelf_db + adapt(ref_bass, bass);
        let high_shelf_db = p.high_shelf_db + adapt(ref_treble, treble);
        let eq = [
            Coeffs::high_pass(rate, SUBSONIC_HZ, std::f64::consts::FRAC_1_SQRT_2),
            Coeffs::low_shelf(
                rate,
                LOW_SHELF_HZ,
                low_shelf_db,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
            Coeffs::high_shelf(
                rate,
                HIGH_SHELF_HZ,
                high_shelf_db,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
        ];
        let (eq_loudness_db, _) = eq_effect(&eq, profile);
        let compressor = CompressorParams {
            k_weighting: Coeffs::k_weighting(rate),
            threshold: profile.integrated_lufs + eq_loudness_db + p.threshold_above_lufs,
            ratio: p.ratio,
            knee_db: p.knee_db,
            rms_coef: coef(RMS_SECONDS, rate),
            attack_coef: coef_per(p.attack_seconds, rate, CONTROL_PERIOD),
            release_coef: coef_per(p.release_seconds, rate, CONTROL_PERIOD),
        };
        let calibration = profile.calibration_for(preset.name(), DSP_VERSION);
        Plan {
            preset,
            rate,
            eq,
            low_shelf_db,
            high_shelf_db,
            compressor,
            gain_db: 0.0,
            lookahead: ((LOOKAHEAD_SECONDS * rate as f64).round() as usize).max(1),
            limiter_release_coef: coef(LIMITER_RELEASE_SECONDS, rate),
            target_lufs: p.target_lufs,
            predicted_lufs: profile.integrated_lufs,
            offset_lu: calibration.map_or(0.0, |c| c.offset_lu),
            calibrated: calibration.is_some(),
            mode: GainMode::Track,
            silent: profile.integrated_lufs <= LOUDNESS_FLOOR_LUFS,
        }
    }

    /// The loudness model of this plan's EQ and compressor on the track described by
    /// `profile` (normally the profile the plan was built from; for a calibration, the full
    /// profile of a track whose provisional plan came from its fast profile).
    pub fn model(&self, profile: &Profile) -> LoudnessModel {
        LoudnessModel::new(profile, self)
    }

    pub fn preset(&self) -> Preset {
        self.preset
    }
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }
    /// Loudness gain stage setting (dB), capped at [`MAX_GAIN_DB`].
    pub fn gain_db(&self) -> f64 {
        self.gain_db
    }
    pub fn target_lufs(&self) -> f64 {
        self.target_lufs
    }
    /// Integrated loudness expected at the output (the model plus the calibration offset).
    pub fn predicted_lufs(&self) -> f64 {
        self.predicted_lufs
    }
    /// The calibration offset (LU) the plan applied to its model; 0 without one.
    pub fn calibration_offset_lu(&self) -> f64 {
        self.offset_lu
    }
    /// Whether the profile held a calibration for this preset and chain version.
    pub fn calibrated(&self) -> bool {
        self.calibrated
    }
    pub fn gain_mode(&self) -> GainMode {
        self.mode
    }
    /// False when the gain cap keeps the output below the target.
    pub fn target_reachable(&self) -> bool {
        self.predicted_lufs > self.target_lufs - 0.5
    }
    /// Shelf gains (low, high) in dB.
    pub fn shelves_db(&self) -> (f64, f64) {
        (self.low_shelf_db, self.high_shelf_db)
    }
    /// Frames processed and discarded before a chunk.
    pub fn preroll_frames(&self) -> u64 {
        (PREROLL_SECONDS * self.rate as f64).round() as u64
    }
    /// Limiter delay, compensated by [`master_range`](crate::master_range).
    pub fn latency_frames(&self) -> usize {
        self.lookahead + auralis_analysis::TRUE_PEAK_DELAY
    }

    /// The gain (dB) that makes the original as loud as this plan's output: the expected
    /// output loudness minus the input's integrated loudness (0 for silence). Playing the
    /// original through it makes an A/B toggle compare tone and dynamics, not level.
    pub fn level_match_db(&self, profile: &Profile) -> f64 {
        if self.silent || profile.integrated_lufs <= LOUDNESS_FLOOR_LUFS {
            0.0
        } else {
            self.predicted_lufs - profile.integrated_lufs
        }
    }
}

/// The gain in [-60 dB, [`MAX_GAIN_DB`]] at which `loudness` (rising with the gain) reaches
/// `target`: [`MAX_GAIN_DB`] if it cannot. Regula falsi with the Illinois step inside a
/// bracket: a handful of evaluations instead of bisection's 40 (each evaluation re-gates
/// every block, which adds up on a two-hour track), and it still converges across the small
/// steps gating makes.
pub(crate) fn solve_gain(mut loudness: impl FnMut(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (-60.0, MAX_GAIN_DB);
    let (mut flo, mut fhi) = (loudness(lo) - target, loudness(hi) - target);
    if fhi < 0.0 {
        return hi;
    }
    if flo >= 0.0 {
        return lo;
    }
    let mut side = 0i8;
    for _ in 0..60 {
        let x = if fhi > flo {
            (lo * fhi - hi * flo) / (fhi - flo)
        } else {
            0.5 * (lo + hi)
        };
        let x = x.clamp(lo, hi);
        let fx = loudness(x) - target;
        if fx.abs() < 1e-6 || hi - lo < 1e-6 {
            return x;
        }
        if fx < 0.0 {
            lo = x;
            flo = fx;
            if side == -1 {
                fhi *= 0.5;
            }
            side = -1;
        } else {
            hi = x;
            fhi = fx;
            if side == 1 {
                flo *= 0.5;
            }
            side = 1;
        }
    }
    0.5 * (lo + hi)
}

/// Per-sample one-pole coefficient for a time constant.
fn coef(seconds: f64, rate: u32) -> f64 {
    (-1.0 / (seconds * rate as f64)).exp()
}

/// One-pole coefficient per step of `period` samples.
fn coef_per(seconds: f64, rate: u32, period: u64) -> f64 {
    (-(period as f64) / (seconds * rate as f64)).exp()
}

/// Predicted effect of an EQ on a track's K-weighted loudness and on its peaks (dB), from the
/// long-term spectrum.
fn eq_effect(eq: &[Coeffs; 3], profile: &Profile) -> (f64, f64) {
    let rate = profile.sample_rate.max(1);
    let k = Coeffs::k_weighting(rate);
    let (mut e_in, mut e_out, mut u_in, mut u_out) = (0.0, 0.0, 0.0, 0.0);
    for (&f, &d) in profile
        .spectrum
        .centres_hz
        .iter()
        .zip(&profile.spectrum.band_db)
    {
        let (f, e) = (f as f64, 10f64.powf(d as f64 / 10.0));
        let kw = k[0].power_at(f, rate) * k[1].power_at(f, rate);
        let h: f64 = eq.iter().map(|c| c.power_at(f, rate)).product();
        e_in += e * kw;
        e_out += e * kw * h;
        u_in += e;
        u_out += e * h;
    }
    let db = |a: f64, b: f64| if b > 0.0 { 10.0 * (a / b).log10() } else { 0.0 };
    (db(e_out, e_in), db(u_out, u_in))
}

/// Block-level model of the chain's output loudness: per 100 ms block, the EQ shifts
/// loudness and peaks, the compressor applies its static curve to the block loudness, the
/// gain shifts everything, and the limiter pulls the block down by part of its peak excess
/// (with release spill-over). Integrated loudness is then re-gated exactly as BS.1770 does.
/// The plan's calibration offset is not included (see [`LoudnessModel::offset_lu`]).
#[derive(Clone, Debug)]
pub struct LoudnessModel {
    /// Per block: K-weighted energy after EQ and compressor (linear), and true peak (dB).
    energy: Vec<f64>,
    peak: Vec<f64>,
    breaks: Vec<u32>,
    offset_lu: f64,
}

/// Share of a block's peak excess that shows up as loudness loss, and its spill-over into the
/// next block (limiter release).
const LIMIT_SHARE: f64 = 0.7;
const LIMIT_SPILL: f64 = 0.3;

impl LoudnessModel {
    fn new(profile: &Profile, plan: &Plan) -> LoudnessModel {
        let (eq_db, eq_peak_db) = eq_effect(&plan.eq, profile);
        let comp = &plan.compressor;
        let b = &profile.blocks;
        let mut energy = Vec::with_capacity(b.loudness.len());
        let mut peak = Vec::with_capacity(b.loudness.len());
        for (&l, &tp) in b.loudness.iter().zip(&b.true_peak) {
            if block_energy(l) == 0.0 {
                energy.push(0.0);
                peak.push(f64::NEG_INFINITY);
                continue;
            }
            let l = l as f64 + eq_db;
            let c = comp.static_gain(l);
            energy.push(10f64.powf((l + c + 0.691) / 10.0));
            peak.push(tp as f64 + eq_peak_db + c);
        }
        LoudnessModel {
            energy,
            peak,
            breaks: b.breaks.clone(),
            offset_lu: plan.offset_lu,
        }
    }

    /// The plan's calibration offset (LU), to be added to [`LoudnessModel::output_lufs`].
    pub fn offset_lu(&self) -> f64 {
        self.offset_lu
    }

    /// Predicted K-weighted energy of each output block at loudness gain `gain_db` (no
    /// calibration offset), into `out` (cleared first).
    pub fn block_energies(&self, gain_db: f64, out: &mut Vec<f64>) {
        self.energies_with_ceiling(gain_db, CEILING_DBTP, out)
    }

    fn energies_with_ceiling(&self, gain_db: f64, ceiling_db: f64, out: &mut Vec<f64>) {
        out.clear();
        // One power per call, and one per block the limiter touches (Plan::new runs this ~40
        // times per chunk request: it has to stay cheap on a two-hour track).
        let g = 10f64.powf(gain_db / 10.0);
        let mut spill = 0.0f64;
        for (&e, &p) in self.energy.iter().zip(&self.peak) {
            let excess = (p + gain_db - ceiling_db).max(0.0);
            let cut = (LIMIT_SHARE * excess).max(spill);
            spill = cut * LIMIT_SPILL;
            out.push(if cut > 0.0 {
                e * g * 10f64.powf(-cut / 10.0)
            } else {
                e * g
            });
        }
    }

    /// Gating-block breaks of the profile (fast profiles: between excerpts).
    pub fn breaks(&self) -> &[u32] {
        &self.breaks
    }

    /// Predicted integrated output loudness at `gain_db`, without the calibration offset.
    pub fn output_lufs(&self, gain_db: f64) -> f64 {
        let mut energy = Vec::with_capacity(self.energy.len());
        self.block_energies(gain_db, &mut energy);
        gated_loudness(&energy, &self.breaks, &mut Vec::new())
    }

    /// Loudness (LU) the limiter is predicted to take away at `gain_db`: the model without
    /// a ceiling minus the model with it (0 when no peak reaches the ceiling).
    pub fn limiter_loss_lu(&self, gain_db: f64) -> f64 {
        let mut energy = Vec::with_capacity(self.energy.len());
        self.energies_with_ceiling(gain_db, f64::INFINITY, &mut energy);
        let free = gated_loudness(&energy, &self.breaks, &mut Vec::new());
        (free - self.output_lufs(gain_db)).max(0.0)
    }
}
