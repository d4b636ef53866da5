//! Streaming sample-rate conversion to 48 kHz for the Opus encoder (Opus has no 44.1 kHz).
//!
//! `rubato::Fft` with `FixedSync::Both`, as `auralis_source` resamples: fixed blocks of
//! `chunk_in` input frames give `chunk_out` output frames. The first `output_delay()` output
//! frames are the filter's start-up delay and are dropped, so output frame `k` is aligned with
//! input time `k · in / out`; at the end, zero blocks flush the filter until the output holds
//! exactly `ceil(N · out / in)` frames ([`output_len`], the same length `auralis_source`
//! gives a resampled file). The encoder's pre-skip therefore needs nothing for resampling.
//! What remains is below one sample: rubato's filter delay is 1199.5 output frames for
//! 44.1 → 48 kHz and `output_delay()` reports 1200, so the output leads the input by half a
//! 48 kHz sample (10 µs, measured in the tests), which no whole-sample pre-skip can express.
//!
//! Not for: random access (see `auralis_source::resample`), rates other than → 48 kHz.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::{Frame, TranscodeError};

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Frames out of `frames_in` input frames: `ceil(frames_in · out / in)`.
pub fn output_len(frames_in: u64, rate_in: u32, rate_out: u32) -> u64 {
    let g = gcd(u64::from(rate_in), u64::from(rate_out)).max(1);
    let (num, den) = (u64::from(rate_out) / g, u64::from(rate_in) / g);
    (u128::from(frames_in) * u128::from(num))
        .div_ceil(u128::from(den.max(1)))
        .min(u128::from(u64::MAX)) as u64
}

pub(crate) struct StreamResampler {
    fft: Fft<f32>,
    rate_in: u32,
    rate_out: u32,
    chunk_in: usize,
    chunk_out: usize,
    /// Start-up frames still to drop from the output.
    delay_left: usize,
    /// Input frames not yet processed (fewer than `chunk_in`).
    in_buf: Vec<Frame>,
    out_buf: Vec<Frame>,
    frames_in: u64,
    frames_out: u64,
}

impl StreamResampler {
    pub(crate) fn new(rate_in: u32, rate_out: u32) -> Result<Self, TranscodeError> {
        let chunk_hint = (rate_in as usize / 20).max(64);
        let fft = Fft::<f32>::new(
            rate_in as usize,
            rate_out as usize,
            chunk_hint,
            2,
            FixedSync::Both,
        )
        .map_err(|e| TranscodeError::Resample(format!("{rate_in} -> {rate_out} Hz: {e}")))?;
        let chunk_in = fft.input_frames_next();
        let chunk_out = fft.output_frames_next();
        let delay_left = fft.output_delay();
        Ok(Self {
            fft,
            rate_in,
            rate_out,
            chunk_in,
            chunk_out,
            delay_left,
            in_buf: Vec::with_capacity(chunk_in),
            out_buf: vec![[0.0; 2]; chunk_out],
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Resample `frames`; append every output frame that is ready to `out`.
    pub(crate) fn push(
        &mut self,
        mut frames: &[Frame],
        out: &mut Vec<Frame>,
    ) -> Result<(), TranscodeError> {
        self.frames_in += frames.len() as u64;
        while !frames.is_empty() {
            let take = (self.chunk_in - self.in_buf.len()).min(frames.len());
            self.in_buf.extend_from_slice(&frames[..take]);
            frames = &frames[take..];
            if self.in_buf.len() == self.chunk_in {
                self.process_block(out, u64::MAX)?;
            }
        }
        Ok(())
    }

    /// Flush: append the remaining output so that the total is exactly
    /// `output_len(frames_in)`.
    pub(crate) fn finish(&mut self, out: &mut Vec<Frame>) -> Result<(), TranscodeError> {
        let target = output_len(self.frames_in, self.rate_in, self.rate_out);
        while self.frames_out < target {
            self.in_buf.resize(self.chunk_in, [0.0; 2]);
            self.process_block(out, target)?;
        }
        Ok(())
    }

    /// Run the full `in_buf` through the filter, drop start-up frames, emit at most up to
    /// `limit` total output frames.
    fn process_block(&mut self, out: &mut Vec<Frame>, limit: u64) -> Result<(), TranscodeError> {
        {
            let input = InterleavedSlice::new(self.in_buf.as_flattened(), 2, self.chunk_in);
            let output =
                InterleavedSlice::new_mut(self.out_buf.as_flattened_mut(), 2, self.chunk_out);
            match (input, output) {
                (Ok(i), Ok(mut o)) => {
                    self.fft
                        .process_into_buffer(&i, &mut o, None)
                        .map_err(|e| TranscodeError::Resample(e.to_string()))?;
                }
                _ => return Err(TranscodeError::Internal("resampler buffer sizes".into())),
            }
        }
        self.in_buf.clear();
        let skip = self.delay_left.min(self.chunk_out);
        self.delay_left -= skip;
        let ready = &self.out_buf[skip..];
        let room = limit
            .saturating_sub(self.frames_out)
            .min(ready.len() as u64) as usize;
        out.extend_from_slice(&ready[..room]);
        self.frames_out += room as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_exact_and_independent_of_push_sizes() {
        let n = 44_100 + 777;
        let input: Vec<Frame> = (0..n)
            .map(|i| {
                let x = (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 44_100.0).sin() * 0.5;
                [x, -x]
            })
            .collect();
        let run = |step: usize| {
            let mut r = StreamResampler::new(44_100, 48_000).unwrap();
            let mut out = Vec::new();
            for c in input.chunks(step) {
                r.push(c, &mut out).unwrap();
            }
            r.finish(&mut out).unwrap();
            out
        };
        let a = run(1000);
        let b = run(4096 + 13);
        assert_eq!(a.len() as u64, output_len(n as u64, 44_100, 48_000));
        assert_eq!(a, b);
        // Delay compensated: a 440 Hz sine at 48 kHz, compared away from the edges, with the
        // filter's residual half-sample lead (see the module docs).
        let mut err = 0.0f32;
        for (k, f) in a.iter().enumerate().skip(2000).take(40_000) {
            let t = k as f32 + 0.5;
            let x = (t * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0).sin() * 0.5;
            err = err.max((f[0] - x).abs());
        }
        // rubato's FFT filter is accurate to about -50 dB here (amplitude and phase together).
        assert!(err < 3e-3, "max error {err}");
    }

    #[test]
    fn output_len_rounds_up() {
        assert_eq!(output_len(0, 44_100, 48_000), 0);
        assert_eq!(output_len(1, 44_100, 48_000), 2);
        assert_eq!(output_len(147, 44_100, 48_000), 160);
        assert_eq!(output_len(148, 44_100, 48_000), 162);
        assert_eq!(output_len(1000, 48_000, 48_000), 1000);
    }
}
