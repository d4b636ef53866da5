//! The four stages of the chain, in signal order. Each one takes its parameters from the
//! [`Plan`](crate::Plan) once and then only runs `process(&mut self, block)` in place.
//!
//! Not for: choosing parameters (see the plan), chunking (see `master_range`).

use auralis_analysis::{TruePeak, TRUE_PEAK_DELAY};

use crate::dsp::{biquad, Biquad, Coeffs};

pub type Block = [[f64; 2]];

/// EQ: subsonic high-pass, low shelf, high shelf.
#[derive(Clone, Debug)]
pub struct Eq {
    filters: [Biquad; 3],
}

impl Eq {
    pub fn new(coeffs: &[Coeffs; 3]) -> Eq {
        Eq {
            filters: coeffs.map(biquad),
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
    /// One-pole coefficient per sample of the detector's mean square.
    pub rms_coef: f64,
    /// One-pole coefficients of the gain smoothing per control step ([`CONTROL_PERIOD`]
    /// samples).
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

/// Samples per compressor control step: the gain computer (a log, a power and the smoothing)
/// runs at absolute sample positions that are multiples of this, and the applied gain ramps
/// linearly between steps. 16 samples (0.36 ms at 44.1 kHz) is far below the fastest attack
/// (15 ms). Steps sit on the absolute grid, so a chunk rendered alone takes the same steps
/// as the whole track.
pub const CONTROL_PERIOD: u64 = 16;

/// Feed-forward, stereo-linked compressor: K-weighted mean-square detector (every sample),
/// soft-knee gain computer and attack/release smoothing in dB (every [`CONTROL_PERIOD`]
/// samples), linear gain ramp in between.
#[derive(Clone, Debug)]
pub struct Compressor {
    p: CompressorParams,
    sidechain: [Biquad; 2],
    mean_square: f64,
    gain_db: f64,
    /// Applied linear gain, its per-sample step and its value at the next control point.
    gain: f64,
    step: f64,
    next: f64,
    /// Absolute position of the next sample.
    pos: u64,
}

impl Compressor {
    /// A compressor whose first sample is track sample `pos`.
    pub fn new(p: &CompressorParams, pos: u64) -> Compressor {
        Compressor {
            p: *p,
            sidechain: p.k_weighting.map(biquad),
            mean_square: 0.0,
            gain_db: 0.0,
            gain: 1.0,
            step: 0.0,
            next: 1.0,
            pos,
        }
    }

    pub fn process(&mut self, block: &mut Block) {
        let p = self.p;
        for x in block.iter_mut() {
            let [shelf, hp] = &mut self.sidechain;
            let k = hp.tick(shelf.tick(*x));
            let power = k[0] * k[0] + k[1] * k[1];
            self.mean_square = power + p.rms_coef * (self.mean_square - power);
            if self.pos.is_multiple_of(CONTROL_PERIOD) {
                let level = -0.691 + 10.0 * (self.mean_square + 1e-30).log10();
                let target = p.static_gain(level);
                let coef = if target < self.gain_db {
                    p.attack_coef
                } else {
                    p.release_coef
                };
                self.gain_db = target + coef * (self.gain_db - target);
                self.next = 10f64.powf(self.gain_db * 0.05);
                self.step = (self.next - self.gain) / CONTROL_PERIOD as f64;
            }
            self.pos += 1;
            self.gain += self.step;
            if self.pos.is_multiple_of(CONTROL_PERIOD) {
                // Land exactly on the control value: no drift from the summed steps.
                self.gain = self.next;
                self.step = 0.0;
            }
            x[0] *= self.gain;
            x[1] *= self.gain;
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

/// Largest block [`Limiter::process`] takes at once (the chain's block).
pub const LIMITER_BLOCK: usize = 64;

/// Lookahead brickwall limiter on a 4× oversampled true-peak estimate
/// ([`auralis_analysis::TruePeak`], the analysis's own estimator).
///
/// Per input sample `m`: required gain `ceiling / peak` over the neighbouring inter-sample
/// intervals → minimum over the next `lookahead` samples (hold) → release → moving average
/// over `lookahead + 1` samples. Every value in the average is ≤ the requirement of the sample
/// it is applied to, so the ceiling holds exactly, and the attack is a smooth ramp that is fully
/// down when the peak arrives. Output is delayed by [`Limiter::latency`] samples.
///
/// While nothing needs limiting and the gain has fully recovered (the usual case), a block
/// only passes through the delay line: the estimator skips its interpolation when a bound
/// shows no peak can reach the ceiling, and the gain bookkeeping is known to stay at exactly
/// 1. That path gives the same samples as the general one.
#[derive(Clone, Debug)]
pub struct Limiter {
    ceiling: f64,
    ceiling32: f32,
    lookahead: usize,
    release_coef: f64,
    tp: TruePeak,
    peaks: [f32; LIMITER_BLOCK],
    prev_peak: f32,
    /// Monotonic deque (index, gain) for the sliding minimum; ring of capacity `lookahead + 2`.
    dq: Vec<(u64, f64)>,
    dq_head: usize,
    dq_len: usize,
    release: f64,
    /// Ring of released gains for the moving average, its running sum, and how many of its
    /// entries are below 1 (at 0 the sum is reset to exactly the ring length).
    ring: Vec<f64>,
    ring_pos: usize,
    sum: f64,
    /// 1 / ring length (a multiply per sample instead of a division).
    inv_len: f64,
    below_one: usize,
    /// Audio delay line.
    delay: Vec<[f64; 2]>,
    delay_pos: usize,
    n: u64,
}

impl Limiter {
    pub fn new(ceiling_db: f64, lookahead: usize, release_coef: f64) -> Limiter {
        let lookahead = lookahead.max(1);
        let ceiling = 10f64.powf(ceiling_db / 20.0);
        Limiter {
            ceiling,
            ceiling32: ceiling as f32,
            lookahead,
            release_coef,
            tp: TruePeak::new(),
            peaks: [0.0; LIMITER_BLOCK],
            prev_peak: 0.0,
            dq: vec![(0, 1.0); lookahead + 2],
            dq_head: 0,
            dq_len: 0,
            release: 1.0,
            ring: vec![1.0; lookahead + 1],
            ring_pos: 0,
            sum: (lookahead + 1) as f64,
            inv_len: 1.0 / (lookahead + 1) as f64,
            below_one: 0,
            delay: vec![[0.0; 2]; TRUE_PEAK_DELAY + lookahead],
            delay_pos: 0,
            n: 0,
        }
    }

    /// Delay from input to output in samples.
    pub fn latency(&self) -> usize {
        TRUE_PEAK_DELAY + self.lookahead
    }

    /// At rest: gain exactly 1 and nothing pending in the hold or the average.
    fn idle(&self) -> bool {
        self.release == 1.0
            && self.below_one == 0
            && (self.dq_len == 0 || self.dq[self.dq_head].1 == 1.0)
    }

    /// Processes up to [`LIMITER_BLOCK`] frames in place (longer blocks are split).
    pub fn process(&mut self, block: &mut Block) {
        for part in block.chunks_mut(LIMITER_BLOCK) {
            let n = part.len();
            let top = self.tp.process(part, &mut self.peaks[..n], self.ceiling32);
            if top <= self.ceiling32 && self.idle() {
                self.pass(part);
            } else {
                let peaks = self.peaks;
                for (x, &p) in part.iter_mut().zip(&peaks[..n]) {
                    *x = self.tick(*x, p);
                }
            }
        }
    }

    /// The idle path: no requirement below 1 in this block, gain stays exactly 1.
    fn pass(&mut self, part: &mut Block) {
        let c = self.ceiling;
        let len = self.delay.len();
        for x in part.iter_mut() {
            let out = self.delay[self.delay_pos];
            self.delay[self.delay_pos] = *x;
            self.delay_pos += 1;
            if self.delay_pos == len {
                self.delay_pos = 0;
            }
            *x = [out[0].clamp(-c, c), out[1].clamp(-c, c)];
        }
        self.n += part.len() as u64;
        // What the general path leaves behind: one entry, the latest sample at gain 1.
        self.dq_head = 0;
        self.dq_len = 1;
        self.dq[0] = (self.n - 1, 1.0);
        self.ring_pos = (self.ring_pos + part.len()) % self.ring.len();
        self.prev_peak = self.peaks[part.len() - 1];
    }

    #[inline(always)]
    fn tick(&mut self, x: [f64; 2], peak: f32) -> [f64; 2] {
        // 1. Requirement of sample m = n - DELAY from its peak and the interval before it.
        let m = self.n;
        self.n += 1;
        let worst = peak.max(self.prev_peak);
        self.prev_peak = peak;
        let need = if worst > self.ceiling32 {
            self.ceiling / worst as f64
        } else {
            1.0
        };

        // 2. Hold: minimum of the requirements over the last lookahead + 1 samples.
        // (Ring indices wrap by comparison: a division per sample is measurably slow.)
        let cap = self.dq.len();
        let wrap = |i: usize| if i >= cap { i - cap } else { i };
        while self.dq_len > 0 && self.dq[wrap(self.dq_head + self.dq_len - 1)].1 >= need {
            self.dq_len -= 1;
        }
        self.dq[wrap(self.dq_head + self.dq_len)] = (m, need);
        self.dq_len += 1;
        while self.dq[self.dq_head].0 + (self.lookahead as u64) < m {
            self.dq_head = wrap(self.dq_head + 1);
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
        let old = self.ring[self.ring_pos];
        self.below_one = self.below_one + usize::from(self.release < 1.0) - usize::from(old < 1.0);
        self.ring[self.ring_pos] = self.release;
        self.ring_pos += 1;
        if self.ring_pos == self.ring.len() {
            self.ring_pos = 0;
        }
        self.sum = if self.below_one == 0 {
            self.ring.len() as f64
        } else {
            self.sum + self.release - old
        };
        // Exactly 1 at rest, as on the idle path.
        let gain = if self.below_one == 0 {
            1.0
        } else {
            (self.sum * self.inv_len).min(1.0)
        };

        // 5. Delay line: x[n - DELAY - lookahead] leaves now.
        let out = self.delay[self.delay_pos];
        self.delay[self.delay_pos] = x;
        self.delay_pos += 1;
        if self.delay_pos == self.delay.len() {
            self.delay_pos = 0;
        }
        let c = self.ceiling;
        [(out[0] * gain).clamp(-c, c), (out[1] * gain).clamp(-c, c)]
    }
}
