//! Decode one cached FLAC chunk file from memory to samples.
//!
//! The frames are first proven intact by [`flac_frames::parse_chunk`] (every CRC, the sample
//! count), then decoded with symphonia's FLAC decoder, inside `catch_unwind` so that a decoder
//! panic on hostile bytes becomes an error. Integer samples are kept for the FLAC re-encode
//! (exact); the lossy encoders take `x / 2^(bits-1)` as f32, which is exact for 16 and 24 bits
//! and is the same scaling `auralis_source` uses when it decodes a FLAC file.
//!
//! Not for: files on disk (that is `auralis_source::Source`), formats other than FLAC.

use std::io::Cursor;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::flac_frames::{parse_chunk, rewrite_frame, stream_header, Chunk, MIN_BLOCK};
use crate::{Frame, TranscodeError};

/// Sample rate, bit depth and length of a chunk file, read from its STREAMINFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    pub rate: u32,
    pub bits: u32,
    pub samples: u64,
}

/// A decoded chunk file.
#[derive(Clone, Debug)]
pub struct DecodedChunk {
    pub info: ChunkInfo,
    /// Stereo samples scaled to [-1, 1): `integer / 2^(bits-1)`.
    pub frames: Vec<Frame>,
}

/// Check a chunk file completely (every frame's CRCs and the sample count) and return its
/// STREAMINFO facts, without decoding.
pub fn chunk_info(bytes: &[u8]) -> Result<ChunkInfo, TranscodeError> {
    let c =
        parse_chunk(bytes).map_err(|detail| TranscodeError::InvalidChunk { index: 0, detail })?;
    Ok(info_of(&c))
}

pub(crate) fn info_of(c: &Chunk<'_>) -> ChunkInfo {
    ChunkInfo {
        rate: c.info.rate,
        bits: c.info.bits,
        samples: c.frames.iter().map(|f| u64::from(f.block)).sum(),
    }
}

/// Decode a stereo FLAC chunk file to f32 frames (the input of the lossy encoders).
pub fn decode_chunk(bytes: &[u8]) -> Result<DecodedChunk, TranscodeError> {
    let c =
        parse_chunk(bytes).map_err(|detail| TranscodeError::InvalidChunk { index: 0, detail })?;
    let info = info_of(&c);
    let ints =
        decode_i32(&c).map_err(|detail| TranscodeError::InvalidChunk { index: 0, detail })?;
    Ok(DecodedChunk {
        info,
        frames: to_f32(&ints, info.bits),
    })
}

/// Integer samples → f32 in [-1, 1).
pub(crate) fn to_f32(ints: &[[i32; 2]], bits: u32) -> Vec<Frame> {
    let scale = 1.0 / (1u64 << (bits.clamp(1, 32) - 1)) as f64;
    ints.iter()
        .map(|f| [(f[0] as f64 * scale) as f32, (f[1] as f64 * scale) as f32])
        .collect()
}

/// Decode an already-parsed chunk to integer stereo samples (exactly `sum(blocks)` of them).
pub(crate) fn decode_i32(c: &Chunk<'_>) -> Result<Vec<[i32; 2]>, String> {
    decode_frames(c, 0..c.frames.len())
}

/// Decode frames `range` of a parsed chunk. For part of a chunk, those frames alone are put
/// under a STREAMINFO of their own (headers rewritten to sample numbers from 0, see
/// `flac_frames`) and decoded, so cutting one frame out of a chunk does not decode the rest.
pub(crate) fn decode_frames(c: &Chunk<'_>, range: Range<usize>) -> Result<Vec<[i32; 2]>, String> {
    if c.info.channels != 2 {
        return Err(format!("{} channels (stereo expected)", c.info.channels));
    }
    let frames = c
        .frames
        .get(range.clone())
        .ok_or("frame range out of bounds")?;
    let expected: u64 = frames.iter().map(|f| u64::from(f.block)).sum();
    let bytes = if range == (0..c.frames.len()) {
        c.bytes.to_vec()
    } else {
        let max_block = c.info.max_block.max(MIN_BLOCK as u32 + 1);
        let mut b = stream_header(c.info.rate, c.info.bits, max_block, expected)?.to_vec();
        let mut at = 0;
        for f in frames {
            rewrite_frame(c.bytes, f, at, &mut b)?;
            at += u64::from(f.block);
        }
        b
    };
    let bits = c.info.bits;
    let samples = catch_unwind(AssertUnwindSafe(|| decode_symphonia(bytes, bits)))
        .map_err(|_| "the FLAC decoder panicked".to_string())??;
    if samples.len() as u64 != expected {
        return Err(format!(
            "decoded {} samples, the frames hold {expected}",
            samples.len()
        ));
    }
    Ok(samples)
}

fn decode_symphonia(bytes: Vec<u8>, bits: u32) -> Result<Vec<[i32; 2]>, String> {
    let err = |e: symphonia::core::errors::Error| e.to_string();
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("flac");
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(err)?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or("no audio track")?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or("no audio parameters")?
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(err)?;
    // symphonia returns FLAC samples left-aligned in i32.
    let shift = 32 - bits.clamp(1, 32);
    let mut out = Vec::new();
    let mut buf: Vec<i32> = Vec::new();
    while let Some(packet) = format.next_packet().map_err(err)? {
        if packet.track_id != track_id {
            continue;
        }
        let block = decoder.decode(&packet).map_err(err)?;
        if block.spec().channels().count() != 2 {
            return Err("decoded block is not stereo".into());
        }
        buf.resize(block.samples_interleaved(), 0);
        block.copy_to_slice_interleaved(&mut buf);
        out.extend(buf.chunks_exact(2).map(|f| [f[0] >> shift, f[1] >> shift]));
    }
    Ok(out)
}
