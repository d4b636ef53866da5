//! The four stages of the chain, in signal order. Each one takes its parameters from the
//! [`Plan`](crate::Plan) once and then only runs `process(&mut self, block)` in place.

use crate::dsp::{Biquad, Coeffs};

pub type Block = [[f64; 2]];

/// EQ: subsonic high-pass, low shelf, high shelf.
#[derive(Clone, Debug)]
pub struct Eq {
    filters: [Biquad; 3],
}

impl Eq {
    pub fn new(coeffs: &[Coeffs; 3]) -> Eq {
        Eq {
            filters: coeffs.map(Biquad::new),
        }
    }

    pub fn process(&mut self, block: &mut Block) {
        for x in block.iter_mut() {
            let [a, b, c] = &mut self.filters;
            *x = c.tick(b.tick(a.tick(*x)));
        }
    }
}

/// Compressor parameters (all derived by the plan).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorParams {
    pub k_weighting: [Coeffs; 2],
    /// K-weighted level (LUFS-like) where compression starts (knee centre).
    pub threshold: f64,
    pub ratio: f64,
    pub knee_db: f64,
    /// One-pole coefficients per sample: detector mean square, attack, release.
    pub rms_coef: f64,
    pub attack_coef: f64,
    pub release_coef: f64,
}

impl CompressorParams {
    /// Static gain (dB, ≤ 0) at a detector level (dB): soft knee.
    pub fn static_gain(&self, level: f64) -> f64 {
        let over = level - self.threshold;
        let slope = 1.0 / self.ratio - 1.0;
        let w = self.knee_db;
        if 2.0 * over <= -w {
            0.0
        } else if 2.0 * over < w {
            slope * (over + w / 2.0) * (over + w / 2.0) / (2.0 * w)
        } else {
            slope * over
        }
    }
}

/// Feed-forward, stereo-linked compressor: K-weighted mean-square detector, soft-knee gain
/// computer, attack/release smoothing of the gain in dB.
#[derive(Clone, Debug)]
pub struct Compressor {
    p: CompressorParams,
    sidechain: [Biquad; 2],
    mean_square: f64,
    gain_db: f64,
}

impl Compressor {
    pub fn new(p: &CompressorParams) -> Compressor {
        Compressor {
            p: *p,
            sidechain: p.k_weighting.map(Biquad::new),
            mean_square: 0.0,
            gain_db: 0.0,
        }
    }

    pub fn process(&mut self, block: &mut Block) {
        let p = self.p;
        for x in block.iter_mut() {
            let [shelf, hp] = &mut self.sidechain;
            let k = hp.tick(shelf.tick(*x));
            let power = k[0] * k[0] + k[1] * k[1];
            self.mean_square = power + p.rms_coef * (self.mean_square - power);
            let level = -0.691 + 10.0 * (self.mean_square + 1e-30).log10();
            let target = p.static_gain(level);
            let coef = if target < self.gain_db {
                p.attack_coef
            } else {
                p.release_coef
            };
            self.gain_db = target + coef * (self.gain_db - target);
            let g = 10f64.powf(self.gain_db * 0.05);
            x[0] *= g;
            x[1] *= g;
        }
    }
}

/// Constant gain that brings the track to the preset's loudness target.
#[derive(Clone, Debug)]
pub struct LoudnessGain {
    gain: f64,
}

impl LoudnessGain {
    pub fn new(gain_db: f64) -> LoudnessGain {
        LoudnessGain {
            gain: 10f64.powf(gain_db / 20.0),
        }
    }

    pub fn process(&mut self, block: &mut Block) {
        for x in block.iter_mut() {
            x[0] *= self.gain;
            x[1] *= self.gain;
        }
    }
}

/// Taps of the 4× true-peak interpolator (per phase).
const TAPS: usize = 16;
/// Delay of the interpolator: the interval after sample `n - HALF` is known at `n`.
const HALF: usize = TAPS / 2;

/// Windowed-sinc coefficients for phases 1/4, 2/4, 3/4 (lane 3 unused), tap-major.
fn interpolator() -> [[f64; 4]; TAPS] {
    let mut c = [[0.0; 4]; TAPS];
    for p in 0..3 {
        let phi = (p + 1) as f64 / 4.0;
        let mut sum = 0.0;
        for (j, row) in c.iter_mut().enumerate() {
            // Tap j holds x[m + j - (HALF - 1)]; distance from the interpolated point.
            let t = phi - (j as f64 - (HALF as f64 - 1.0));
            let sinc = if t == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
            };
            let w = (std::f64::consts::PI * t / (2.0 * HALF as f64))
                .cos()
                .powi(2);
            row[p] = sinc * w;
            sum += row[p];
        }
        for row in c.iter_mut() {
            row[p] /= sum;
        }
    }
    c
}

/// Lookahead brickwall limiter on a 4× oversampled true-peak estimate.
///
/// Per input sample `m`: required gain `ceiling / peak` over the neighbouring inter-sample
/// intervals → minimum over the next `lookahead` samples (hold) → release → moving average
/// over `lookahead + 1` samples. Every value in the average is ≤ the requirement of the sample
/// it is applied to, so the ceiling holds exactly, and the attack is a smooth ramp that is fully
/// down when the peak arrives. Output is delayed by [`Limiter::latency`] samples.
#[derive(Clone, Debug)]
pub struct Limiter {
    ceiling: f64,
    lookahead: usize,
    release_coef: f64,
    coefs: [[f64; 4]; TAPS],
    /// Interpolator history, stored twice so that a window is contiguous.
    hist: [[f64; 2 * TAPS]; 2],
    hpos: usize,
    prev_peak: f64,
    /// Monotonic deque (index, gain) for the sliding minimum; ring of capacity `lookahead + 2`.
    dq: Vec<(u64, f64)>,
    dq_head: usize,
    dq_len: usize,
    release: f64,
    /// Ring of released gains for the moving average, and its running sum.
    ring: Vec<f64>,
    ring_pos: usize,
    sum: f64,
    /// Audio delay line.
    delay: Vec<[f64; 2]>,
    delay_pos: usize,
    n: u64,
}

impl Limiter {
    pub fn new(ceiling_db: f64, lookahead: usize, release_coef: f64) -> Limiter {
        let lookahead = lookahead.max(1);
        Limiter {
            ceiling: 10f64.powf(ceiling_db / 20.0),
            lookahead,
            release_coef,
            coefs: interpolator(),
            hist: [[0.0; 2 * TAPS]; 2],
            hpos: 0,
            prev_peak: 0.0,
            dq: vec![(0, 1.0); lookahead + 2],
            dq_head: 0,
            dq_len: 0,
            release: 1.0,
            ring: vec![1.0; lookahead + 1],
            ring_pos: 0,
            sum: (lookahead + 1) as f64,
            delay: vec![[0.0; 2]; HALF + lookahead],
            delay_pos: 0,
            n: 0,
        }
    }

    /// Delay from input to output in samples.
    pub fn latency(&self) -> usize {
        HALF + self.lookahead
    }

    pub fn process(&mut self, block: &mut Block) {
        for x in block.iter_mut() {
            *x = self.tick(*x);
        }
    }

    #[inline(always)]
    fn tick(&mut self, x: [f64; 2]) -> [f64; 2] {
        // 1. True-peak estimate of sample m = n - HALF and the interval after it.
        let mut peak: f64 = 0.0;
        for (ch, h) in self.hist.iter_mut().enumerate() {
            h[self.hpos] = x[ch];
            h[self.hpos + TAPS] = x[ch];
            let win = &h[self.hpos + 1..self.hpos + 1 + TAPS];
            let mut acc = [0.0f64; 4];
            for (s, c) in win.iter().zip(&self.coefs) {
                for l in 0..4 {
                    acc[l] += s * c[l];
                }
            }
            let centre = win[HALF - 1].abs();
            peak = peak
                .max(centre)
                .max(acc[0].abs())
                .max(acc[1].abs())
                .max(acc[2].abs());
        }
        self.hpos = (self.hpos + 1) % TAPS;
        let m = self.n;
        self.n += 1;
        let worst = peak.max(self.prev_peak);
        self.prev_peak = peak;
        let need = if worst > self.ceiling {
            self.ceiling / worst
        } else {
            1.0
        };

        // 2. Hold: minimum of the requirements over the last lookahead + 1 samples.
        let cap = self.dq.len();
        while self.dq_len > 0 && self.dq[(self.dq_head + self.dq_len - 1) % cap].1 >= need {
            self.dq_len -= 1;
        }
        self.dq[(self.dq_head + self.dq_len) % cap] = (m, need);
        self.dq_len += 1;
        while self.dq[self.dq_head].0 + (self.lookahead as u64) < m {
            self.dq_head = (self.dq_head + 1) % cap;
            self.dq_len -= 1;
        }
        let held = self.dq[self.dq_head].1;

        // 3. Release: instant down, exponential up (never above the held value).
        self.release = if held < self.release {
            held
        } else {
            held + self.release_coef * (self.release - held)
        };

        // 4. Moving average over lookahead + 1 → gain of sample m - lookahead.
        self.sum += self.release - self.ring[self.ring_pos];
        self.ring[self.ring_pos] = self.release;
        self.ring_pos = (self.ring_pos + 1) % self.ring.len();
        let gain = (self.sum / self.ring.len() as f64).min(1.0);

        // 5. Delay line: x[n - HALF - lookahead] leaves now.
        let out = self.delay[self.delay_pos];
        self.delay[self.delay_pos] = x;
        self.delay_pos = (self.delay_pos + 1) % self.delay.len();
        let c = self.ceiling;
        [(out[0] * gain).clamp(-c, c), (out[1] * gain).clamp(-c, c)]
    }
}
