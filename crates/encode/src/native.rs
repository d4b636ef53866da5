//! Auralis' own subframe encoder and frame assembler (used by [`crate::EncoderSettings::fast`]).
//!
//! flacenc's LPC analysis uses `f32::mul_add`/`f64::mul_add`, which on baseline x86-64
//! (no `fma` target feature) compiles to a slow libm call, and its subframe search allocates
//! per block. This module does the same job with plain arithmetic and reused buffers:
//!
//! - constant detection, fixed predictors 0..=4 (order picked by the smallest sum of |residual|,
//!   as libFLAC does), and one LPC of order [`LPC_ORDER`]: Tukey(0.4)-windowed autocorrelation
//!   in f64, Levinson-Durbin, coefficients quantised to [`QLP_PRECISION`] bits (lowered when
//!   needed so the prediction fits in i32; an i64 path covers the rest);
//! - partitioned Rice coding (partition order 0..=6, parameters 0..=14) chosen from partition
//!   sums of the zig-zag residual;
//! - the smallest of constant / fixed / LPC / verbatim is written.
//!
//! Frames are assembled bit by bit here; the frame header (with its CRC-8) is flacenc's
//! `FrameHeader`, the CRC-16 footer is computed here. Decoders see a standard FLAC frame.

use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, ChannelAssignment, FrameHeader, FrameOffset};

/// LPC order of the single LPC candidate per subframe.
pub const LPC_ORDER: usize = 8;
/// Quantised LPC coefficient precision in bits (lowered per subframe if the prediction
/// could overflow i32).
pub const QLP_PRECISION: u32 = 15;
const TUKEY_ALPHA: f64 = 0.4;
const MAX_PARTITION_ORDER: u32 = 6;
const MIN_PARTITION_SIZE: usize = 64;
const MAX_RICE_PARAM: u32 = 14;
/// Below this many samples only verbatim / constant subframes are tried.
const MIN_PREDICTION_SIZE: usize = 64;

/// Big-endian bit writer into a byte vector.
pub(crate) struct BitWriter {
    pub(crate) buf: Vec<u8>,
    acc: u64,
    nbits: u32,
}

impl BitWriter {
    pub(crate) fn with_capacity(cap: usize) -> Self {
        BitWriter {
            buf: Vec::with_capacity(cap),
            acc: 0,
            nbits: 0,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.acc = 0;
        self.nbits = 0;
    }

    /// Append the low `bits` (<= 32) bits of `v`.
    #[inline(always)]
    fn put(&mut self, v: u32, bits: u32) {
        debug_assert!(bits <= 32);
        let v = (v as u64) & ((1u64 << bits) - 1);
        self.acc = (self.acc << bits) | v;
        self.nbits += bits;
        if self.nbits >= 32 {
            self.nbits -= 32;
            let w = (self.acc >> self.nbits) as u32;
            self.buf.extend_from_slice(&w.to_be_bytes());
        }
    }

    /// Signed value in `bits` bits (two's complement).
    #[inline(always)]
    fn put_signed(&mut self, v: i32, bits: u32) {
        self.put(v as u32, bits);
    }

    #[inline(always)]
    fn zeros(&mut self, mut n: u32) {
        while n >= 32 {
            self.put(0, 32);
            n -= 32;
        }
        self.put(0, n);
    }

    /// Rice code of the zig-zag value `u` with parameter `k`.
    #[inline(always)]
    fn rice(&mut self, u: u32, k: u32) {
        let q = u >> k;
        let low = (1u32 << k) | (u & ((1u32 << k) - 1));
        if q + k < 32 {
            self.put(low, q + k + 1);
        } else {
            self.zeros(q);
            self.put(low, k + 1);
        }
    }

    /// Pad to a byte boundary with zero bits and flush everything into `buf`.
    pub(crate) fn flush_aligned(&mut self) {
        let pad = (8 - self.nbits % 8) % 8;
        self.put(0, pad);
        while self.nbits >= 8 {
            self.nbits -= 8;
            self.buf.push((self.acc >> self.nbits) as u8);
        }
    }

    /// Append whole bytes (the writer must be byte-aligned and flushed).
    fn bytes(&mut self, b: &[u8]) {
        debug_assert_eq!(self.nbits, 0);
        self.buf.extend_from_slice(b);
    }
}

/// CRC-16 (polynomial 0x8005, init 0) of a FLAC frame, slicing-by-8.
pub(crate) fn crc16(data: &[u8]) -> u16 {
    static TABLES: std::sync::OnceLock<[[u16; 256]; 8]> = std::sync::OnceLock::new();
    let t = TABLES.get_or_init(|| {
        let mut t = [[0u16; 256]; 8];
        for (i, slot) in t[0].iter_mut().enumerate() {
            let mut c = (i as u16) << 8;
            for _ in 0..8 {
                c = if c & 0x8000 != 0 {
                    (c << 1) ^ 0x8005
                } else {
                    c << 1
                };
            }
            *slot = c;
        }
        for i in 0..256 {
            for k in 1..8 {
                let prev = t[k - 1][i];
                t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            }
        }
        t
    });
    let mut crc = 0u16;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let a = c[0] ^ (crc >> 8) as u8;
        let b = c[1] ^ crc as u8;
        crc = t[7][a as usize]
            ^ t[6][b as usize]
            ^ t[5][c[2] as usize]
            ^ t[4][c[3] as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ t[0][((crc >> 8) as u8 ^ b) as usize];
    }
    crc
}

#[inline(always)]
fn zigzag(e: i32) -> u32 {
    ((e << 1) ^ (e >> 31)) as u32
}

/// A chosen Rice partitioning: order and per-partition parameters.
#[derive(Clone, Copy)]
struct RicePlan {
    order: u32,
    params: [u8; 1 << MAX_PARTITION_ORDER],
    /// Estimated residual bits, including the partition headers.
    bits: u64,
}

/// How a subframe will be coded.
#[derive(Clone, Copy)]
enum Kind {
    Constant,
    Verbatim,
    Fixed(usize),
    Lpc {
        order: usize,
        precision: u32,
        shift: u32,
        coefs: [i32; LPC_ORDER],
    },
}

/// Reusable per-channel analysis buffers.
pub(crate) struct SubframeEncoder {
    window: Vec<f64>,
    windowed: Vec<f64>,
    /// Zig-zag residuals of the best fixed predictor / the LPC candidate.
    fixed_u: Vec<u32>,
    lpc_u: Vec<u32>,
    lpc_err: Vec<i32>,
}

impl SubframeEncoder {
    pub(crate) fn new() -> Self {
        SubframeEncoder {
            window: Vec::new(),
            windowed: Vec::new(),
            fixed_u: Vec::new(),
            lpc_u: Vec::new(),
            lpc_err: Vec::new(),
        }
    }

    fn window(&mut self, n: usize) -> &[f64] {
        if self.window.len() != n {
            self.window.clear();
            let max_t = n as f64 - 1.0;
            let alpha_len = TUKEY_ALPHA * max_t;
            for t in 0..n {
                let t = t as f64;
                let w = if t < alpha_len / 2.0 {
                    0.5 * (1.0 - (2.0 * std::f64::consts::PI * t / alpha_len).cos())
                } else if t < max_t - alpha_len / 2.0 {
                    1.0
                } else {
                    0.5 * (1.0 - (2.0 * std::f64::consts::PI * (max_t - t) / alpha_len).cos())
                };
                self.window.push(w);
            }
        }
        &self.window
    }

    /// Encode one subframe of `x` (`bps` bits per sample, side channels have one more) into
    /// `out`.
    /// `sums` are [`fixed_sums`] of `x`.
    pub(crate) fn encode(&mut self, x: &[i32], sums: &[u64; 5], bps: u32, out: &mut BitWriter) {
        let n = x.len();
        let verbatim_bits = 8 + n as u64 * bps as u64;
        if x.iter().all(|&v| v == x[0]) {
            return write_subframe(out, x, bps, Kind::Constant, None, &[]);
        }
        if n < MIN_PREDICTION_SIZE {
            return write_subframe(out, x, bps, Kind::Verbatim, None, &[]);
        }
        let mut best = (verbatim_bits, Kind::Verbatim, None::<RicePlan>, false);

        // Fixed predictors.
        let forder = best_fixed_order(sums);
        fixed_residual(x, forder, &mut self.fixed_u);
        if let Some(plan) = rice_plan(&self.fixed_u, forder) {
            let bits = 8 + (forder as u64) * bps as u64 + plan.bits;
            if bits < best.0 {
                best = (bits, Kind::Fixed(forder), Some(plan), false);
            }
        }

        // LPC.
        if let Some((kind, plan, bits)) = self.lpc(x, bps) {
            if bits < best.0 {
                best = (bits, kind, Some(plan), true);
            }
        }
        let (_, kind, plan, is_lpc) = best;
        let u = if is_lpc { &self.lpc_u } else { &self.fixed_u };
        write_subframe(out, x, bps, kind, plan.as_ref(), u);
    }

    fn lpc(&mut self, x: &[i32], bps: u32) -> Option<(Kind, RicePlan, u64)> {
        let n = x.len();
        let order = LPC_ORDER;
        self.window(n);
        self.windowed.clear();
        self.windowed
            .extend(x.iter().zip(&self.window).map(|(&v, &w)| v as f64 * w));
        let mut r = [0f64; LPC_ORDER + 1];
        autocorrelation(&self.windowed, &mut r);
        if r[0] <= 0.0 {
            return None;
        }
        // A touch of white-noise correction keeps the recursion stable on pure tones.
        r[0] *= 1.0 + 1e-10;
        let a = levinson(&r)?;
        let max_abs_x = x.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as u64;
        // Quantise; lower the precision until the i32 prediction cannot overflow.
        let mut precision = QLP_PRECISION;
        let (coefs, shift) = loop {
            let (coefs, shift) = quantize_coefs(&a, precision)?;
            let sum_abs: u64 = coefs.iter().map(|c| c.unsigned_abs() as u64).sum();
            if sum_abs * max_abs_x < (1u64 << 30) || precision <= 12 {
                break (coefs, shift);
            }
            precision -= 1;
        };
        let sum_abs: u64 = coefs.iter().map(|c| c.unsigned_abs() as u64).sum();
        self.lpc_err.resize(n, 0);
        let ok = if sum_abs * max_abs_x < (1u64 << 30) {
            lpc_residual_i32(x, &coefs, shift, &mut self.lpc_err);
            true
        } else {
            lpc_residual_i64(x, &coefs, shift, &mut self.lpc_err)
        };
        if !ok {
            return None;
        }
        self.lpc_u.clear();
        self.lpc_u.extend(self.lpc_err.iter().map(|&e| zigzag(e)));
        self.lpc_u[..order].fill(0);
        let plan = rice_plan(&self.lpc_u, order)?;
        let bits = 8 + (order as u64) * (bps as u64 + precision as u64) + 4 + 5 + plan.bits;
        Some((
            Kind::Lpc {
                order,
                precision,
                shift,
                coefs,
            },
            plan,
            bits,
        ))
    }
}

/// Autocorrelation lags 0..=LPC_ORDER (plain f64 multiply-add, four partial sums per lag;
/// with AVX the four partial sums are one register: the same products and sums, the same
/// values).
fn autocorrelation(w: &[f64], r: &mut [f64; LPC_ORDER + 1]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: AVX was just detected.
        unsafe { autocorrelation_avx(w, r) };
        return;
    }
    let n = w.len();
    for (lag, out) in r.iter_mut().enumerate() {
        if lag >= n {
            *out = 0.0;
            continue;
        }
        let a = &w[lag..];
        let b = &w[..n - lag];
        let mut acc = [0f64; 4];
        let mut ca = a.chunks_exact(4);
        let mut cb = b.chunks_exact(4);
        for (x, y) in (&mut ca).zip(&mut cb) {
            acc[0] += x[0] * y[0];
            acc[1] += x[1] * y[1];
            acc[2] += x[2] * y[2];
            acc[3] += x[3] * y[3];
        }
        let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
            s += x * y;
        }
        *out = s;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn autocorrelation_avx(w: &[f64], r: &mut [f64; LPC_ORDER + 1]) {
    use std::arch::x86_64::*;
    let n = w.len();
    for (lag, out) in r.iter_mut().enumerate() {
        if lag >= n {
            *out = 0.0;
            continue;
        }
        let len = n - lag;
        let (a, b) = (w.as_ptr().add(lag), w.as_ptr());
        let mut acc = _mm256_setzero_pd();
        let mut i = 0;
        while i + 4 <= len {
            acc = _mm256_add_pd(
                acc,
                _mm256_mul_pd(_mm256_loadu_pd(a.add(i)), _mm256_loadu_pd(b.add(i))),
            );
            i += 4;
        }
        let mut lanes = [0f64; 4];
        _mm256_storeu_pd(lanes.as_mut_ptr(), acc);
        let mut s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        while i < len {
            s += *a.add(i) * *b.add(i);
            i += 1;
        }
        *out = s;
    }
}

/// Levinson-Durbin: predictor `a` with x[t] ≈ Σ a[j] x[t-1-j].
fn levinson(r: &[f64; LPC_ORDER + 1]) -> Option<[f64; LPC_ORDER]> {
    let mut a = [0f64; LPC_ORDER];
    let mut err = r[0];
    for i in 0..LPC_ORDER {
        if err <= 0.0 || !err.is_finite() {
            break;
        }
        let mut acc = r[i + 1];
        for j in 0..i {
            acc -= a[j] * r[i - j];
        }
        let k = acc / err;
        if !k.is_finite() {
            break;
        }
        let prev = a;
        a[i] = k;
        for j in 0..i {
            a[j] = prev[j] - k * prev[i - 1 - j];
        }
        err *= 1.0 - k * k;
    }
    a.iter().all(|v| v.is_finite()).then_some(a)
}

/// Quantise LPC coefficients to `precision` bits: (coefficients, shift).
fn quantize_coefs(a: &[f64; LPC_ORDER], precision: u32) -> Option<([i32; LPC_ORDER], u32)> {
    let max_abs = a.iter().fold(0f64, |m, v| m.max(v.abs()));
    if max_abs <= 0.0 {
        return None;
    }
    // Smallest e with max_abs <= 2^e (like flacenc's `ceil(log2)`), computed without libm.
    let mut e: i32 = 0;
    let mut p = 1.0f64;
    while p < max_abs {
        p *= 2.0;
        e += 1;
    }
    while p / 2.0 >= max_abs && e > -32 {
        p /= 2.0;
        e -= 1;
    }
    let shift = ((precision as i32 - 1) - e).clamp(0, 15) as u32;
    let scale = (1u64 << shift) as f64;
    let hi = (1i32 << (precision - 1)) - 1;
    let lo = -(1i32 << (precision - 1));
    let mut q = [0i32; LPC_ORDER];
    // Error feedback (as libFLAC does) keeps the quantised filter close to the real one.
    let mut carry = 0f64;
    for (qi, &ai) in q.iter_mut().zip(a) {
        let v = ai * scale + carry;
        let r = if v >= 0.0 {
            (v + 0.5) as i64
        } else {
            -((0.5 - v) as i64)
        };
        let r = r.clamp(lo as i64, hi as i64) as i32;
        carry = v - r as f64;
        *qi = r;
    }
    Some((q, shift))
}

fn lpc_residual_i32(x: &[i32], c: &[i32; LPC_ORDER], shift: u32, e: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was just detected.
        unsafe { lpc_residual_i32_avx2(x, c, shift, e) };
        return;
    }
    lpc_residual_i32_scalar(x, c, shift, e, LPC_ORDER);
}

/// The residual from `from` on (the first `LPC_ORDER` entries are set to 0 when `from` is
/// `LPC_ORDER`). Wrapping i32 arithmetic, as the format's decoders compute it.
fn lpc_residual_i32_scalar(
    x: &[i32],
    c: &[i32; LPC_ORDER],
    shift: u32,
    e: &mut [i32],
    from: usize,
) {
    let n = x.len();
    if from == LPC_ORDER {
        e[..LPC_ORDER].fill(0);
    }
    for t in from.max(LPC_ORDER)..n {
        let w = &x[t - LPC_ORDER..t];
        let mut s = 0i32;
        for j in 0..LPC_ORDER {
            s = s.wrapping_add(c[j].wrapping_mul(w[LPC_ORDER - 1 - j]));
        }
        e[t] = x[t].wrapping_sub(s >> shift);
    }
}

/// [`lpc_residual_i32`] eight samples at a time (integer arithmetic: the same values).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lpc_residual_i32_avx2(x: &[i32], c: &[i32; LPC_ORDER], shift: u32, e: &mut [i32]) {
    use std::arch::x86_64::*;
    let n = x.len().min(e.len());
    e[..LPC_ORDER.min(n)].fill(0);
    let cs = c.map(|v| _mm256_set1_epi32(v));
    let sh = _mm_cvtsi32_si128(shift as i32);
    let mut t = LPC_ORDER;
    while t + 8 <= n {
        let mut acc = _mm256_setzero_si256();
        for (j, cj) in cs.iter().enumerate() {
            // x[t - 1 - j ..][..8], inside x since t >= LPC_ORDER > j.
            let xv = _mm256_loadu_si256(x.as_ptr().add(t - 1 - j) as *const __m256i);
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(*cj, xv));
        }
        let xt = _mm256_loadu_si256(x.as_ptr().add(t) as *const __m256i);
        let r = _mm256_sub_epi32(xt, _mm256_sra_epi32(acc, sh));
        _mm256_storeu_si256(e.as_mut_ptr().add(t) as *mut __m256i, r);
        t += 8;
    }
    lpc_residual_i32_scalar(x, c, shift, e, t);
}

/// Returns false if a residual does not fit the format's 32-bit residual limit.
fn lpc_residual_i64(x: &[i32], c: &[i32; LPC_ORDER], shift: u32, e: &mut [i32]) -> bool {
    let n = x.len();
    e[..LPC_ORDER].fill(0);
    for t in LPC_ORDER..n {
        let mut s = 0i64;
        for j in 0..LPC_ORDER {
            s += c[j] as i64 * x[t - 1 - j] as i64;
        }
        let r = x[t] as i64 - (s >> shift);
        if r.unsigned_abs() >= (1u64 << 30) {
            return false;
        }
        e[t] = r as i32;
    }
    true
}

/// Sums of |residual| of the fixed predictors of order 0..=4 over t >= 4 (one pass; also
/// the stereo decision's input).
pub(crate) fn fixed_sums(x: &[i32]) -> [u64; 5] {
    let mut total = [0u64; 5];
    if x.len() <= 4 {
        return total;
    }
    // u32 partial sums over runs short enough not to overflow keep the loop vectorisable:
    // |e4| <= 16 * max|x|.
    let max_abs = x.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as u64;
    let run = ((u32::MAX as u64) / (16 * max_abs + 16)).clamp(1, 4096) as usize;
    let mut t0 = 4;
    while t0 < x.len() {
        let t1 = (t0 + run).min(x.len());
        let mut s = [0u32; 5];
        for t in t0..t1 {
            let (a, b, c, d, v) = (x[t - 4], x[t - 3], x[t - 2], x[t - 1], x[t]);
            let e1 = v - d;
            let e2 = e1 - (d - c);
            let e3 = e2 - ((d - c) - (c - b));
            let e4 = e3 - (((d - c) - (c - b)) - ((c - b) - (b - a)));
            s[0] += v.unsigned_abs();
            s[1] += e1.unsigned_abs();
            s[2] += e2.unsigned_abs();
            s[3] += e3.unsigned_abs();
            s[4] += e4.unsigned_abs();
        }
        for (tot, v) in total.iter_mut().zip(s) {
            *tot += v as u64;
        }
        t0 = t1;
    }
    total
}

/// The fixed predictor order with the smallest sum of |residual| (as libFLAC picks it).
fn best_fixed_order(sums: &[u64; 5]) -> usize {
    let mut best = 0;
    for o in 1..5 {
        if sums[o] < sums[best] {
            best = o;
        }
    }
    best
}

/// Zig-zag residual of fixed predictor `order` (the first `order` entries are 0).
fn fixed_residual(x: &[i32], order: usize, u: &mut Vec<u32>) {
    let n = x.len();
    u.clear();
    u.resize(n, 0);
    match order {
        0 => {
            for t in 0..n {
                u[t] = zigzag(x[t]);
            }
        }
        1 => {
            for t in 1..n {
                u[t] = zigzag(x[t] - x[t - 1]);
            }
        }
        2 => {
            for t in 2..n {
                u[t] = zigzag(x[t] - 2 * x[t - 1] + x[t - 2]);
            }
        }
        3 => {
            for t in 3..n {
                u[t] = zigzag(x[t] - 3 * x[t - 1] + 3 * x[t - 2] - x[t - 3]);
            }
        }
        _ => {
            for t in 4..n {
                u[t] = zigzag(x[t] - 4 * x[t - 1] + 6 * x[t - 2] - 4 * x[t - 3] + x[t - 4]);
            }
        }
    }
}

/// Estimated bits of a Rice partition with `count` samples summing to `sum`, best parameter.
#[inline]
fn best_param(sum: u64, count: u64) -> (u32, u64) {
    let mut best = (0u32, u64::MAX);
    for k in 0..=MAX_RICE_PARAM {
        // Σ floor(u / 2^k) ≈ sum / 2^k − count / 2 for k > 0 (uniform remainders).
        let q = (sum >> k).saturating_sub(if k > 0 { count / 2 } else { 0 });
        let bits = count * (k as u64 + 1) + q;
        if bits < best.1 {
            best = (k, bits);
        }
    }
    best
}

/// Choose the partition order and Rice parameters for zig-zag residuals `u` (whose first
/// `warmup` entries are not coded). None if no valid partitioning exists.
fn rice_plan(u: &[u32], warmup: usize) -> Option<RicePlan> {
    let n = u.len();
    let mut max_order = 0;
    while max_order < MAX_PARTITION_ORDER
        && n.is_multiple_of(1 << (max_order + 1))
        && (n >> (max_order + 1)) >= MIN_PARTITION_SIZE
        && (n >> (max_order + 1)) > warmup
    {
        max_order += 1;
    }
    if (n >> max_order) < warmup {
        return None;
    }
    let parts = 1usize << max_order;
    let len = n >> max_order;
    let mut sums = [0u64; 1 << MAX_PARTITION_ORDER];
    for (p, s) in sums.iter_mut().take(parts).enumerate() {
        *s = u[p * len..(p + 1) * len].iter().map(|&v| v as u64).sum();
    }
    let mut best: Option<RicePlan> = None;
    let mut order = max_order;
    let mut parts = parts;
    loop {
        let len = (n >> order) as u64;
        let mut plan = RicePlan {
            order,
            params: [0; 1 << MAX_PARTITION_ORDER],
            bits: 6,
        };
        for (p, &sum) in sums.iter().enumerate().take(parts) {
            let count = if p == 0 { len - warmup as u64 } else { len };
            let (k, bits) = best_param(sum, count);
            plan.params[p] = k as u8;
            plan.bits += 4 + bits;
        }
        if best.as_ref().is_none_or(|b| plan.bits < b.bits) {
            best = Some(plan);
        }
        if order == 0 {
            break;
        }
        order -= 1;
        parts /= 2;
        for p in 0..parts {
            sums[p] = sums[2 * p] + sums[2 * p + 1];
        }
    }
    best
}

fn write_residual(out: &mut BitWriter, u: &[u32], warmup: usize, plan: &RicePlan) {
    out.put(0, 2); // 4-bit Rice parameters
    out.put(plan.order, 4);
    let parts = 1usize << plan.order;
    let len = u.len() >> plan.order;
    for p in 0..parts {
        let k = plan.params[p] as u32;
        out.put(k, 4);
        let start = if p == 0 { warmup } else { p * len };
        for &v in &u[start..(p + 1) * len] {
            out.rice(v, k);
        }
    }
}

fn write_subframe(
    out: &mut BitWriter,
    x: &[i32],
    bps: u32,
    kind: Kind,
    plan: Option<&RicePlan>,
    u: &[u32],
) {
    match kind {
        Kind::Constant => {
            out.put(0, 8);
            out.put_signed(x[0], bps);
        }
        Kind::Verbatim => {
            out.put(0b0000_0010, 8);
            for &v in x {
                out.put_signed(v, bps);
            }
        }
        Kind::Fixed(order) => {
            out.put(0b0001_0000 | ((order as u32) << 1), 8);
            for &v in &x[..order] {
                out.put_signed(v, bps);
            }
            write_residual(out, u, order, plan.expect("fixed subframe has a plan"));
        }
        Kind::Lpc {
            order,
            precision,
            shift,
            coefs,
        } => {
            out.put(0b0100_0000 | (((order as u32) - 1) << 1), 8);
            for &v in &x[..order] {
                out.put_signed(v, bps);
            }
            out.put(precision - 1, 4);
            out.put(shift, 5);
            for &c in &coefs[..order] {
                out.put_signed(c, precision);
            }
            write_residual(out, u, order, plan.expect("LPC subframe has a plan"));
        }
    }
}

/// Write a whole stereo frame: flacenc's header (with CRC-8), both subframes, padding,
/// CRC-16. `c0`/`c1` are the channels as `assignment` stores them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_frame(
    enc: &mut SubframeEncoder,
    out: &mut BitWriter,
    assignment: ChannelAssignment,
    c0: (&[i32], &[u64; 5]),
    c1: (&[i32], &[u64; 5]),
    bits: u32,
    rate: u32,
    frame_no: u32,
) -> Result<(), String> {
    let n = c0.0.len();
    let header = FrameHeader::new(
        n,
        assignment.clone(),
        bits as usize,
        rate as usize,
        FrameOffset::Frame(frame_no),
    )
    .map_err(|e| e.to_string())?;
    let mut hs = ByteSink::new();
    header.write(&mut hs).map_err(|e| e.to_string())?;
    out.clear();
    out.bytes(hs.as_slice());
    let (b0, b1) = match assignment {
        ChannelAssignment::LeftSide => (bits, bits + 1),
        ChannelAssignment::RightSide => (bits + 1, bits),
        ChannelAssignment::MidSide => (bits, bits + 1),
        _ => (bits, bits),
    };
    enc.encode(c0.0, c0.1, b0, out);
    enc.encode(c1.0, c1.1, b1, out);
    out.flush_aligned();
    let crc = crc16(&out.buf);
    out.buf.extend_from_slice(&crc.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_bitwise() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let mut crc = 0u16;
        for &b in &data {
            crc ^= (b as u16) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x8005
                } else {
                    crc << 1
                };
            }
        }
        assert_eq!(crc16(&data), crc);
        assert_eq!(crc16(&data[..13]), {
            let mut c = 0u16;
            for &b in &data[..13] {
                c ^= (b as u16) << 8;
                for _ in 0..8 {
                    c = if c & 0x8000 != 0 {
                        (c << 1) ^ 0x8005
                    } else {
                        c << 1
                    };
                }
            }
            c
        });
    }

    #[test]
    fn bit_writer_rice_and_alignment() {
        let mut w = BitWriter::with_capacity(16);
        w.put(0b101, 3);
        w.rice(5, 1); // q=2, r=1 -> 001 1
        w.rice(40, 0); // 40 zeros then 1
        w.flush_aligned();
        // bits: 101 0011 + 40 zeros + 1 → 48 bits → 6 bytes
        assert_eq!(w.buf.len(), 6);
        assert_eq!(w.buf[0], 0b1010_0110);
        assert_eq!(w.buf[5], 0b0000_0001);
    }
}

#[cfg(test)]
mod simd_tests {
    use super::*;

    /// The vector paths give exactly the scalar values (the encoded bytes must not depend on
    /// the machine).
    #[test]
    fn vector_paths_equal_scalar() {
        let mut s = 12345u64;
        let x: Vec<i32> = (0..4096)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((i as f64 * 0.05).sin() * 20000.0) as i32 + (s % 200) as i32 - 100
            })
            .collect();
        let c = [1200, -800, 300, -150, 90, -40, 20, -7];
        let mut a = vec![0i32; x.len()];
        let mut b = vec![0i32; x.len()];
        lpc_residual_i32(&x, &c, 10, &mut a);
        lpc_residual_i32_scalar(&x, &c, 10, &mut b, LPC_ORDER);
        assert_eq!(a, b);
        let w: Vec<f64> = x.iter().map(|&v| v as f64 * 0.7).collect();
        let mut r1 = [0f64; LPC_ORDER + 1];
        autocorrelation(&w, &mut r1);
        let mut r2 = [0f64; LPC_ORDER + 1];
        for (lag, out) in r2.iter_mut().enumerate() {
            let (p, q) = (&w[lag..], &w[..w.len() - lag]);
            let mut acc = [0f64; 4];
            let (mut cp, mut cq) = (p.chunks_exact(4), q.chunks_exact(4));
            for (u, v) in (&mut cp).zip(&mut cq) {
                for l in 0..4 {
                    acc[l] += u[l] * v[l];
                }
            }
            let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
            for (u, v) in cp.remainder().iter().zip(cq.remainder()) {
                sum += u * v;
            }
            *out = sum;
        }
        assert_eq!(r1, r2);
    }
}
