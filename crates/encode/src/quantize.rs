//! f32 → integer quantisation, optionally with TPDF dither seeded by absolute sample position.
//! Samples below [`DITHER_FLOOR_LSB`] (digital silence, decayed filter tails) take no dither.

use crate::BitDepth;

/// Seed mixed into every dither hash (changing it changes every dithered byte: bump
/// `auralis_master::DSP_VERSION` if it ever changes).
const DITHER_SEED: u64 = 0x5EED_A0CA_11D1_7E40;

/// SplitMix64 finaliser: a fast, well-mixed hash of one 64-bit word.
#[inline(always)]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// TPDF dither values in LSB units, each in (-1, 1), for both channels of sample `position`:
/// one hash gives four 16-bit uniforms, two per channel. A pure function of the position, so
/// chunking never changes it.
#[inline(always)]
pub fn tpdf_pair(position: u64) -> [f64; 2] {
    let h = mix64(
        position
            .wrapping_add(DITHER_SEED)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    const INV: f64 = 1.0 / (1u64 << 16) as f64;
    let u = |k: u32| ((h >> (16 * k)) & 0xFFFF) as f64 * INV;
    [u(3) - u(2), u(1) - u(0)]
}

/// TPDF dither value in LSB units, in (-1, 1), for sample `position` of channel `channel`
/// (0 or 1): `tpdf_pair(position)[channel]`.
#[inline(always)]
pub fn tpdf(position: u64, channel: u64) -> f64 {
    tpdf_pair(position)[(channel & 1) as usize]
}

/// Below this magnitude (in LSB) a sample is silence: it quantises to 0 and gets no dither.
/// Digital silence then stays digital silence, and a fade to zero ends in zeros as soon as the
/// chain's filter tails have decayed below it (instead of ±1 LSB of dither noise, -84 dBFS).
pub const DITHER_FLOOR_LSB: f64 = 1.0 / 4096.0;

/// Quantise one sample: `round(v * 2^(bits-1) + d)` (half away from zero) clamped to the
/// integer range; NaN → 0. Written without `f64::round` (a libm call on baseline x86-64).
#[inline(always)]
fn quantize_one(v: f32, scale: f64, d: f64, lo: f64, hi: f64) -> i32 {
    let x = (v as f64) * scale;
    // Silence (and NaN) takes no dither; branch-free: d is multiplied by 0 or 1.
    let x = x + d * f64::from(u8::from(x.abs() >= DITHER_FLOOR_LSB));
    // `clamp` keeps NaN; the saturating `as` cast maps it to 0.
    let x = x.clamp(lo, hi);
    // Half away from zero: trunc(x ± 0.5) (exact mirror images, so identical to rounding
    // |x| and restoring the sign), branch-free.
    (x + 0.5f64.copysign(x)) as i64 as i32
}

/// Quantise stereo frames into two planar channel buffers (cleared first).
///
/// `first_sample` is the absolute position of `frames[0]` in the track; with `dither` the
/// TPDF dither of sample `i` depends only on `first_sample + i`, the channel and whether the
/// sample is silence (below [`DITHER_FLOOR_LSB`]: 0 out, no dither).
/// Without dither, values on the integer grid (`k / 2^(bits-1)`) give back exactly `k`.
/// Out-of-range values clamp to the integer range (they never wrap).
pub fn quantize_planar(
    frames: &[[f32; 2]],
    depth: BitDepth,
    first_sample: u64,
    dither: bool,
    left: &mut Vec<i32>,
    right: &mut Vec<i32>,
) {
    let bits = depth.bits();
    let scale = (1u64 << (bits - 1)) as f64;
    let lo = -scale;
    let hi = scale - 1.0;
    left.clear();
    right.clear();
    left.resize(frames.len(), 0);
    right.resize(frames.len(), 0);
    let out = left.iter_mut().zip(right.iter_mut()).zip(frames);
    if dither {
        for (i, ((l, r), f)) in out.enumerate() {
            let d = tpdf_pair(first_sample.wrapping_add(i as u64));
            *l = quantize_one(f[0], scale, d[0], lo, hi);
            *r = quantize_one(f[1], scale, d[1], lo, hi);
        }
    } else {
        for ((l, r), f) in out {
            *l = quantize_one(f[0], scale, 0.0, lo, hi);
            *r = quantize_one(f[1], scale, 0.0, lo, hi);
        }
    }
}

/// Interleaved convenience form of [`quantize_planar`]: `[[l, r]; n]` integers.
pub fn quantize(
    frames: &[[f32; 2]],
    depth: BitDepth,
    first_sample: u64,
    dither: bool,
) -> Vec<[i32; 2]> {
    let (mut l, mut r) = (Vec::new(), Vec::new());
    quantize_planar(frames, depth, first_sample, dither, &mut l, &mut r);
    l.into_iter().zip(r).map(|(a, b)| [a, b]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_grid_values_are_exact() {
        for k in [-32768i32, -32767, -1, 0, 1, 12345, 32767] {
            let v = k as f32 / 32768.0;
            assert_eq!(
                quantize(&[[v, v]], BitDepth::Sixteen, 0, false),
                vec![[k, k]]
            );
        }
        for k in [-8_388_608i32, -8_388_607, -1, 0, 1, 4_194_305, 8_388_607] {
            let v = k as f32 / 8_388_608.0;
            assert_eq!(
                quantize(&[[v, v]], BitDepth::TwentyFour, 0, false),
                vec![[k, k]]
            );
        }
    }

    #[test]
    fn clamps_never_wraps() {
        let q = quantize(
            &[
                [1.0, -1.0],
                [3.5, -7.0],
                [f32::INFINITY, f32::NEG_INFINITY],
                [f32::NAN, 0.0],
            ],
            BitDepth::Sixteen,
            0,
            true,
        );
        assert_eq!(q[0][0], 32767);
        assert!(q[0][1] >= -32768 && q[0][1] <= -32767);
        assert_eq!(q[1], [32767, -32768]);
        assert_eq!(q[2], [32767, -32768]);
        assert_eq!(q[3][0], 0);
        let q = quantize(&[[2.0, -2.0]], BitDepth::TwentyFour, 0, false);
        assert_eq!(q[0], [8_388_607, -8_388_608]);
    }

    #[test]
    fn tpdf_is_triangular_and_bounded() {
        let n = 200_000u64;
        let (mut sum, mut sum2) = (0.0, 0.0);
        let mut inner = 0u64;
        for p in 0..n {
            let d = tpdf(p, p & 1);
            assert!(d > -1.0 && d < 1.0);
            sum += d;
            sum2 += d * d;
            if d.abs() < 0.5 {
                inner += 1;
            }
        }
        let mean = sum / n as f64;
        let var = sum2 / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        // Triangular on (-1, 1): variance 1/6, P(|d| < 0.5) = 0.75.
        assert!((var - 1.0 / 6.0).abs() < 0.01, "var {var}");
        assert!(((inner as f64 / n as f64) - 0.75).abs() < 0.01);
        assert_ne!(tpdf(5, 0), tpdf(5, 1));
        // The two channels' dither is uncorrelated.
        let c: f64 = (0..n).map(|p| tpdf(p, 0) * tpdf(p, 1)).sum::<f64>() / n as f64;
        assert!(c.abs() < 0.005, "correlation {c}");
    }

    #[test]
    fn silence_takes_no_dither() {
        // Digital silence: zeros out, at both depths, wherever it sits in the track.
        for depth in [BitDepth::Sixteen, BitDepth::TwentyFour] {
            let q = quantize(&vec![[0.0, -0.0]; 50_000], depth, 123_456_789, true);
            assert!(q.iter().all(|f| *f == [0, 0]), "{depth:?}");
        }
        // A fade to zero (with the tiny tail an IIR filter leaves) ends in zeros; the audible
        // part is still dithered.
        let fade: Vec<[f32; 2]> = (0..20_000)
            .map(|i| {
                let g = (-(i as f32) / 800.0).exp();
                let x = 0.3 * g * (i as f32 * 0.05).sin();
                [x, -x]
            })
            .collect();
        let q = quantize(&fade, BitDepth::Sixteen, 0, true);
        let last_nonzero = q.iter().rposition(|f| *f != [0, 0]).unwrap();
        // Where the fade's envelope falls below the floor.
        let floor = DITHER_FLOOR_LSB / 32768.0;
        let first_silent = (0..fade.len())
            .position(|i| 0.3 * (-(i as f64) / 800.0).exp() < floor)
            .unwrap();
        assert!(last_nonzero < first_silent, "{last_nonzero} {first_silent}");
        assert!(q[first_silent..].iter().all(|f| *f == [0, 0]));
        let undithered = quantize(&fade[..2000], BitDepth::Sixteen, 0, false);
        assert_ne!(q[..2000], undithered[..], "audible samples are dithered");
    }

    #[test]
    fn dither_depends_only_on_position() {
        let frames: Vec<[f32; 2]> = (0..1000)
            .map(|i| {
                let x = (i as f32 * 0.01).sin() * 0.5;
                [x, -x]
            })
            .collect();
        let whole = quantize(&frames, BitDepth::Sixteen, 777, true);
        let part = quantize(&frames[300..650], BitDepth::Sixteen, 777 + 300, true);
        assert_eq!(&whole[300..650], &part[..]);
    }
}
