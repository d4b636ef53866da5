//! Track profile: loudness, true peak, spectral balance, crest factor.
//!
//! A [`Profile`] is computed once per track and drives every track-level decision of the
//! mastering chain (`auralis-master`). It holds the EBU R128 figures (integrated loudness and
//! loudness range by BS.1770 / Tech 3342 gating, sample and 4× oversampled true peak), the
//! long-term third-octave spectrum (via `realfft`), the crest factor, the per-100 ms block
//! statistics ([`Blocks`]) the master plan uses to predict how its compressor and limiter
//! change integrated loudness, and measured corrections of that prediction ([`Calibration`],
//! filled in by `auralis-render`, which can run the chain).
//!
//! The meter is our own ([`meter`]): K-weighting, 100 ms block energies and gating exactly as
//! libebur128 computes them (tested against the `ebur128` crate to 0.01 LU), with a true-peak
//! estimator that skips what cannot raise a maximum. It is 5-10× cheaper than running
//! `ebur128` with true peak, which mattered twice over per `auralis master` run.
//!
//! Three ways in: [`analyze`] (whole track in memory), the streaming [`Analyzer`], and
//! [`fast_profile`] (a few short excerpts read through a closure, for a never-seen track).
//! Silence gives finite floors ([`LOUDNESS_FLOOR_LUFS`], [`PEAK_FLOOR_DB`]), never NaN/inf.
//!
//! Not for: processing audio, decoding files.

pub mod meter;
mod spectrum;
pub mod waveform;

use serde::{Deserialize, Serialize};
use std::ops::Range;

pub use meter::{BlockMeter, KWeighting, StereoBiquad, TruePeak, TRUE_PEAK_DELAY};
use spectrum::SpectrumMeter;

/// Bumped whenever the meaning or computation of a profile field changes.
/// 2: own meter (true peak by a 12-tap-per-phase interpolator), calibrations.
pub const PROFILE_VERSION: u32 = 2;
/// Loudness floor (silence, or nothing above the absolute gate).
pub const LOUDNESS_FLOOR_LUFS: f64 = -70.0;
/// Peak / level floor in dBFS.
pub const PEAK_FLOOR_DB: f64 = -120.0;
/// Floor of the per-block loudness and of the spectrum bands.
pub const BLOCK_FLOOR_DB: f32 = -150.0;
/// Length of one statistics block in milliseconds.
pub const BLOCK_MS: u32 = 100;

/// How a profile was obtained.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum ProfileKind {
    /// From sparse excerpts ([`fast_profile`]).
    Fast,
    /// From every sample of the track.
    Full,
}

/// Long-term spectral balance: mean-square level per third-octave band.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Spectrum {
    /// Nominal band centres in Hz (1 kHz · 2^(k/3)), 25 Hz .. 20 kHz, below Nyquist.
    pub centres_hz: Vec<f32>,
    /// Mean-square level of each band in dB (relative to full scale, channels averaged;
    /// the bands sum to the signal's mean square), floored at [`BLOCK_FLOOR_DB`].
    pub band_db: Vec<f32>,
    /// Least-squares slope of `band_db` over log2(frequency), 50 Hz .. 16 kHz, in dB/octave
    /// (0 for pink noise, +3 for white noise).
    pub tilt_db_per_octave: f64,
}

/// Per-block (100 ms, non-overlapping) statistics, in track order.
///
/// The master plan rebuilds BS.1770 gating blocks (4 consecutive blocks = 400 ms, hop 100 ms)
/// from them to predict the integrated loudness after compression and limiting.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Blocks {
    /// K-weighted loudness of each block (LUFS, channels summed as in BS.1770).
    pub loudness: Vec<f32>,
    /// True peak (4× oversampled, max over channels) of each block, dBTP.
    pub true_peak: Vec<f32>,
    /// Indices where a new excerpt starts (fast profiles): gating blocks never span them.
    pub breaks: Vec<u32>,
}

/// A measured correction of the master plan's loudness model for one preset: how far the
/// chain's real output loudness was from the model's prediction for the same settings.
/// Written by `auralis-render` (which runs the chain), read by `auralis_master::Plan`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Calibration {
    /// Preset name (`auralis_master::Preset::name`).
    pub preset: String,
    /// `auralis_master::DSP_VERSION` of the chain that was measured; a plan of another
    /// version ignores the entry.
    pub dsp_version: u32,
    /// Measured integrated loudness of the chain's output minus the model's prediction (LU).
    pub offset_lu: f64,
    /// Settings the measurement ran with: the loudness gain (dB) and the output loudness
    /// measured (LUFS), for diagnostics.
    pub measured_gain_db: f64,
    pub measured_lufs: f64,
}

/// A track's analysis. All fields are finite.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    pub version: u32,
    pub kind: ProfileKind,
    pub sample_rate: u32,
    pub frames: u64,
    /// EBU R128 integrated loudness, floored at [`LOUDNESS_FLOOR_LUFS`].
    pub integrated_lufs: f64,
    /// EBU Tech 3342 loudness range.
    pub loudness_range_lu: f64,
    pub sample_peak_dbfs: f64,
    pub true_peak_dbtp: f64,
    /// RMS over both channels, dBFS (a full-scale sine is -3.01).
    pub rms_dbfs: f64,
    /// Sample peak minus RMS, dB (0 for silence).
    pub crest_db: f64,
    pub spectrum: Spectrum,
    pub blocks: Blocks,
    /// Measured corrections of the loudness model, one per preset at most (may be empty).
    #[serde(default)]
    pub calibration: Vec<Calibration>,
}

impl Profile {
    /// The calibration for a preset name measured with chain version `dsp_version`.
    pub fn calibration_for(&self, preset: &str, dsp_version: u32) -> Option<&Calibration> {
        self.calibration
            .iter()
            .find(|c| c.preset == preset && c.dsp_version == dsp_version)
    }

    /// Adds (or replaces) a calibration.
    pub fn set_calibration(&mut self, c: Calibration) {
        self.calibration
            .retain(|x| !(x.preset == c.preset && x.dsp_version == c.dsp_version));
        self.calibration.push(c);
    }
}

pub(crate) fn db_power(x: f64, floor: f64) -> f64 {
    if x > 0.0 && x.is_finite() {
        (10.0 * x.log10()).max(floor)
    } else {
        floor
    }
}

fn db_amp(x: f64, floor: f64) -> f64 {
    if x > 0.0 && x.is_finite() {
        (20.0 * x.log10()).max(floor)
    } else {
        floor
    }
}

/// BS.1770 energy (sum of channel mean squares, K-weighted) → loudness.
pub fn energy_to_lufs(energy: f64) -> f64 {
    -0.691 + db_power(energy, -1000.0)
}

/// Inverse of [`energy_to_lufs`].
pub fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// BS.1770 gated integrated loudness from per-100 ms block energies (linear, K-weighted):
/// 400 ms gating blocks of 4 consecutive blocks (hop 100 ms) that do not span a break,
/// absolute gate -70 LUFS, relative gate -10 LU. Returns [`LOUDNESS_FLOOR_LUFS`] if nothing
/// passes the gates. `scratch` is reused to avoid allocations.
pub fn gated_loudness(energy: &[f64], breaks: &[u32], scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    let abs_gate = lufs_to_energy(-70.0);
    let mut next_break = breaks.iter().copied().peekable();
    let mut seg_start = 0usize;
    for j in 0..energy.len() {
        while next_break.peek().is_some_and(|&b| b as usize <= j) {
            seg_start = next_break.next().map_or(0, |b| b as usize);
        }
        if j + 1 >= seg_start + 4 {
            let e = (energy[j] + energy[j - 1] + energy[j - 2] + energy[j - 3]) * 0.25;
            if e > abs_gate {
                scratch.push(e);
            }
        }
    }
    if scratch.is_empty() {
        return LOUDNESS_FLOOR_LUFS;
    }
    let mean = scratch.iter().sum::<f64>() / scratch.len() as f64;
    let rel_gate = mean * 0.1;
    let (sum, n) = scratch
        .iter()
        .filter(|&&e| e > rel_gate)
        .fold((0.0, 0usize), |(s, n), &e| (s + e, n + 1));
    if n == 0 {
        return LOUDNESS_FLOOR_LUFS;
    }
    energy_to_lufs(sum / n as f64).max(LOUDNESS_FLOOR_LUFS)
}

/// Loudness range (Tech 3342) from per-100 ms block energies: 3 s short-term windows with
/// a 1 s hop inside each excerpt, absolute gate -70, relative gate -20, 10th..95th percentile.
fn loudness_range_from_blocks(energy: &[f64], breaks: &[u32]) -> f64 {
    let mut st = Vec::new();
    let mut bounds: Vec<usize> = breaks.iter().map(|&b| b as usize).collect();
    bounds.push(energy.len());
    let mut start = 0;
    for &end in &bounds {
        let mut j = start;
        while j + 30 <= end {
            let e = energy[j..j + 30].iter().sum::<f64>() / 30.0;
            if e > lufs_to_energy(-70.0) {
                st.push(e);
            }
            j += 10;
        }
        start = end;
    }
    if st.is_empty() {
        return 0.0;
    }
    let mean = st.iter().sum::<f64>() / st.len() as f64;
    let mut gated: Vec<f64> = st
        .into_iter()
        .filter(|&e| e > mean * 0.01)
        .map(energy_to_lufs)
        .collect();
    if gated.len() < 2 {
        return 0.0;
    }
    gated.sort_by(f64::total_cmp);
    let pick = |q: f64| gated[((gated.len() - 1) as f64 * q).round() as usize];
    (pick(0.95) - pick(0.10)).max(0.0)
}

/// Streaming analyser: `push` blocks of frames in track order, then `finish`.
pub struct Analyzer {
    rate: u32,
    meter: BlockMeter,
    spectrum: Option<SpectrumMeter>,
}

impl Analyzer {
    pub fn new(rate: u32) -> Self {
        Analyzer {
            rate,
            meter: BlockMeter::new(rate, true),
            spectrum: Some(SpectrumMeter::new(rate.max(1))),
        }
    }

    /// Loudness, loudness range and peaks only, for measuring an output: no spectrum, and
    /// the true peak is the track's maximum only (`blocks.true_peak` is empty, so the
    /// profile cannot drive a master plan).
    pub fn loudness_only(rate: u32) -> Self {
        Analyzer {
            rate,
            meter: BlockMeter::global_peak(rate),
            spectrum: None,
        }
    }

    /// Adds frames (in track order).
    pub fn push(&mut self, frames: &[[f32; 2]]) {
        self.meter.push(frames);
        if let Some(s) = self.spectrum.as_mut() {
            s.push(frames);
        }
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> u64 {
        self.meter.frames
    }

    /// Completes the analysis of everything pushed.
    pub fn finish(mut self) -> Profile {
        self.meter.finish();
        let spectrum = match self.spectrum.as_mut() {
            Some(s) => {
                s.flush_partial();
                s.spectrum()
            }
            None => SpectrumMeter::new(self.rate.max(1)).spectrum(),
        };
        let m = self.meter;
        let integrated = gated_loudness(&m.energy, &[], &mut Vec::new());
        let lra = loudness_range_from_blocks(&m.energy, &[]);
        Parts {
            rate: self.rate,
            frames: m.frames,
            kind: ProfileKind::Full,
            integrated,
            lra,
            sample_peak: m.sample_peak as f64,
            true_peak: m.true_peak_max.max(m.sample_peak) as f64,
            sum_sq: m.sum_sq,
            counted: m.frames,
            spectrum,
            blocks: blocks_of(&m.energy, &m.true_peak),
        }
        .into_profile()
    }
}

/// Profile block statistics (LUFS, dBTP as f32) from meter blocks.
fn blocks_of(energy: &[f64], true_peak: &[f32]) -> Blocks {
    Blocks {
        loudness: energy
            .iter()
            .map(|&e| {
                if e > 0.0 {
                    (energy_to_lufs(e).max(BLOCK_FLOOR_DB as f64)) as f32
                } else {
                    BLOCK_FLOOR_DB
                }
            })
            .collect(),
        true_peak: true_peak
            .iter()
            .map(|&p| db_amp(p as f64, BLOCK_FLOOR_DB as f64) as f32)
            .collect(),
        breaks: Vec::new(),
    }
}

struct Parts {
    rate: u32,
    frames: u64,
    kind: ProfileKind,
    integrated: f64,
    lra: f64,
    sample_peak: f64,
    true_peak: f64,
    sum_sq: f64,
    counted: u64,
    spectrum: Spectrum,
    blocks: Blocks,
}

impl Parts {
    fn into_profile(self) -> Profile {
        let rms = if self.counted > 0 {
            (self.sum_sq / (2.0 * self.counted as f64)).sqrt()
        } else {
            0.0
        };
        let sample_peak_dbfs = db_amp(self.sample_peak, PEAK_FLOOR_DB);
        let rms_dbfs = db_amp(rms, PEAK_FLOOR_DB);
        let crest_db = if rms > 0.0 && self.sample_peak > 0.0 {
            (sample_peak_dbfs - rms_dbfs).max(0.0)
        } else {
            0.0
        };
        Profile {
            version: PROFILE_VERSION,
            kind: self.kind,
            sample_rate: self.rate,
            frames: self.frames,
            integrated_lufs: self.integrated,
            loudness_range_lu: self.lra,
            sample_peak_dbfs,
            true_peak_dbtp: db_amp(self.true_peak, PEAK_FLOOR_DB),
            rms_dbfs,
            crest_db,
            spectrum: self.spectrum,
            blocks: self.blocks,
            calibration: Vec::new(),
        }
    }
}

/// Full profile of a whole track in memory.
pub fn analyze(frames: &[[f32; 2]], rate: u32) -> Profile {
    let mut a = Analyzer::new(rate);
    a.push(frames);
    a.finish()
}

/// Number of excerpts read by [`fast_profile`].
pub const FAST_EXCERPTS: u64 = 10;
/// Length of each excerpt in seconds.
pub const FAST_EXCERPT_SECONDS: f64 = 3.0;

/// Where [`fast_profile`] reads for a track of `frames` frames at `rate`: `None` when the
/// track is short enough to be read whole (then the profile is `Full`).
pub fn fast_excerpts(frames: u64, rate: u32) -> Option<Vec<Range<u64>>> {
    let len = (FAST_EXCERPT_SECONDS * rate as f64) as u64;
    let count = FAST_EXCERPTS;
    if frames <= len * count {
        return None;
    }
    Some(
        (0..count)
            .map(|i| {
                let centre = (2 * i + 1) * frames / (2 * count);
                let start = centre.saturating_sub(len / 2).min(frames - len);
                start..start + len
            })
            .collect(),
    )
}

/// Sparse profile of a track of `frames` frames: reads [`FAST_EXCERPTS`] excerpts of
/// [`FAST_EXCERPT_SECONDS`] evenly spread over the track through `read` (never the whole
/// file; see [`fast_excerpts`]). Tracks shorter than about 30 s are read whole and get a
/// `Full` profile. Loudness figures come from the excerpts' block statistics (same gating as
/// BS.1770, gating blocks never span two excerpts).
pub fn fast_profile<E>(
    frames: u64,
    rate: u32,
    mut read: impl FnMut(Range<u64>) -> Result<Vec<[f32; 2]>, E>,
) -> Result<Profile, E> {
    let Some(excerpts) = fast_excerpts(frames, rate) else {
        let all = read(0..frames)?;
        let mut p = analyze(&all, rate);
        p.frames = frames;
        return Ok(p);
    };
    let mut energy = Vec::new();
    let mut peaks = Vec::new();
    let mut breaks = Vec::new();
    let mut spectrum = SpectrumMeter::new(rate.max(1));
    let (mut sum_sq, mut counted, mut sample_peak, mut true_peak) = (0.0, 0u64, 0.0f32, 0.0f32);
    for r in excerpts {
        let excerpt = read(r)?;
        let mut m = BlockMeter::new(rate, true);
        m.push(&excerpt);
        m.finish();
        if !energy.is_empty() {
            breaks.push(energy.len() as u32);
        }
        energy.extend_from_slice(&m.energy);
        peaks.extend_from_slice(&m.true_peak);
        sum_sq += m.sum_sq;
        counted += m.frames;
        sample_peak = sample_peak.max(m.sample_peak);
        true_peak = true_peak.max(m.true_peak_max).max(m.sample_peak);
        // Spectrum windows never span two excerpts.
        let mut sp = SpectrumMeter::new(rate.max(1));
        sp.push(&excerpt);
        spectrum.merge(&sp);
    }
    let integrated = gated_loudness(&energy, &breaks, &mut Vec::new());
    let lra = loudness_range_from_blocks(&energy, &breaks);
    let mut blocks = blocks_of(&energy, &peaks);
    blocks.breaks = breaks;
    Ok(Parts {
        rate,
        frames,
        kind: ProfileKind::Fast,
        integrated,
        lra,
        sample_peak: sample_peak as f64,
        true_peak: true_peak as f64,
        sum_sq,
        counted,
        spectrum: spectrum.spectrum(),
        blocks,
    }
    .into_profile())
}

/// Linear K-weighted energy of a block loudness value (0 at the floor).
pub fn block_energy(lufs: f32) -> f64 {
    if lufs <= BLOCK_FLOOR_DB {
        0.0
    } else {
        lufs_to_energy(lufs as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, secs: f64, freq: f64, dbfs: f64, phase: f64) -> Vec<[f32; 2]> {
        let a = 10f64.powf(dbfs / 20.0);
        (0..(rate as f64 * secs) as usize)
            .map(|i| {
                let s = (a
                    * (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64 + phase).sin())
                    as f32;
                [s, s]
            })
            .collect()
    }

    #[test]
    fn tech3341_case1() {
        let p = analyze(&sine(48000, 20.0, 1000.0, -23.0, 0.0), 48000);
        assert!(
            (p.integrated_lufs + 23.0).abs() < 0.1,
            "{}",
            p.integrated_lufs
        );
        assert!((p.sample_peak_dbfs + 23.0).abs() < 0.05);
        assert!(p.loudness_range_lu < 0.5);
        // Block statistics reproduce the integrated loudness.
        let e: Vec<f64> = p.blocks.loudness.iter().map(|&l| block_energy(l)).collect();
        let g = gated_loudness(&e, &p.blocks.breaks, &mut Vec::new());
        assert!((g - p.integrated_lufs).abs() < 0.05, "{g}");
    }

    #[test]
    fn sine_crest_factor() {
        let p = analyze(&sine(44100, 5.0, 997.0, -20.0, 0.3), 44100);
        assert!((p.crest_db - 3.01).abs() < 0.02, "{}", p.crest_db);
        assert!((p.rms_dbfs + 23.01).abs() < 0.02);
        // Energy sits in the 1 kHz band.
        let k = p
            .spectrum
            .centres_hz
            .iter()
            .position(|&f| f == 1000.0)
            .unwrap();
        assert!(
            (p.spectrum.band_db[k] as f64 - p.rms_dbfs).abs() < 0.2,
            "{:?}",
            p.spectrum
        );
    }

    #[test]
    fn inter_sample_peak() {
        // fs/4 at 45° phase: samples at ±0.707·A, the waveform peaks at A.
        let p = analyze(
            &sine(48000, 3.0, 12000.0, -6.0, std::f64::consts::FRAC_PI_4),
            48000,
        );
        let over = p.true_peak_dbtp - p.sample_peak_dbfs;
        assert!(
            (over - 3.01).abs() < 0.3,
            "tp {} sp {}",
            p.true_peak_dbtp,
            p.sample_peak_dbfs
        );
        assert!((p.true_peak_dbtp + 6.0).abs() < 0.3);
    }

    #[test]
    fn silence_is_finite_and_serialises() {
        for n in [0usize, 10, 48000 * 3] {
            let p = analyze(&vec![[0.0; 2]; n], 48000);
            assert_eq!(p.integrated_lufs, LOUDNESS_FLOOR_LUFS);
            assert_eq!(p.sample_peak_dbfs, PEAK_FLOOR_DB);
            assert_eq!(p.true_peak_dbtp, PEAK_FLOOR_DB);
            assert_eq!(p.crest_db, 0.0);
            assert!(p.spectrum.band_db.iter().all(|b| b.is_finite()));
            let json = serde_json::to_string(&p).unwrap();
            let back: Profile = serde_json::from_str(&json).unwrap();
            assert_eq!(back, p);
        }
    }

    #[test]
    fn streaming_equals_whole() {
        let x = sine(44100, 4.0, 440.0, -12.0, 0.0);
        let whole = analyze(&x, 44100);
        let mut a = Analyzer::new(44100);
        for c in x.chunks(1000) {
            a.push(c);
        }
        assert_eq!(a.finish(), whole);
    }

    #[test]
    fn white_noise_tilt_is_positive() {
        let mut s = 1u64;
        let x: Vec<[f32; 2]> = (0..44100 * 3)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let v = ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32 * 0.5;
                [v, v]
            })
            .collect();
        let p = analyze(&x, 44100);
        // White noise: +1 dB per octave per third-octave band.
        assert!(
            (p.spectrum.tilt_db_per_octave - 3.0).abs() < 0.5,
            "{}",
            p.spectrum.tilt_db_per_octave
        );
    }
}
