//! Long-term spectral balance: a third-octave power spectrum averaged over the whole track
//! (non-overlapping Hann windows, `realfft`), and its tilt.
//!
//! Not for: loudness (see [`crate::meter`]), short-term spectra.

use std::sync::Arc;

use realfft::{num_complex::Complex, RealFftPlanner, RealToComplex};

use crate::{db_power, Spectrum, BLOCK_FLOOR_DB};

/// Third-octave band centres (nominal, 1 kHz · 2^(k/3)) from 25 Hz to 20 kHz below Nyquist.
fn band_centres(rate: u32) -> Vec<f32> {
    (-16..=13)
        .map(|k| 1000.0 * 2f64.powf(k as f64 / 3.0))
        .filter(|&f| f * 2f64.powf(1.0 / 6.0) <= rate as f64 / 2.0 || f < rate as f64 * 0.45)
        .map(|f| f as f32)
        .collect()
}

/// Accumulates a long-term power spectrum from non-overlapping Hann windows.
pub(crate) struct SpectrumMeter {
    rate: u32,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    buf: [Vec<f32>; 2],
    fill: usize,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f64>,
    windows: u64,
}

impl SpectrumMeter {
    pub(crate) fn new(rate: u32) -> Self {
        let n = if rate > 50_000 { 16384 } else { 8192 };
        // f32 is plenty for a long-term average and twice as fast as f64.
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let window = (0..n)
            .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32)
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

    pub(crate) fn push(&mut self, frames: &[[f32; 2]]) {
        let n = self.window.len();
        let mut rest = frames;
        while !rest.is_empty() {
            let take = (n - self.fill).min(rest.len());
            for (i, f) in rest[..take].iter().enumerate() {
                self.buf[0][self.fill + i] = f[0];
                self.buf[1][self.fill + i] = f[1];
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
                *p += c.norm_sqr() as f64;
            }
        }
        self.windows += 1;
        self.fill = 0;
    }

    /// Zero-pads a pending partial window if no full window was seen (very short tracks).
    pub(crate) fn flush_partial(&mut self) {
        if self.windows == 0 && self.fill > 0 {
            for ch in 0..2 {
                self.buf[ch][self.fill..].fill(0.0);
            }
            self.transform();
        }
    }

    pub(crate) fn merge(&mut self, other: &SpectrumMeter) {
        for (p, q) in self.power.iter_mut().zip(&other.power) {
            *p += q;
        }
        self.windows += other.windows;
    }

    pub(crate) fn spectrum(&self) -> Spectrum {
        let n = self.window.len();
        let wsum2: f64 = self.window.iter().map(|&w| w as f64 * w as f64).sum();
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
