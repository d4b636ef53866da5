//! Channel layout → stereo.
//!
//! * 1 channel: `L = R = x`.
//! * 2 channels: unchanged (whatever their labels).
//! * More: ITU-R BS.775 style, per speaker position (`c = 1/√2 ≈ 0.7071`):
//!   - FL → L 1.0, FR → R 1.0; FC → L c, R c;
//!   - rear/side/wide/centre-left/top-left/bottom-left positions → L c;
//!     the matching right positions → R c;
//!   - rear centre, top centre, top front/rear centre, bottom front centre → L c², R c² (0.5);
//!   - LFE1, LFE2 → dropped.
//!
//!   Example 5.1 (FL FR FC LFE RL RR): `L = FL + c·FC + c·RL`, `R = FR + c·FC + c·RR`.
//!   No normalisation: the result can exceed 1.0 (f32, no clipping here).
//! * Layouts without positions (discrete channels, custom labels, ambisonics) with more than
//!   two channels are interpreted in the default WAVE order for that count
//!   (FL FR FC LFE RL RR FLC FRC RC SL SR ...); channels beyond the 18 standard positions are
//!   dropped.

use symphonia::core::audio::{Channels, Position};

use crate::Frame;

const C: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Per-position (left, right) gains, by position bit index.
fn gains(bit: u32) -> (f32, f32) {
    let p = Position::from_bits_truncate(1u64 << bit);
    if p == Position::FRONT_LEFT {
        (1.0, 0.0)
    } else if p == Position::FRONT_RIGHT {
        (0.0, 1.0)
    } else if p == Position::FRONT_CENTER {
        (C, C)
    } else if p == Position::LFE1 || p == Position::LFE2 {
        (0.0, 0.0)
    } else if [
        Position::REAR_LEFT,
        Position::SIDE_LEFT,
        Position::FRONT_LEFT_CENTER,
        Position::FRONT_LEFT_WIDE,
        Position::TOP_FRONT_LEFT,
        Position::TOP_REAR_LEFT,
        Position::TOP_SIDE_LEFT,
        Position::BOTTOM_FRONT_LEFT,
    ]
    .contains(&p)
    {
        (C, 0.0)
    } else if [
        Position::REAR_RIGHT,
        Position::SIDE_RIGHT,
        Position::FRONT_RIGHT_CENTER,
        Position::FRONT_RIGHT_WIDE,
        Position::TOP_FRONT_RIGHT,
        Position::TOP_REAR_RIGHT,
        Position::TOP_SIDE_RIGHT,
        Position::BOTTOM_FRONT_RIGHT,
    ]
    .contains(&p)
    {
        (0.0, C)
    } else {
        // Centre-line positions (rear/top/bottom centre) and anything unknown.
        (0.5, 0.5)
    }
}

/// Default WAVE positions for `count` channels (the first `count` position bits, max 18).
pub fn default_positions(count: usize) -> Position {
    let n = count.min(18) as u32;
    if n == 0 {
        return Position::empty();
    }
    Position::from_bits_truncate((1u64 << n) - 1)
}

/// Downmix matrix for one layout.
#[derive(Debug, Default, Clone)]
pub struct Mixer {
    layout: Option<Channels>,
    channels: usize,
    /// (left, right) gain per input channel, in buffer order.
    matrix: Vec<(f32, f32)>,
}

impl Mixer {
    /// Number of input channels of the current layout.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Prepare for a layout (cheap when unchanged).
    pub fn configure(&mut self, layout: &Channels) {
        if self.layout.as_ref() == Some(layout) {
            return;
        }
        let count = layout.count();
        self.channels = count;
        self.matrix.clear();
        if count > 2 {
            let positions = match layout {
                Channels::Positioned(p) => *p,
                _ => default_positions(count),
            };
            let mut bits = positions.bits();
            while bits != 0 && self.matrix.len() < count {
                let bit = bits.trailing_zeros();
                self.matrix.push(gains(bit));
                bits &= bits - 1;
            }
            // Channels without a position: dropped.
            self.matrix.resize(count, (0.0, 0.0));
        }
        self.layout = Some(layout.clone());
    }

    /// Mix interleaved samples (`channels` per frame) into stereo frames.
    pub fn mix(&self, interleaved: &[f32], out: &mut Vec<Frame>) {
        match self.channels {
            0 => {}
            1 => out.extend(interleaved.iter().map(|&x| [x, x])),
            2 => out.extend(interleaved.chunks_exact(2).map(|f| [f[0], f[1]])),
            n => out.extend(interleaved.chunks_exact(n).map(|f| {
                let mut l = 0.0f32;
                let mut r = 0.0f32;
                for (x, (gl, gr)) in f.iter().zip(&self.matrix) {
                    l += x * gl;
                    r += x * gr;
                }
                [l, r]
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_one_uses_itu_coefficients() {
        let mut m = Mixer::default();
        let layout = Channels::Positioned(
            Position::FRONT_LEFT
                | Position::FRONT_RIGHT
                | Position::FRONT_CENTER
                | Position::LFE1
                | Position::REAR_LEFT
                | Position::REAR_RIGHT,
        );
        m.configure(&layout);
        let mut out = Vec::new();
        m.mix(&[0.1, 0.2, 0.3, 0.9, 0.4, 0.5], &mut out);
        let l = 0.1 + C * 0.3 + C * 0.4;
        let r = 0.2 + C * 0.3 + C * 0.5;
        assert!((out[0][0] - l).abs() < 1e-6, "{out:?}");
        assert!((out[0][1] - r).abs() < 1e-6, "{out:?}");
    }

    #[test]
    fn mono_and_stereo() {
        let mut m = Mixer::default();
        m.configure(&Channels::Discrete(1));
        let mut out = Vec::new();
        m.mix(&[0.25, -0.5], &mut out);
        assert_eq!(out, vec![[0.25, 0.25], [-0.5, -0.5]]);
        m.configure(&Channels::Discrete(2));
        out.clear();
        m.mix(&[0.25, -0.5], &mut out);
        assert_eq!(out, vec![[0.25, -0.5]]);
    }

    #[test]
    fn discrete_multichannel_uses_wave_order() {
        let mut m = Mixer::default();
        m.configure(&Channels::Discrete(3));
        let mut out = Vec::new();
        m.mix(&[1.0, 0.0, 1.0], &mut out);
        assert!((out[0][0] - (1.0 + C)).abs() < 1e-6);
        assert!((out[0][1] - C).abs() < 1e-6);
    }
}
