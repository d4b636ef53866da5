//! Track profile: loudness, true peak, spectral balance, crest factor.
//!
//! A [`Profile`] is computed once per track and drives every track-level decision of the
//! mastering chain (`auralis-master`). It holds the EBU R128 figures (integrated loudness,
//! loudness range, sample and true peak, via `ebur128`), the long-term third-octave spectrum
//! (via `realfft`), the crest factor, and the per-100 ms block statistics ([`Blocks`]) the
//! master plan uses to predict how its compressor and limiter change integrated loudness.
//!
//! Three ways in: [`analyze`] (whole track in memory), the streaming [`Analyzer`], and
//! [`fast_profile`] (a few short excerpts read through a closure, for a never-seen track).
//! Silence gives finite floors ([`LOUDNESS_FLOOR_LUFS`], [`PEAK_FLOOR_DB`]), never NaN/inf.
//!
//! Not for: processing audio, decoding files.

use ebur128::{EbuR128, Mode};
use realfft::{num_complex::Complex, RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::Arc;

/// Bumped whenever the meaning or computation of a profile field changes.
pub const PROFILE_VERSION: u32 = 1;
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
}

fn db_power(x: f64, floor: f64) -> f64 {
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

/// Third-octave band centres (nominal, 1 kHz · 2^(k/3)) from 25 Hz to 20 kHz below Nyquist.
fn band_centres(rate: u32) -> Vec<f32> {
    (-16..=13)
        .map(|k| 1000.0 * 2f64.powf(k as f64 / 3.0))
        .filter(|&f| f * 2f64.powf(1.0 / 6.0) <= rate as f64 / 2.0 || f < rate as f64 * 0.45)
        .map(|f| f as f32)
        .collect()
}

/// Accumulates a long-term power spectrum from non-overlapping Hann windows.
struct SpectrumMeter {
    rate: u32,
    fft: Arc<dyn RealToComplex<f64>>,
    window: Vec<f64>,
    buf: [Vec<f64>; 2],
    fill: usize,
    input: Vec<f64>,
    output: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
    windows: u64,
}

impl SpectrumMeter {
    fn new(rate: u32) -> Self {
        let n = if rate > 50_000 { 16384 } else { 8192 };
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
        let window = (0..n)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
            .collect();
        SpectrumMeter {
            rate,
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            power: vec![0.0; n / 2 + 1],
            fft,
            window,
            buf: [vec![0.0; n], vec![0.0; n]],
            fill: 0,
            windows: 0,
        }
    }

    fn push(&mut self, frames: &[[f32; 2]]) {
        let n = self.window.len();
        let mut rest = frames;
        while !rest.is_empty() {
            let take = (n - self.fill).min(rest.len());
            for (i, f) in rest[..take].iter().enumerate() {
                self.buf[0][self.fill + i] = f[0] as f64;
                self.buf[1][self.fill + i] = f[1] as f64;
            }
            self.fill += take;
            rest = &rest[take..];
            if self.fill == n {
                self.transform();
            }
        }
    }

    fn transform(&mut self) {
        for ch in 0..2 {
            for ((x, &s), &w) in self.input.iter_mut().zip(&self.buf[ch]).zip(&self.window) {
                *x = s * w;
            }
            // Lengths come from the plan itself, so this cannot fail.
            let _ =
                self.fft
                    .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
            for (p, c) in self.power.iter_mut().zip(&self.output) {
                *p += c.norm_sqr();
            }
        }
        self.windows += 1;
        self.fill = 0;
    }

    /// Zero-pads a pending partial window if no full window was seen (very short tracks).
    fn flush_partial(&mut self) {
        if self.windows == 0 && self.fill > 0 {
            for ch in 0..2 {
                self.buf[ch][self.fill..].fill(0.0);
            }
            self.transform();
        }
    }

    fn merge(&mut self, other: &SpectrumMeter) {
        for (p, q) in self.power.iter_mut().zip(&other.power) {
            *p += q;
        }
        self.windows += other.windows;
    }

    fn spectrum(&self) -> Spectrum {
        let n = self.window.len();
        let wsum2: f64 = self.window.iter().map(|w| w * w).sum();
        // One-sided Parseval, two channels averaged.
        let scale = if self.windows > 0 {
            2.0 / (n as f64 * wsum2 * self.windows as f64 * 2.0)
        } else {
            0.0
        };
        let bin_hz = self.rate as f64 / n as f64;
        let centres = band_centres(self.rate);
        let band_db: Vec<f32> = centres
            .iter()
            .map(|&fc| {
                let lo = ((fc as f64 * 2f64.powf(-1.0 / 6.0)) / bin_hz).ceil() as usize;
                let hi = ((fc as f64 * 2f64.powf(1.0 / 6.0)) / bin_hz).ceil() as usize;
                let hi = hi.min(self.power.len());
                let sum: f64 = self.power[lo.min(hi)..hi].iter().sum();
                db_power(sum * scale, BLOCK_FLOOR_DB as f64) as f32
            })
            .collect();
        // Tilt: least-squares slope over 50 Hz .. 16 kHz.
        let pts: Vec<(f64, f64)> = centres
            .iter()
            .zip(&band_db)
            .filter(|(&f, _)| (49.0..=16_500.0).contains(&f))
            .map(|(&f, &d)| ((f as f64 / 1000.0).log2(), d as f64))
            .collect();
        let tilt = if pts.len() >= 2 {
            let n = pts.len() as f64;
            let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
            let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
            let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
            if sxx > 0.0 {
                (sxy / sxx).clamp(-30.0, 30.0)
            } else {
                0.0
            }
        } else {
            0.0
        };
        Spectrum {
            centres_hz: centres,
            band_db,
            tilt_db_per_octave: tilt,
        }
    }
}

/// Streaming analyser: `push` blocks of frames in track order, then `finish`.
pub struct Analyzer {
    rate: u32,
    meter: Option<EbuR128>,
    block_len: usize,
    block: Vec<f32>,
    loudness: Vec<f32>,
    true_peak: Vec<f32>,
    sum_sq: f64,
    sample_peak: f64,
    true_peak_max: f64,
    frames: u64,
    spectrum: SpectrumMeter,
}

impl Analyzer {
    pub fn new(rate: u32) -> Self {
        Self::with_mode(
            rate,
            Mode::I | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK,
        )
    }

    fn with_mode(rate: u32, mode: Mode) -> Self {
        let meter = EbuR128::new(2, rate, mode).ok();
        let block_len = ((rate as usize * BLOCK_MS as usize) / 1000).max(1);
        Analyzer {
            rate,
            meter,
            block_len,
            block: Vec::with_capacity(block_len * 2),
            loudness: Vec::new(),
            true_peak: Vec::new(),
            sum_sq: 0.0,
            sample_peak: 0.0,
            true_peak_max: 0.0,
            frames: 0,
            spectrum: SpectrumMeter::new(rate.max(1)),
        }
    }

    /// Adds frames (in track order).
    pub fn push(&mut self, frames: &[[f32; 2]]) {
        self.frames += frames.len() as u64;
        for f in frames {
            for &s in f {
                let s = if s.is_finite() { s } else { 0.0 };
                self.sum_sq += (s as f64) * (s as f64);
                self.sample_peak = self.sample_peak.max(s.abs() as f64);
                self.block.push(s);
            }
            if self.block.len() == self.block_len * 2 {
                self.flush_block(true);
            }
        }
        self.spectrum.push(frames);
    }

    fn flush_block(&mut self, full: bool) {
        if let Some(m) = self.meter.as_mut() {
            if m.add_frames_f32(&self.block).is_ok() && full {
                let l = m.loudness_window(BLOCK_MS).unwrap_or(f64::NEG_INFINITY);
                let tp = (0..2)
                    .map(|c| m.prev_true_peak(c).unwrap_or(0.0))
                    .fold(0.0, f64::max);
                self.true_peak_max = self.true_peak_max.max(tp);
                self.loudness
                    .push((l.max(BLOCK_FLOOR_DB as f64) as f32).max(BLOCK_FLOOR_DB));
                self.true_peak
                    .push(db_amp(tp, BLOCK_FLOOR_DB as f64) as f32);
            }
        }
        self.block.clear();
    }

    /// Completes the analysis of everything pushed.
    pub fn finish(mut self) -> Profile {
        if !self.block.is_empty() {
            self.flush_block(false);
        }
        self.spectrum.flush_partial();
        let (integrated, lra, tp) = match &self.meter {
            Some(m) => (
                m.loudness_global().unwrap_or(f64::NEG_INFINITY),
                m.loudness_range().unwrap_or(0.0),
                (0..2)
                    .map(|c| m.true_peak(c).unwrap_or(0.0))
                    .fold(0.0, f64::max),
            ),
            None => (f64::NEG_INFINITY, 0.0, 0.0),
        };
        let integrated = if integrated.is_finite() {
            integrated.max(LOUDNESS_FLOOR_LUFS)
        } else {
            LOUDNESS_FLOOR_LUFS
        };
        let lra = if lra.is_finite() { lra.max(0.0) } else { 0.0 };
        let tp = tp.max(self.true_peak_max).max(self.sample_peak);
        let parts = Parts {
            rate: self.rate,
            frames: self.frames,
            kind: ProfileKind::Full,
            integrated,
            lra,
            sample_peak: self.sample_peak,
            true_peak: tp,
            sum_sq: self.sum_sq,
            counted: self.frames,
            spectrum: self.spectrum.spectrum(),
            blocks: Blocks {
                loudness: self.loudness,
                true_peak: self.true_peak,
                breaks: Vec::new(),
            },
        };
        parts.into_profile()
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

/// Sparse profile of a track of `frames` frames: reads [`FAST_EXCERPTS`] excerpts of
/// [`FAST_EXCERPT_SECONDS`] evenly spread over the track through `read` (never the whole
/// file). Tracks shorter than about 30 s are read whole and get a `Full` profile.
/// Loudness figures come from the excerpts' block statistics (same gating as BS.1770).
pub fn fast_profile<E>(
    frames: u64,
    rate: u32,
    mut read: impl FnMut(Range<u64>) -> Result<Vec<[f32; 2]>, E>,
) -> Result<Profile, E> {
    let len = (FAST_EXCERPT_SECONDS * rate as f64) as u64;
    if frames <= len * FAST_EXCERPTS {
        let all = read(0..frames)?;
        let mut p = analyze(&all, rate);
        p.frames = frames;
        return Ok(p);
    }
    // Sample peak, true peak and blocks only: the global figures come from the blocks.
    let mut blocks = Blocks {
        loudness: Vec::new(),
        true_peak: Vec::new(),
        breaks: Vec::new(),
    };
    let mut spectrum = SpectrumMeter::new(rate.max(1));
    let (mut sum_sq, mut counted, mut sample_peak, mut true_peak) = (0.0, 0u64, 0.0f64, 0.0f64);
    for i in 0..FAST_EXCERPTS {
        let centre = (2 * i + 1) * frames / (2 * FAST_EXCERPTS);
        let start = centre.saturating_sub(len / 2).min(frames - len);
        let excerpt = read(start..start + len)?;
        let mut a = Analyzer::with_mode(rate, Mode::M | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK);
        a.push(&excerpt);
        if !blocks.loudness.is_empty() {
            blocks.breaks.push(blocks.loudness.len() as u32);
        }
        blocks.loudness.extend_from_slice(&a.loudness);
        blocks.true_peak.extend_from_slice(&a.true_peak);
        sum_sq += a.sum_sq;
        counted += a.frames;
        sample_peak = sample_peak.max(a.sample_peak);
        true_peak = true_peak.max(a.true_peak_max).max(a.sample_peak);
        spectrum.merge(&a.spectrum);
    }
    let energy: Vec<f64> = blocks.loudness.iter().map(|&l| block_energy(l)).collect();
    let integrated = gated_loudness(&energy, &blocks.breaks, &mut Vec::new());
    let lra = loudness_range_from_blocks(&energy, &blocks.breaks);
    Ok(Parts {
        rate,
        frames,
        kind: ProfileKind::Fast,
        integrated,
        lra,
        sample_peak,
        true_peak,
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
