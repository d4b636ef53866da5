//! The waveform of a track's seek bar: the peak level of the original in a fixed number of equal
//! slices, built while the track is read from start to end (no second copy of the audio).
//!
//! Not for: drawing it, or resizing it for a request (the server pools the stored slices).

/// Slices stored per track.
pub const SLICES: usize = 4000;

/// Accumulates peaks of consecutive frames into `SLICES` slices of a track of `total` frames.
pub struct WaveformBuilder {
    total: u64,
    seen: u64,
    peaks: Vec<f32>,
}

impl WaveformBuilder {
    pub fn new(total: u64) -> Self {
        Self {
            total,
            seen: 0,
            peaks: vec![0.0; SLICES],
        }
    }

    /// The next frames of the track, in order.
    pub fn push(&mut self, frames: &[[f32; 2]]) {
        let total = self.total.max(1);
        for (i, [l, r]) in frames.iter().enumerate() {
            let at = self.seen + i as u64;
            let slice = ((at as u128 * SLICES as u128) / total as u128).min(SLICES as u128 - 1);
            let peak = l.abs().max(r.abs());
            let s = &mut self.peaks[slice as usize];
            if peak > *s {
                *s = peak;
            }
        }
        self.seen += frames.len() as u64;
    }

    /// The peaks as 0-255 (rounded up, so any sound shows).
    pub fn finish(self) -> Vec<u8> {
        self.peaks
            .into_iter()
            .map(|p| (p.clamp(0.0, 1.0) * 255.0).ceil() as u8)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_slice_holds_the_peak_of_its_span() {
        // 8000 frames: two per slice; a click at frame 4001 lands in slice 2000.
        let mut frames = vec![[0.1f32, -0.05]; 8000];
        frames[4001] = [0.0, -1.0];
        let mut w = WaveformBuilder::new(8000);
        for block in frames.chunks(333) {
            w.push(block);
        }
        let peaks = w.finish();
        assert_eq!(peaks.len(), SLICES);
        assert_eq!(peaks[2000], 255);
        assert_eq!(peaks[1999], 26); // ceil(0.1 * 255)
        assert_eq!(peaks.iter().filter(|p| **p == 255).count(), 1);
        // Silence stays zero; a very short track still fills its slices.
        let mut w = WaveformBuilder::new(10);
        w.push(&[[0.0, 0.0]; 10]);
        assert!(w.finish().iter().all(|p| *p == 0));
    }
}
