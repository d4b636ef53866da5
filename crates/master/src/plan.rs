//! Track-level parameters: from a [`Profile`] and a [`Preset`] to every stage's settings, and
//! the loudness model that picks the gain so the limited output lands on the target.

use crate::dsp::Coeffs;
use crate::preset::{Preset, PresetParams, PresetParamsExt};
use crate::stages::CompressorParams;
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

/// All track-level parameters of the chain. Built once per track (or per chunk request: it
/// costs well under a millisecond), from the profile and the preset only.
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
}

fn coef(seconds: f64, rate: u32) -> f64 {
    (-1.0 / (seconds * rate as f64)).exp()
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
    pub fn new(profile: &Profile, preset: Preset) -> Plan {
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

        // Predicted effect of the EQ on K-weighted loudness and on peaks.
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
        let eq_loudness_db = if e_in > 0.0 {
            10.0 * (e_out / e_in).log10()
        } else {
            0.0
        };
        let eq_peak_db = if u_in > 0.0 {
            10.0 * (u_out / u_in).log10()
        } else {
            0.0
        };

        let compressor = CompressorParams {
            k_weighting: k,
            threshold: profile.integrated_lufs + eq_loudness_db + p.threshold_above_lufs,
            ratio: p.ratio,
            knee_db: p.knee_db,
            rms_coef: coef(RMS_SECONDS, rate),
            attack_coef: coef(p.attack_seconds, rate),
            release_coef: coef(p.release_seconds, rate),
        };

        let mut plan = Plan {
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
        };
        if profile.integrated_lufs <= LOUDNESS_FLOOR_LUFS {
            // Silence (nothing above the gate): no gain at all.
            return plan;
        }
        let model = Model::new(profile, &plan.compressor, eq_loudness_db, eq_peak_db);
        let predict = |g: f64| profile.integrated_lufs + model.output_lufs(g) - model.base;
        // Output loudness rises monotonically with the gain: bisect.
        let (mut lo, mut hi) = (-60.0, MAX_GAIN_DB);
        if predict(hi) < p.target_lufs {
            lo = hi;
        } else {
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if predict(mid) < p.target_lufs {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        plan.gain_db = lo;
        plan.predicted_lufs = predict(lo);
        plan
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
    /// Integrated loudness the model predicts for the output.
    pub fn predicted_lufs(&self) -> f64 {
        self.predicted_lufs
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
        self.lookahead + 8
    }
}

/// Block-level model of the chain: per 100 ms block, the EQ shifts loudness and peaks, the
/// compressor applies its static curve to the block loudness, the gain shifts everything, and
/// the limiter pulls the block down by part of its peak excess (with release spill-over).
/// Integrated loudness is then re-gated exactly as BS.1770 does.
struct Model {
    level: Vec<f64>,
    peak: Vec<f64>,
    breaks: Vec<u32>,
    base: f64,
}

/// Share of a block's peak excess that shows up as loudness loss, and its spill-over into the
/// next block (limiter release).
const LIMIT_SHARE: f64 = 0.7;
const LIMIT_SPILL: f64 = 0.3;

impl Model {
    fn new(profile: &Profile, comp: &CompressorParams, eq_db: f64, eq_peak_db: f64) -> Model {
        let b = &profile.blocks;
        let mut level = Vec::with_capacity(b.loudness.len());
        let mut peak = Vec::with_capacity(b.loudness.len());
        for (&l, &tp) in b.loudness.iter().zip(&b.true_peak) {
            if block_energy(l) == 0.0 {
                level.push(f64::NEG_INFINITY);
                peak.push(f64::NEG_INFINITY);
                continue;
            }
            let l = l as f64 + eq_db;
            let c = comp.static_gain(l);
            level.push(l + c);
            peak.push(tp as f64 + eq_peak_db + c);
        }
        let base = gated_loudness(
            &b.loudness
                .iter()
                .map(|&l| block_energy(l))
                .collect::<Vec<_>>(),
            &b.breaks,
            &mut Vec::new(),
        );
        Model {
            level,
            peak,
            breaks: b.breaks.clone(),
            base,
        }
    }

    fn output_lufs(&self, gain_db: f64) -> f64 {
        let mut energy = Vec::with_capacity(self.level.len());
        let mut spill = 0.0f64;
        for (&l, &p) in self.level.iter().zip(&self.peak) {
            let excess = (p + gain_db - CEILING_DBTP).max(0.0);
            let cut = (LIMIT_SHARE * excess).max(spill);
            spill = cut * LIMIT_SPILL;
            let out = l + gain_db - cut;
            energy.push(if out.is_finite() {
                10f64.powf((out + 0.691) / 10.0)
            } else {
                0.0
            });
        }
        gated_loudness(&energy, &self.breaks, &mut Vec::new())
    }
}
