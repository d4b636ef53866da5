//! Building blocks: RBJ-cookbook biquad designs in f64 and the BS.1770 K-weighting filter.
//!
//! Not for: running filters (the stereo biquad itself is `auralis_analysis::StereoBiquad`).

use std::f64::consts::PI;

use auralis_analysis::StereoBiquad;

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

    /// The two stages of the BS.1770 K-weighting filter at `rate` (the analysis's meter).
    pub fn k_weighting(rate: u32) -> [Coeffs; 2] {
        auralis_analysis::meter::k_weighting(rate).map(|[b0, b1, b2, a1, a2]| Coeffs {
            b0,
            b1,
            b2,
            a1,
            a2,
        })
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

/// A stereo biquad (the analysis's [`StereoBiquad`], direct form I, both channels at once).
pub type Biquad = StereoBiquad;

/// Builds a [`Biquad`] from coefficients.
pub fn biquad(c: Coeffs) -> Biquad {
    StereoBiquad::new([c.b0, c.b1, c.b2, c.a1, c.a2])
}
