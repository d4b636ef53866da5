//! Subsonic `stream` encoders: one continuous stream (FLAC, Ogg Opus or MP3) built from a
//! track's cached 10-second FLAC chunk files, incrementally (push input, take output bytes), so
//! an HTTP body can stream a track without holding it.
//!
//! - [`FlacConcat`]: the chunks' FLAC frames under one STREAMINFO, headers rewritten, no
//!   re-encode (bit-exact); a start offset re-encodes one frame.
//! - [`OpusEncoder`]: Ogg Opus through libopus (`opusic-c`, the same `opusic-sys` the decoder
//!   uses), 20 ms frames, constrained VBR under the requested bitrate, 44.1 kHz resampled to
//!   48 kHz with `rubato`; pre-skip and the end granule make the decoded length exact.
//! - [`Mp3Encoder`]: CBR MP3 through LAME (`mp3lame-encoder`) with the Xing/Info + LAME tag
//!   (frame count, encoder delay and padding) written *first*, predicted from the announced
//!   length and checked against LAME's own tag at the end.
//! - [`ChunkTranscoder`]: any of the three fed with chunk files, for the HTTP body.
//! - [`policy`]: which format and bitrate to send for a request's `format` and `maxBitRate`.
//!
//! All audio between stages is stereo f32 `[f32; 2]` at 44.1 or 48 kHz. Nothing panics on bad
//! input: damaged chunks, wrong lengths and impossible parameters are [`TranscodeError`]s.
//!
//! Not for: HTTP, caching or choosing chunks (the server and cache crates), mastering (render).

mod chunk;
mod error;
mod flac_frames;
mod flac_stream;
mod mix;
mod mp3;
mod opus;
pub mod policy;
mod resample;
mod transcoder;

pub use chunk::{chunk_info, decode_chunk, ChunkInfo, DecodedChunk};
pub use error::TranscodeError;
pub use flac_frames::STREAM_HEADER_LEN as FLAC_HEADER_LEN;
pub use flac_stream::{flac_header, FlacConcat, MAX_BLOCK as FLAC_MAX_BLOCK};
pub use mix::mix_chunks;
pub use mp3::{mp3_bitrate_at_most, Mp3Encoder, MP3_BITRATES};
pub use opus::{
    opus_output_len, target_bps as opus_target_bps, OpusEncoder, OPUS_FRAME, OPUS_KBPS_RANGE,
};
pub use policy::{choose_stream, LossyCodec, StreamDefaults, StreamFormat};
pub use transcoder::ChunkTranscoder;

/// One stereo sample frame.
pub type Frame = [f32; 2];

/// Interleave `frames` into `out` with NaN/±∞ replaced by 0 and every sample clamped to
/// [-1, 1]. The mastered audio is already under -1 dBTP, so this only guards the C encoders:
/// LAME (built with its assertions) aborts the process on a NaN, and libopus documents ±1 as
/// its range.
pub(crate) fn sanitize_into(frames: &[Frame], out: &mut Vec<f32>) {
    out.extend(frames.as_flattened().iter().map(|&x| {
        if x.is_finite() {
            x.clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }));
}

/// A lossy encoder fed with f32 frames: [`OpusEncoder`] and [`Mp3Encoder`].
pub trait FrameEncoder: Send {
    /// Encode `frames`; append whatever output is ready to `out`.
    fn push(&mut self, frames: &[Frame], out: &mut Vec<u8>) -> Result<(), TranscodeError>;
    /// Flush the encoder and end the stream; append the last bytes to `out`.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TranscodeError>;
}
