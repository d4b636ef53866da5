//! The seam the `stream` endpoint uses: chunk files in, stream bytes out, in any of the three
//! formats. FLAC passes the chunks' frames through ([`FlacConcat`]); Opus and MP3 decode each
//! chunk and feed the samples to their encoder. The start offset (`first_skip`) and the
//! announced length are handled the same way for all three.
//!
//! Not for: fetching chunks (the cache), choosing the format ([`crate::policy`]), raw files.

use auralis_encode::BitDepth;

use crate::chunk::{decode_i32, to_f32};
use crate::flac_frames::parse_chunk;
use crate::mp3::Mp3Encoder;
use crate::opus::{opus_output_len, OpusEncoder};
use crate::policy::StreamFormat;
use crate::{FlacConcat, FrameEncoder, TranscodeError};

enum Kind {
    Flac(FlacConcat),
    Lossy(Box<dyn FrameEncoder>),
}

/// Chunk files → one stream. See the module docs.
pub struct ChunkTranscoder {
    kind: Kind,
    format: StreamFormat,
    rate: u32,
    total: u64,
    first_skip: u64,
    chunks: u64,
    pushed: u64,
}

impl std::fmt::Debug for ChunkTranscoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkTranscoder")
            .field("format", &self.format)
            .field("rate", &self.rate)
            .field("total", &self.total)
            .field("chunks", &self.chunks)
            .finish()
    }
}

impl ChunkTranscoder {
    /// A stream of `total_samples` samples (the track's length minus the start offset) of
    /// chunks at `rate` and `depth`, starting `first_skip` samples into the first chunk pushed.
    /// `format` must not be [`StreamFormat::Raw`] (the original file is not made of chunks).
    pub fn new(
        format: StreamFormat,
        rate: u32,
        depth: BitDepth,
        total_samples: u64,
        first_skip: u64,
    ) -> Result<Self, TranscodeError> {
        let kind = match format {
            StreamFormat::Raw => {
                return Err(TranscodeError::Unsupported(
                    "raw streams are the original file, not chunks".into(),
                ))
            }
            StreamFormat::Flac => {
                Kind::Flac(FlacConcat::new(rate, depth, total_samples, first_skip)?)
            }
            StreamFormat::Opus { kbps } => Kind::Lossy(Box::new(OpusEncoder::new(rate, kbps)?)),
            StreamFormat::Mp3 { kbps } => {
                Kind::Lossy(Box::new(Mp3Encoder::new(rate, kbps, total_samples)?))
            }
        };
        Ok(Self {
            kind,
            format,
            rate,
            total: total_samples,
            first_skip,
            chunks: 0,
            pushed: 0,
        })
    }

    /// The format being produced.
    pub fn format(&self) -> StreamFormat {
        self.format
    }

    /// Sample rate of the decoded stream (Opus is always 48 kHz).
    pub fn output_rate(&self) -> u32 {
        match self.format {
            StreamFormat::Opus { .. } => 48_000,
            _ => self.rate,
        }
    }

    /// Samples a decoder will produce, at [`Self::output_rate`].
    pub fn decoded_len(&self) -> u64 {
        match self.format {
            StreamFormat::Opus { .. } => opus_output_len(self.total, self.rate),
            _ => self.total,
        }
    }

    /// Duration in seconds (`X-Content-Duration`).
    pub fn duration_secs(&self) -> f64 {
        self.total as f64 / f64::from(self.rate.max(1))
    }

    /// The exact byte length of the whole stream when it is known before encoding
    /// (`Content-Length`): MP3 only (CBR). FLAC and Opus sizes depend on the audio.
    pub fn exact_len(&self) -> Option<u64> {
        match self.format {
            StreamFormat::Mp3 { kbps } => Mp3Encoder::stream_len(self.rate, kbps, self.total).ok(),
            _ => None,
        }
    }

    /// Append the next chunk file of the track.
    pub fn push_chunk(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        self.push_chunk_in_parts(bytes, out, usize::MAX, |_| {})
    }

    /// [`Self::push_chunk`], feeding a lossy encoder `part_frames` frames at a time and calling
    /// `ready(out)` after each part, so a caller can send the first bytes of a stream before the
    /// whole first chunk is encoded (a 10 s chunk takes 110-150 ms to encode; its first second
    /// a tenth of that). `ready` may take what is in `out`. FLAC has one part (its frames are
    /// copied, not encoded).
    pub fn push_chunk_in_parts(
        &mut self,
        bytes: &[u8],
        out: &mut Vec<u8>,
        part_frames: usize,
        mut ready: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), TranscodeError> {
        let index = self.chunks;
        match &mut self.kind {
            Kind::Flac(f) => f.push_chunk(bytes, out)?,
            Kind::Lossy(enc) => {
                let invalid = |detail: String| TranscodeError::InvalidChunk { index, detail };
                let chunk = parse_chunk(bytes).map_err(invalid)?;
                if chunk.info.rate != self.rate {
                    return Err(TranscodeError::Mismatch {
                        index,
                        detail: format!("{} Hz, the stream is {} Hz", chunk.info.rate, self.rate),
                    });
                }
                let ints = decode_i32(&chunk).map_err(invalid)?;
                let skip = if index == 0 { self.first_skip } else { 0 };
                let from = usize::try_from(skip).unwrap_or(usize::MAX);
                let ints = ints.get(from..).ok_or_else(|| TranscodeError::Mismatch {
                    index,
                    detail: format!(
                        "start offset {skip} is beyond the chunk's {} samples",
                        ints.len()
                    ),
                })?;
                if self.pushed + ints.len() as u64 > self.total {
                    return Err(TranscodeError::Mismatch {
                        index,
                        detail: format!(
                            "the stream would reach {} samples, {} were announced",
                            self.pushed + ints.len() as u64,
                            self.total
                        ),
                    });
                }
                self.pushed += ints.len() as u64;
                for part in to_f32(ints, chunk.info.bits).chunks(part_frames.max(1)) {
                    enc.push(part, out)?;
                    ready(out);
                }
            }
        }
        if matches!(self.kind, Kind::Flac(_)) {
            ready(out);
        }
        self.chunks += 1;
        Ok(())
    }

    /// End the stream (every announced sample must have been pushed).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        match &mut self.kind {
            Kind::Flac(f) => f.finish(out),
            Kind::Lossy(enc) => {
                // Finish first (a finished encoder then refuses more), then report a short stream.
                enc.finish(out)?;
                if self.pushed != self.total {
                    return Err(TranscodeError::Length {
                        expected: self.total,
                        actual: self.pushed,
                    });
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_can_move_to_another_thread() {
        // The server runs the encoding on a blocking thread and hands the bytes to the body.
        fn assert_send<T: Send>() {}
        assert_send::<ChunkTranscoder>();
        assert_send::<FlacConcat>();
        assert_send::<OpusEncoder>();
        assert_send::<Mp3Encoder>();
    }
}
