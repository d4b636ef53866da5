//! Building blocks: RBJ-cookbook biquads in f64 and the BS.1770 K-weighting filter.

use std::f64::consts::PI;

/// Normalised biquad coefficients (a0 = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coeffs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

impl Coeffs {
    fn norm(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Coeffs {
        Coeffs {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
        }
    }

    fn prewarp(rate: u32, f0: f64, q: f64) -> (f64, f64) {
        let w0 = 2.0 * PI * (f0 / rate as f64).min(0.49);
        (w0.cos(), w0.sin() / (2.0 * q))
    }

    pub fn low_shelf(rate: u32, f0: f64, gain_db: f64, q: f64) -> Coeffs {
        let a = 10f64.powf(gain_db / 40.0);
        let (cw, alpha) = Self::prewarp(rate, f0, q);
        let s = 2.0 * a.sqrt() * alpha;
        Self::norm(
            a * ((a + 1.0) - (a - 1.0) * cw + s),
            2.0 * a * ((a - 1.0) - (a + 1.0) * cw),
            a * ((a + 1.0) - (a - 1.0) * cw - s),
            (a + 1.0) + (a - 1.0) * cw + s,
            -2.0 * ((a - 1.0) + (a + 1.0) * cw),
            (a + 1.0) + (a - 1.0) * cw - s,
        )
    }

    pub fn high_shelf(rate: u32, f0: f64, gain_db: f64, q: f64) -> Coeffs {
        let a = 10f64.powf(gain_db / 40.0);
        let (cw, alpha) = Self::prewarp(rate, f0, q);
        let s = 2.0 * a.sqrt() * alpha;
        Self::norm(
            a * ((a + 1.0) + (a - 1.0) * cw + s),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * cw),
            a * ((a + 1.0) + (a - 1.0) * cw - s),
            (a + 1.0) - (a - 1.0) * cw + s,
            2.0 * ((a - 1.0) - (a + 1.0) * cw),
            (a + 1.0) - (a - 1.0) * cw - s,
        )
    }

    pub fn high_pass(rate: u32, f0: f64, q: f64) -> Coeffs {
        let (cw, alpha) = Self::prewarp(rate, f0, q);
        Self::norm(
            (1.0 + cw) / 2.0,
            -(1.0 + cw),
            (1.0 + cw) / 2.0,
            1.0 + alpha,
            -2.0 * cw,
            1.0 - alpha,
        )
    }

    /// The two stages of the BS.1770 K-weighting filter at `rate` (libebur128's design).
    pub fn k_weighting(rate: u32) -> [Coeffs; 2] {
        let rate = rate as f64;
        let f0 = 1681.974450955533;
        let g = 3.999843853973347;
        let q = 0.7071752369554196;
        let k = (PI * f0 / rate).tan();
        let vh = 10f64.powf(g / 20.0);
        let vb = vh.powf(0.4996667741545416);
        let a0 = 1.0 + k / q + k * k;
        let shelf = Coeffs::norm(
            vh + vb * k / q + k * k,
            2.0 * (k * k - vh),
            vh - vb * k / q + k * k,
            a0,
            2.0 * (k * k - 1.0),
            1.0 - k / q + k * k,
        );
        let f0 = 38.13547087602444;
        let q = 0.5003270373238773;
        let k = (PI * f0 / rate).tan();
        let hp = Coeffs::norm(
            1.0,
            -2.0,
            1.0,
            1.0 + k / q + k * k,
            2.0 * (k * k - 1.0),
            1.0 - k / q + k * k,
        );
        [shelf, hp]
    }

    /// Power gain |H(f)|² at frequency `f`.
    pub fn power_at(&self, f: f64, rate: u32) -> f64 {
        let w = 2.0 * PI * f / rate as f64;
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let nr = self.b0 + self.b1 * c1 + self.b2 * c2;
        let ni = -(self.b1 * s1 + self.b2 * s2);
        let dr = 1.0 + self.a1 * c1 + self.a2 * c2;
        let di = -(self.a1 * s1 + self.a2 * s2);
        (nr * nr + ni * ni) / (dr * dr + di * di)
    }
}

/// A stereo biquad, transposed direct form II, f64 state.
#[derive(Clone, Debug)]
pub struct Biquad {
    c: Coeffs,
    s: [[f64; 2]; 2],
}

impl Biquad {
    pub fn new(c: Coeffs) -> Biquad {
        Biquad {
            c,
            s: [[0.0; 2]; 2],
        }
    }

    #[inline(always)]
    pub fn tick(&mut self, x: [f64; 2]) -> [f64; 2] {
        let c = &self.c;
        let mut y = [0.0; 2];
        for ch in 0..2 {
            let s = &mut self.s[ch];
            let out = c.b0 * x[ch] + s[0];
            s[0] = c.b1 * x[ch] - c.a1 * out + s[1];
            s[1] = c.b2 * x[ch] - c.a2 * out;
            y[ch] = out;
        }
        y
    }
}
