//! Encode stereo f32 frames to standalone FLAC files (one per chunk, or one per track).
//!
//! Every file is a complete FLAC stream ("fLaC", STREAMINFO with the exact total sample count
//! and the MD5 of the samples, fixed 4096-sample frames) that browsers decode with
//! `decodeAudioData`.
//!
//! Quantisation ([`quantize`]): `round(x * 2^(bits-1) [+ d])`, clamped to the integer range
//! (never wrapped), NaN → 0. Without dither, samples on the integer grid come back exactly
//! (the "original" variant is bit-exact to a 16-bit source). With dither, `d` is TPDF noise
//! (±1 LSB, triangular) that is a pure hash of the absolute sample position and channel, so a
//! chunk encoded alone has exactly the samples of that region of the whole track.
//!
//! Speed: flacenc's default search encodes L, R, mid and side fully for every block and keeps
//! the best pair. Auralis estimates the four costs from a cheap fixed-predictor residual and
//! encodes the chosen pair only ([`StereoMode::Estimate`]) with its own subframe encoder
//! (fixed predictors 0-4, one LPC of order 8, partitioned Rice coding, plain f64 arithmetic
//! — flacenc's analysis calls libm `fma` on baseline x86-64); flacenc writes the frame
//! headers and STREAMINFO. [`write_flac_parallel`] encodes a whole buffer on several threads
//! (block-aligned segments, one sequential MD5 pass), byte-identical to [`FlacWriter`].
//! `auralis bench` reports the speed and the ratio against flacenc's configurations.
//!
//! Not for: resampling, decoding, or any DSP other than quantisation.

mod native;
mod parallel;
mod quantize;
mod writer;

use std::io::Cursor;

pub use parallel::{write_flac_parallel, ParallelFlacWriter, SEGMENT_BLOCKS};
pub use quantize::{quantize, quantize_planar, tpdf, tpdf_pair, DITHER_FLOOR_LSB};
pub use writer::{fast_config, EncoderSettings, FlacWriter, StereoMode, BLOCK_SIZE};

/// Output sample format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BitDepth {
    Sixteen,
    TwentyFour,
}

impl BitDepth {
    pub fn bits(self) -> u32 {
        match self {
            BitDepth::Sixteen => 16,
            BitDepth::TwentyFour => 24,
        }
    }
}

/// 16-bit for 16-bit (or lower, or lossy) sources, 24-bit for anything with more resolution.
pub fn bit_depth_for(bits_per_sample: Option<u32>) -> BitDepth {
    match bits_per_sample {
        Some(b) if b > 16 => BitDepth::TwentyFour,
        _ => BitDepth::Sixteen,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("FLAC cannot store sample rate {0} Hz")]
    SampleRate(u32),
    #[error("FLAC encoder failed: {0}")]
    Flac(String),
    #[error("stream too long for FLAC (more than 2^31 frames)")]
    TooLong,
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A standalone FLAC file of these frames (see the crate docs for quantisation and dither).
/// `first_sample` is the absolute position of `frames[0]` in its track.
pub fn encode_flac(
    frames: &[[f32; 2]],
    rate: u32,
    depth: BitDepth,
    first_sample: u64,
    dither: bool,
) -> Result<Vec<u8>, EncodeError> {
    encode_flac_with(
        frames,
        rate,
        depth,
        first_sample,
        dither,
        &EncoderSettings::fast(),
    )
}

/// Bytes to reserve for the FLAC of `frames`: compressed size is usually < 60% of the PCM.
fn capacity_hint(frames: &[[f32; 2]], depth: BitDepth) -> usize {
    64 + frames.len() * (depth.bits() as usize / 8) * 2 * 6 / 10
}

/// [`encode_flac`] with explicit encoder settings (benchmarks compare configurations).
pub fn encode_flac_with(
    frames: &[[f32; 2]],
    rate: u32,
    depth: BitDepth,
    first_sample: u64,
    dither: bool,
    settings: &EncoderSettings,
) -> Result<Vec<u8>, EncodeError> {
    let out = Cursor::new(Vec::with_capacity(capacity_hint(frames, depth)));
    let mut w =
        FlacWriter::with_settings(out, rate, depth, first_sample, dither, settings.clone())?;
    w.write(frames)?;
    Ok(w.finish()?.into_inner())
}

/// [`encode_flac`] on up to `threads` threads (segments of [`SEGMENT_BLOCKS`] blocks encoded
/// in parallel, see [`write_flac_parallel`]); the same bytes. The chunk renderer uses it for
/// the processed variant, whose encode is the last step on its thread while the original's
/// thread is already done.
pub fn encode_flac_threads(
    frames: &[[f32; 2]],
    rate: u32,
    depth: BitDepth,
    first_sample: u64,
    dither: bool,
    threads: usize,
) -> Result<Vec<u8>, EncodeError> {
    if threads <= 1 || frames.len() <= SEGMENT_BLOCKS * BLOCK_SIZE {
        return encode_flac(frames, rate, depth, first_sample, dither);
    }
    let out = write_flac_parallel(
        Cursor::new(Vec::with_capacity(capacity_hint(frames, depth))),
        frames,
        rate,
        depth,
        first_sample,
        dither,
        &EncoderSettings::fast(),
        threads,
        |_| {},
    )?;
    Ok(out.into_inner())
}

/// Already-quantised integer frames to a standalone FLAC file (values must fit `depth`).
pub fn encode_flac_i32(
    frames: &[[i32; 2]],
    rate: u32,
    depth: BitDepth,
) -> Result<Vec<u8>, EncodeError> {
    let max = (1i64 << (depth.bits() - 1)) - 1;
    let min = -(1i64 << (depth.bits() - 1));
    if frames
        .iter()
        .flatten()
        .any(|&v| (v as i64) < min || (v as i64) > max)
    {
        return Err(EncodeError::Flac(format!(
            "sample out of range for {} bits",
            depth.bits()
        )));
    }
    let mut w = FlacWriter::new(Cursor::new(Vec::new()), rate, depth, 0, false)?;
    w.write_i32(frames)?;
    Ok(w.finish()?.into_inner())
}
