//! The building blocks of every level measurement in Auralis: the BS.1770 K-weighting filter,
//! a 4× oversampled true-peak estimator, and [`BlockMeter`], which turns a stream of frames
//! into per-100 ms K-weighted block energies and true peaks (the raw material of integrated
//! loudness, loudness range and the master plan's loudness model).
//!
//! The same [`TruePeak`] estimator drives the mastering chain's limiter, so the limiter and
//! the analysis agree on what a peak is. It skips the interpolation wherever a cheap bound
//! shows the result cannot matter (below the caller's threshold), which keeps it exact and
//! makes it nearly free on everything but the loudest passages.
//!
//! Not for: gating and loudness range (see the crate root), spectra, processing audio.

/// Samples between an input frame and the true peak it completes (see [`TruePeak`]).
pub const TRUE_PEAK_DELAY: usize = HALF;

/// Taps of the interpolator per phase.
const TAPS: usize = 12;
/// The window of sample `m` runs from `m - (HALF - 1)` to `m + HALF`.
const HALF: usize = TAPS / 2;
/// Samples carried from one call to the next.
const CARRY: usize = TAPS - 1;
/// Frames per bound check (and per internal buffer fill).
const SUB: usize = 64;

/// Normalised biquad coefficients `[b0, b1, b2, a1, a2]` (a0 = 1).
pub type BiquadCoeffs = [f64; 5];

/// The two stages of the BS.1770 K-weighting filter at `rate` (libebur128's design): a high
/// shelf (+4 dB above ~1.7 kHz) and a high-pass (~38 Hz, the "RLB" curve).
pub fn k_weighting(rate: u32) -> [BiquadCoeffs; 2] {
    use std::f64::consts::PI;
    let rate = rate.max(1) as f64;
    let f0 = 1681.974450955533;
    let g = 3.999843853973347;
    let q = 0.7071752369554196;
    let k = (PI * f0 / rate).tan();
    let vh = 10f64.powf(g / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let a0 = 1.0 + k / q + k * k;
    let shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ];
    let f0 = 38.13547087602444;
    let q = 0.5003270373238773;
    let k = (PI * f0 / rate).tan();
    let a0 = 1.0 + k / q + k * k;
    // The numerator is [1, -2, 1] as in BS.1770's table (and libebur128), not divided by a0:
    // that is +0.047 dB at 44.1 kHz, and it is what every meter measures.
    let hp = [
        1.0,
        -2.0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ];
    [shelf, hp]
}

/// A biquad on both channels of a stereo stream at once, f64, direct form I (its feedback
/// path is one multiply and one subtraction long, which bounds how fast a cascade can run).
/// On x86-64 the two channels are the two lanes of an SSE register; elsewhere the same
/// operations run in the same order, so every platform computes the same values.
#[derive(Clone, Copy, Debug)]
pub struct StereoBiquad {
    c: BiquadCoeffs,
    x1: [f64; 2],
    x2: [f64; 2],
    y1: [f64; 2],
    y2: [f64; 2],
}

impl StereoBiquad {
    pub fn new(c: BiquadCoeffs) -> StereoBiquad {
        StereoBiquad {
            c,
            x1: [0.0; 2],
            x2: [0.0; 2],
            y1: [0.0; 2],
            y2: [0.0; 2],
        }
    }

    /// `y = b0·x + b1·x[n-1] + b2·x[n-2] - a2·y[n-2] - a1·y[n-1]`, in that order.
    #[inline(always)]
    pub fn tick(&mut self, x: [f64; 2]) -> [f64; 2] {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of the x86-64 baseline; only registers and our own arrays.
        let y = unsafe {
            use std::arch::x86_64::*;
            let ld = |v: &[f64; 2]| _mm_loadu_pd(v.as_ptr());
            let c = &self.c;
            let xv = ld(&x);
            let mut acc = _mm_mul_pd(_mm_set1_pd(c[0]), xv);
            acc = _mm_add_pd(acc, _mm_mul_pd(_mm_set1_pd(c[1]), ld(&self.x1)));
            acc = _mm_add_pd(acc, _mm_mul_pd(_mm_set1_pd(c[2]), ld(&self.x2)));
            acc = _mm_sub_pd(acc, _mm_mul_pd(_mm_set1_pd(c[4]), ld(&self.y2)));
            let y = _mm_sub_pd(acc, _mm_mul_pd(_mm_set1_pd(c[3]), ld(&self.y1)));
            let mut out = [0.0f64; 2];
            _mm_storeu_pd(out.as_mut_ptr(), y);
            out
        };
        #[cfg(not(target_arch = "x86_64"))]
        let y = self.tick_scalar(x);
        self.x2 = self.x1;
        self.x1 = x;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }

    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn tick_scalar(&self, x: [f64; 2]) -> [f64; 2] {
        let c = &self.c;
        let mut y = [0.0; 2];
        for ch in 0..2 {
            let mut acc = c[0] * x[ch];
            acc += c[1] * self.x1[ch];
            acc += c[2] * self.x2[ch];
            acc -= c[4] * self.y2[ch];
            y[ch] = acc - c[3] * self.y1[ch];
        }
        y
    }
}

/// Stereo K-weighting filter (the two stages of [`k_weighting`] in cascade).
#[derive(Clone, Debug)]
pub struct KWeighting {
    f: [StereoBiquad; 2],
}

impl KWeighting {
    pub fn new(rate: u32) -> KWeighting {
        KWeighting {
            f: k_weighting(rate).map(StereoBiquad::new),
        }
    }

    /// Filters one frame; returns the K-weighted power `l² + r²`.
    #[inline(always)]
    pub fn power(&mut self, x: [f64; 2]) -> f64 {
        let [a, b] = &mut self.f;
        let y = b.tick(a.tick(x));
        y[0] * y[0] + y[1] * y[1]
    }
}

/// Windowed-sinc (cos² window) coefficients, phase-major: `[p][j]` interpolates at
/// `m + (p + 1)/4` from tap `j`, which holds `x[m + j - (HALF - 1)]`.
fn interpolator() -> [[f32; TAPS]; 3] {
    use std::f64::consts::PI;
    let mut c = [[0.0f64; TAPS]; 3];
    for (p, row) in c.iter_mut().enumerate() {
        let phi = (p + 1) as f64 / 4.0;
        for (j, v) in row.iter_mut().enumerate() {
            let t = phi - (j as f64 - (HALF as f64 - 1.0));
            let sinc = if t == 0.0 {
                1.0
            } else {
                (PI * t).sin() / (PI * t)
            };
            let w = (PI * t / (2.0 * HALF as f64)).cos().powi(2);
            *v = sinc * w;
        }
        let sum: f64 = row.iter().sum();
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
    c.map(|row| row.map(|v| v as f32))
}

/// Buffer length per channel: history, a full sub-block, and room for 4-wide loads.
const BUF: usize = CARRY + SUB + 4;

/// 4× oversampled true-peak estimator over stereo frames.
///
/// For every input frame `n` it yields the peak of sample `m = n - TRUE_PEAK_DELAY`: the larger
/// (over both channels) of `|x[m]|` and the three interpolated points between `m` and `m + 1`
/// (12-tap windowed sinc per phase, f32: as many taps as libebur128's interpolator). Where
/// `S · max|x|` over the windows of a group of outputs (`S` = the interpolator's largest
/// absolute coefficient sum) is at most the caller's `floor`, no point in it can exceed
/// `floor`, so the interpolation is skipped and 0 is reported: exact for any use that only
/// needs peaks above `floor` (the limiter: above its ceiling; the meter: above the running
/// maximum). Eight (AVX) or four (SSE) outputs are computed at once, with the same arithmetic
/// in the same order as the scalar code, so every machine gets the same values.
#[derive(Clone, Debug)]
pub struct TruePeak {
    coefs: [[f32; TAPS]; 3],
    bound: f32,
    /// Per channel: `CARRY` samples of history followed by up to `SUB` new ones.
    buf: [[f32; BUF]; 2],
    /// Per position: the larger |sample| of the two channels (for the skip bound).
    amax: [f32; BUF],
    /// AVX is available: eight outputs at once (same arithmetic, same results).
    avx: bool,
}

impl Default for TruePeak {
    fn default() -> Self {
        Self::new()
    }
}

/// The largest of `a[i..i + 4 * LOADS]` (four lanes at a time).
#[inline(always)]
fn span_max<const LOADS: usize>(a: &[f32; BUF], i: usize) -> f32 {
    let mut m = [0.0f32; 4];
    for l in 0..LOADS {
        let c = &a[i + 4 * l..i + 4 * l + 4];
        for k in 0..4 {
            m[k] = fmax(m[k], c[k]);
        }
    }
    fmax(fmax(m[0], m[1]), fmax(m[2], m[3]))
}

/// `a.max(b)` for finite values without the NaN handling of `f32::max`.
#[inline(always)]
fn fmax(a: f32, b: f32) -> f32 {
    if b > a {
        b
    } else {
        a
    }
}

impl TruePeak {
    pub fn new() -> TruePeak {
        let coefs = interpolator();
        let bound = coefs
            .iter()
            .map(|r| r.iter().map(|c| c.abs()).sum::<f32>())
            .fold(1.0f32, fmax);
        TruePeak {
            coefs,
            // A hair above the exact sum: f32 rounding in the dot products can never beat it.
            bound: bound * (1.0 + 1e-5),
            buf: [[0.0; BUF]; 2],
            amax: [0.0; BUF],
            #[cfg(target_arch = "x86_64")]
            avx: std::arch::is_x86_feature_detected!("avx"),
            #[cfg(not(target_arch = "x86_64"))]
            avx: false,
        }
    }

    /// Peaks (see the type docs) for each of `input`'s frames into `out` (same length, at
    /// most 64 frames); 0 where nothing can exceed `floor`. Non-finite input counts as 0.
    /// Returns the largest value written.
    pub fn process(&mut self, input: &[[f64; 2]], out: &mut [f32], floor: f32) -> f32 {
        let n = input.len().min(out.len()).min(SUB);
        let [bl, br] = &mut self.buf;
        for ((x, l), r) in input[..n]
            .iter()
            .zip(&mut bl[CARRY..CARRY + n])
            .zip(&mut br[CARRY..CARRY + n])
        {
            *l = x[0] as f32;
            *r = x[1] as f32;
        }
        // Loops over the whole sub-block (fixed length, so they vectorise); entries past `n`
        // hold earlier, already clean values. `v * 0` is 0 for finite values, NaN otherwise.
        let mut bad = 0.0f32;
        for k in CARRY..CARRY + SUB {
            bad += self.buf[0][k] * 0.0 + self.buf[1][k] * 0.0;
        }
        if bad.is_nan() {
            for ch in 0..2 {
                for v in &mut self.buf[ch][CARRY..CARRY + n] {
                    if !v.is_finite() {
                        *v = 0.0;
                    }
                }
            }
        }
        for k in CARRY..CARRY + SUB {
            self.amax[k] = fmax(self.buf[0][k].abs(), self.buf[1][k].abs());
        }
        let mut top = 0.0f32;
        if self.avx {
            for i in (0..n).step_by(8) {
                // Skip a group whose windows (20 samples from i) cannot exceed the floor.
                if span_max::<5>(&self.amax, i) * self.bound <= floor {
                    out[i..n.min(i + 8)].fill(0.0);
                    continue;
                }
                // SAFETY: AVX was detected at construction.
                #[cfg(target_arch = "x86_64")]
                let m = unsafe { self.group8_avx(i) };
                #[cfg(not(target_arch = "x86_64"))]
                let m = [0.0f32; 8];
                for (k, &v) in m.iter().enumerate().take(n - i) {
                    out[i + k] = v;
                    top = fmax(top, v);
                }
            }
        } else {
            for i in (0..n).step_by(4) {
                if span_max::<4>(&self.amax, i) * self.bound <= floor {
                    out[i..n.min(i + 4)].fill(0.0);
                    continue;
                }
                let m = self.group(i);
                for (k, &v) in m.iter().enumerate().take(n - i) {
                    out[i + k] = v;
                    top = fmax(top, v);
                }
            }
        }
        for ch in 0..2 {
            self.buf[ch].copy_within(n..n + CARRY, 0);
        }
        self.amax.copy_within(n..n + CARRY, 0);
        top
    }

    /// Peaks of outputs `i..i + 4` (lanes past the new samples are garbage, ignored).
    #[inline(always)]
    fn group(&self, i: usize) -> [f32; 4] {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: SSE2 is part of the x86-64 baseline; every load reads `buf[ch][i + j ..
            // i + j + 4]` with `i + 3 < SUB` and `j < TAPS`, inside `BUF`.
            unsafe { self.group_sse(i) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self.group_scalar(i)
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn group_sse(&self, i: usize) -> [f32; 4] {
        use std::arch::x86_64::*;
        let sign = _mm_set1_ps(-0.0);
        let mut peak = _mm_setzero_ps();
        for ch in 0..2 {
            let b = self.buf[ch].as_ptr().add(i);
            let mut y = [_mm_setzero_ps(); 3];
            for j in 0..TAPS {
                let x = _mm_loadu_ps(b.add(j));
                for (p, yp) in y.iter_mut().enumerate() {
                    *yp = _mm_add_ps(*yp, _mm_mul_ps(x, _mm_set1_ps(self.coefs[p][j])));
                }
            }
            let centre = _mm_andnot_ps(sign, _mm_loadu_ps(b.add(HALF - 1)));
            peak = _mm_max_ps(peak, centre);
            for yp in y {
                peak = _mm_max_ps(peak, _mm_andnot_ps(sign, yp));
            }
        }
        let mut out = [0.0f32; 4];
        _mm_storeu_ps(out.as_mut_ptr(), peak);
        out
    }

    /// [`TruePeak::group`] for outputs `i..i + 8` with AVX (no FMA: the same products and
    /// sums as the SSE path, lane by lane).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    unsafe fn group8_avx(&self, i: usize) -> [f32; 8] {
        use std::arch::x86_64::*;
        let sign = _mm256_set1_ps(-0.0);
        let mut peak = _mm256_setzero_ps();
        for ch in 0..2 {
            // i + 7 + TAPS - 1 < BUF: i <= SUB - 8.
            let b = self.buf[ch].as_ptr().add(i);
            let mut y = [_mm256_setzero_ps(); 3];
            for j in 0..TAPS {
                let x = _mm256_loadu_ps(b.add(j));
                for (p, yp) in y.iter_mut().enumerate() {
                    *yp = _mm256_add_ps(*yp, _mm256_mul_ps(x, _mm256_set1_ps(self.coefs[p][j])));
                }
            }
            let centre = _mm256_andnot_ps(sign, _mm256_loadu_ps(b.add(HALF - 1)));
            peak = _mm256_max_ps(peak, centre);
            for yp in y {
                peak = _mm256_max_ps(peak, _mm256_andnot_ps(sign, yp));
            }
        }
        let mut out = [0.0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), peak);
        out
    }

    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn group_scalar(&self, i: usize) -> [f32; 4] {
        let mut peak = [0.0f32; 4];
        for ch in 0..2 {
            for (k, pk) in peak.iter_mut().enumerate() {
                let w = &self.buf[ch][i + k..i + k + TAPS];
                *pk = fmax(*pk, w[HALF - 1].abs());
                for row in &self.coefs {
                    let mut y = 0.0f32;
                    for (x, c) in w.iter().zip(row) {
                        y += x * c;
                    }
                    *pk = fmax(*pk, y.abs());
                }
            }
        }
        peak
    }
}

/// Per-100 ms block statistics of a stream: K-weighted energy (BS.1770, channels summed), true
/// peak and sample peak, plus the running totals the profile needs.
#[derive(Clone, Debug)]
pub struct BlockMeter {
    kw: KWeighting,
    tp: Option<TruePeak>,
    /// Only the stream's largest true peak is wanted (not each block's).
    global_only: bool,
    block_len: usize,
    fill: usize,
    acc: f64,
    /// Finished blocks' mean K-weighted energy (`l² + r²` after K-weighting).
    pub energy: Vec<f64>,
    /// True peak (linear) of each block; after [`BlockMeter::finish`] exactly one per entry of
    /// `energy`. Empty without true peak.
    pub true_peak: Vec<f32>,
    pub sample_peak: f32,
    /// Largest true peak of the whole stream (partial last block included).
    pub true_peak_max: f32,
    /// Sum of squares of all samples (both channels).
    pub sum_sq: f64,
    pub frames: u64,
    scratch: [[f64; 2]; SUB],
    tp_out: [f32; SUB],
}

impl BlockMeter {
    /// A meter at `rate`; `true_peak` enables the true-peak estimate per block.
    pub fn new(rate: u32, true_peak: bool) -> BlockMeter {
        BlockMeter {
            kw: KWeighting::new(rate),
            tp: true_peak.then(TruePeak::new),
            global_only: false,
            block_len: (rate as usize).div_ceil(10).max(1),
            fill: 0,
            acc: 0.0,
            energy: Vec::new(),
            true_peak: Vec::new(),
            sample_peak: 0.0,
            true_peak_max: 0.0,
            sum_sq: 0.0,
            frames: 0,
            scratch: [[0.0; 2]; SUB],
            tp_out: [0.0; SUB],
        }
    }

    /// A meter whose true peak is only the stream's maximum ([`BlockMeter::true_peak_max`];
    /// `true_peak` stays empty): most of the estimate is then skipped once the maximum is
    /// high, which makes it nearly free on a mastered output.
    pub fn global_peak(rate: u32) -> BlockMeter {
        BlockMeter {
            global_only: true,
            ..BlockMeter::new(rate, true)
        }
    }

    /// Frames per block.
    pub fn block_len(&self) -> usize {
        self.block_len
    }

    /// Adds frames in stream order (non-finite samples count as 0).
    pub fn push(&mut self, frames: &[[f32; 2]]) {
        for part in frames.chunks(SUB) {
            let n = part.len();
            for (s, f) in self.scratch.iter_mut().zip(part) {
                let l = if f[0].is_finite() { f[0] } else { 0.0 };
                let r = if f[1].is_finite() { f[1] } else { 0.0 };
                *s = [l as f64, r as f64];
            }
            if self.tp.is_some() {
                self.true_peaks(n);
            }
            // Locals, so the filter state stays in registers across the loop.
            let mut kw = self.kw.clone();
            let (mut acc, mut fill, mut sum_sq, mut peak) =
                (self.acc, self.fill, self.sum_sq, self.sample_peak);
            for x in &self.scratch[..n] {
                sum_sq += x[0] * x[0] + x[1] * x[1];
                peak = fmax(fmax(peak, x[0].abs() as f32), x[1].abs() as f32);
                acc += kw.power(*x);
                fill += 1;
                if fill == self.block_len {
                    self.energy.push(acc / self.block_len as f64);
                    acc = 0.0;
                    fill = 0;
                }
            }
            self.kw = kw;
            (self.acc, self.fill, self.sum_sq, self.sample_peak) = (acc, fill, sum_sq, peak);
            self.frames += n as u64;
        }
    }

    /// True peaks for the `n` frames in `scratch`: they complete the peaks of positions
    /// `frames - DELAY ..` (the first DELAY outputs of the stream belong to no sample).
    fn true_peaks(&mut self, n: usize) {
        let first = self.frames as i64 - TRUE_PEAK_DELAY as i64;
        let last = first + n as i64 - 1;
        // Only values above what the blocks concerned already hold can change anything.
        let block_max = |p: i64| -> f32 {
            if p < 0 {
                return 0.0;
            }
            let b = (p as u64 / self.block_len as u64) as usize;
            self.true_peak.get(b).copied().unwrap_or(0.0)
        };
        let floor = if self.global_only {
            self.true_peak_max
        } else {
            block_max(first.max(0)).min(block_max(last))
        };
        let Some(tp) = self.tp.as_mut() else {
            return;
        };
        let top = tp.process(&self.scratch[..n], &mut self.tp_out[..n], floor);
        if self.global_only {
            self.true_peak_max = fmax(self.true_peak_max, top);
            return;
        }
        // Outputs belong to at most two blocks: attribute each block's maximum once.
        let bl = self.block_len as i64;
        let mut i = 0usize;
        while i < n {
            let pos = first + i as i64;
            if pos < 0 {
                i += 1;
                continue;
            }
            let block_end = (pos / bl + 1) * bl;
            let end = ((block_end - first) as usize).min(n);
            let m = self.tp_out[i..end].iter().fold(0.0f32, |a, &v| fmax(a, v));
            self.attribute(pos as u64, m);
            i = end;
        }
    }

    fn attribute(&mut self, pos: u64, peak: f32) {
        let b = (pos / self.block_len as u64) as usize;
        if b >= self.true_peak.len() {
            self.true_peak.resize(b + 1, 0.0);
        }
        self.true_peak[b] = fmax(self.true_peak[b], peak);
        self.true_peak_max = fmax(self.true_peak_max, peak);
    }

    /// Completes the measurement: flushes the true-peak estimator's last `DELAY` samples (as if
    /// the stream went on in silence). The partial last block does not count (BS.1770).
    pub fn finish(&mut self) {
        if let Some(mut tp) = self.tp.take() {
            let zeros = [[0.0f64; 2]; TRUE_PEAK_DELAY];
            let mut out = [0.0f32; TRUE_PEAK_DELAY];
            tp.process(&zeros, &mut out, 0.0);
            let first = self.frames as i64 - TRUE_PEAK_DELAY as i64;
            for (i, &p) in out.iter().enumerate() {
                let pos = first + i as i64;
                if pos >= 0 && !self.global_only {
                    self.attribute(pos as u64, p);
                }
                if pos >= 0 {
                    self.true_peak_max = fmax(self.true_peak_max, p);
                }
            }
            if !self.global_only {
                self.true_peak.resize(self.energy.len(), 0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain (never skipping) estimate, for comparison.
    fn reference(x: &[[f64; 2]]) -> Vec<f32> {
        let mut tp = TruePeak::new();
        let mut out = vec![0.0; x.len()];
        for (i, o) in x.chunks(SUB).zip(out.chunks_mut(SUB)) {
            tp.process(i, o, -1.0);
        }
        out
    }

    #[test]
    fn biquad_paths_agree() {
        let mut f = StereoBiquad::new(k_weighting(44_100)[0]);
        for i in 0..1000 {
            let x = [(i as f64 * 0.37).sin(), (i as f64 * 0.011).cos() * 0.3];
            let want = f.tick_scalar(x);
            assert_eq!(f.tick(x), want, "sample {i}");
        }
    }

    #[test]
    fn vector_and_scalar_paths_agree() {
        let mut tp = TruePeak::new();
        let x: Vec<[f64; 2]> = (0..64)
            .map(|i| [(i as f64 * 0.7).sin() * 0.8, (i as f64 * 1.9).cos() * 0.6])
            .collect();
        let mut out = [0.0f32; 64];
        tp.process(&x, &mut out, -1.0);
        let y: Vec<[f64; 2]> = x.iter().map(|f| [f[1], -f[0]]).collect();
        // Fill the buffer again without consuming it, then compare groups.
        for ch in 0..2 {
            for (k, f) in y.iter().enumerate() {
                tp.buf[ch][CARRY + k] = f[ch] as f32;
            }
        }
        for i in (0..64).step_by(4) {
            assert_eq!(tp.group(i), tp.group_scalar(i), "group {i}");
        }
        #[cfg(target_arch = "x86_64")]
        if tp.avx {
            for i in (0..64).step_by(8) {
                // SAFETY: AVX detected.
                let wide = unsafe { tp.group8_avx(i) };
                assert_eq!(wide[..4], tp.group(i), "avx group {i}");
                assert_eq!(wide[4..], tp.group(i + 4), "avx group {}", i + 4);
            }
        }
    }

    #[test]
    fn skipping_is_exact_above_the_floor() {
        let mut s = 7u64;
        let x: Vec<[f64; 2]> = (0..20_000)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let n = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let env = if (i / 3000) % 2 == 0 { 0.05 } else { 0.9 };
                [env * n, env * (0.3 * n + 0.5 * (i as f64 * 0.3).sin())]
            })
            .collect();
        let full = reference(&x);
        let floor = 0.4f32;
        let mut tp = TruePeak::new();
        let mut out = vec![0.0; x.len()];
        for (i, o) in x.chunks(37).zip(out.chunks_mut(37)) {
            tp.process(i, o, floor);
        }
        let mut skipped = 0;
        for (a, b) in full.iter().zip(&out) {
            if *a > floor {
                assert_eq!(a, b);
            } else {
                assert!(*b == 0.0 || b == a);
                skipped += usize::from(*b == 0.0);
            }
        }
        assert!(skipped > 5000, "{skipped}");
    }

    #[test]
    fn meter_blocks_match_a_direct_computation() {
        let rate = 8000;
        let x: Vec<[f32; 2]> = (0..rate * 3 + 123)
            .map(|i| {
                let t = i as f32 / rate as f32;
                [
                    (t * 440.0 * std::f32::consts::TAU).sin() * 0.5,
                    (t * 97.0 * std::f32::consts::TAU).sin() * (t / 3.0),
                ]
            })
            .collect();
        let mut m = BlockMeter::new(rate as u32, true);
        for part in x.chunks(1000) {
            m.push(part);
        }
        m.finish();
        assert_eq!(m.energy.len(), 30);
        assert_eq!(m.true_peak.len(), 30);
        let mut kw = KWeighting::new(rate as u32);
        let peaks = reference(
            &x.iter()
                .map(|f| [f[0] as f64, f[1] as f64])
                .chain(std::iter::repeat_n([0.0; 2], TRUE_PEAK_DELAY))
                .collect::<Vec<_>>(),
        );
        for b in 0..30 {
            let e: f64 = x[b * 800..(b + 1) * 800]
                .iter()
                .map(|f| kw.power([f[0] as f64, f[1] as f64]))
                .sum::<f64>()
                / 800.0;
            assert!((e - m.energy[b]).abs() <= 1e-12 * e.max(1e-30), "block {b}");
            let tp = peaks[b * 800 + TRUE_PEAK_DELAY..(b + 1) * 800 + TRUE_PEAK_DELAY]
                .iter()
                .fold(0.0f32, |a, &p| a.max(p));
            assert_eq!(tp, m.true_peak[b], "block {b}");
        }
        assert_eq!(m.frames, x.len() as u64);
    }
}
