//! Resampling to the output rate on a fixed block grid, so that random access is bit-exact.
//!
//! `rubato::Fft` with `FixedSync::Both` processes one FFT block per call: `chunk_in` source
//! frames → `chunk_out` output frames (`chunk_in` ≈ 50 ms, a multiple of `rate / gcd`). Its only
//! state is the overlap-add tail of the previous block, which depends on the previous block's
//! input alone. The grid is fixed from source frame 0: block `j` takes source frames
//! `[j·chunk_in, (j+1)·chunk_in)` (zero past the end). The "raw" output is the concatenation of
//! the blocks' outputs starting from a reset resampler; output frame `n` is raw frame
//! `n + delay` (`delay = output_delay()`, the same trim as `process_all`), and the output has
//! `ceil(frames_in · out / in)` frames (again as `process_all`).
//!
//! Block `j` alone is therefore reproduced exactly by: reset, process block `j-1` (discard),
//! process block `j`. A read continues from the cached state when it follows the previous one.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::{Frame, Native, SourceError};

pub(crate) struct Resampled {
    native: Native,
    fft: Fft<f32>,
    chunk_in: u64,
    chunk_out: u64,
    delay: u64,
    frames: u64,
    /// The block whose output is in `out_buf`, the resampler state being "after that block".
    last_block: Option<u64>,
    in_buf: Vec<Frame>,
    out_buf: Vec<Frame>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Resampled {
    pub(crate) fn new(native: Native, rate_out: u32) -> Result<Self, String> {
        let rate_in = native.rate;
        let chunk_hint = (rate_in as usize / 20).max(64);
        let fft = Fft::<f32>::new(
            rate_in as usize,
            rate_out as usize,
            chunk_hint,
            2,
            FixedSync::Both,
        )
        .map_err(|e| format!("resampler {rate_in} -> {rate_out} Hz: {e}"))?;
        let chunk_in = fft.input_frames_next() as u64;
        let chunk_out = fft.output_frames_next() as u64;
        let delay = fft.output_delay() as u64;
        // ceil(n * out / in), computed exactly.
        let g = gcd(u64::from(rate_in), u64::from(rate_out));
        let (num, den) = (u64::from(rate_out) / g, u64::from(rate_in) / g);
        let frames = ((u128::from(native.frames) * u128::from(num)).div_ceil(u128::from(den)))
            .min(u128::from(u64::MAX)) as u64;
        Ok(Resampled {
            native,
            fft,
            chunk_in,
            chunk_out,
            delay,
            frames,
            last_block: None,
            in_buf: Vec::new(),
            out_buf: Vec::new(),
        })
    }

    pub(crate) fn native(&self) -> &Native {
        &self.native
    }

    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    /// Run block `j` through the resampler (state must be "after block j-1").
    fn process_block(&mut self, j: u64) -> Result<(), SourceError> {
        let start = j * self.chunk_in;
        let end = (start + self.chunk_in).min(self.native.frames);
        self.in_buf.clear();
        if start < end {
            self.native.read_into(start, end, &mut self.in_buf)?;
        }
        self.in_buf.resize(self.chunk_in as usize, [0.0, 0.0]);
        self.out_buf.clear();
        self.out_buf.resize(self.chunk_out as usize, [0.0, 0.0]);
        let res = {
            let input =
                InterleavedSlice::new(self.in_buf.as_flattened(), 2, self.chunk_in as usize);
            let output = InterleavedSlice::new_mut(
                self.out_buf.as_flattened_mut(),
                2,
                self.chunk_out as usize,
            );
            match (input, output) {
                (Ok(i), Ok(mut o)) => self
                    .fft
                    .process_into_buffer(&i, &mut o, None)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                _ => Err("resampler buffer size".to_string()),
            }
        };
        res.map_err(|detail| SourceError::Decode {
            path: self.native.path.clone(),
            position: start,
            detail,
        })?;
        self.last_block = Some(j);
        Ok(())
    }

    /// Make `out_buf` hold block `j`.
    fn ensure_block(&mut self, j: u64) -> Result<(), SourceError> {
        match self.last_block {
            Some(k) if k == j => return Ok(()),
            Some(k) if k + 1 == j => return self.process_block(j),
            _ => {}
        }
        self.fft.reset();
        self.last_block = None;
        if j > 0 {
            self.process_block(j - 1)?;
        }
        self.process_block(j)
    }

    pub(crate) fn read(&mut self, a: u64, b: u64) -> Result<Vec<Frame>, SourceError> {
        let mut out = Vec::with_capacity((b - a) as usize);
        let (raw_a, raw_b) = (a + self.delay, b + self.delay);
        let mut pos = raw_a;
        while pos < raw_b {
            let j = pos / self.chunk_out;
            self.ensure_block(j)?;
            let block_start = j * self.chunk_out;
            let from = (pos - block_start) as usize;
            let to = ((raw_b - block_start).min(self.chunk_out)) as usize;
            out.extend_from_slice(&self.out_buf[from..to]);
            pos = block_start + to as u64;
        }
        Ok(out)
    }
}
