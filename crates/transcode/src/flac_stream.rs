//! One continuous FLAC stream from a track's cached FLAC chunk files, without re-encoding.
//!
//! Output: `fLaC` + one STREAMINFO (total samples of the streamed part, announced up front;
//! MD5 and frame sizes 0 = unknown; minimum block 16, maximum 4096) and then the frames of
//! every chunk, in order, each rewritten as a variable-blocksize frame whose header carries its
//! sample number in the new stream (see `flac_frames`). The subframes are copied byte for byte,
//! so the stream decodes to exactly the concatenation of the chunks' samples.
//!
//! Start offset (OpenSubsonic `timeOffset`): the first chunk pushed may be cut at `first_skip`
//! samples. Frames wholly before the cut are dropped, the one frame that straddles it is
//! decoded (that frame alone), trimmed and re-encoded with `auralis_encode` (same depth, no
//! dither: the samples are exact), and every later frame is passed through. Only one frame
//! (≤ 4096 samples) is ever re-encoded per stream, so an offset costs well under a millisecond
//! more than a start from 0 (measured in BENCHMARKS.md).
//!
//! Frames shorter than 16 samples are legal only at the very end of a FLAC stream. A chunk's
//! short last frame (Auralis' 10 s chunks end on 2728 samples at 44.1 kHz, 768 at 48 kHz) is
//! normally far above that; if a chunk ever ended on 1-15 samples, or the cut left fewer than 16,
//! those samples are held back and re-encoded together with the start of the next chunk.
//!
//! Not for: deciding which chunks to read or fetching them (the server and the cache do that),
//! lossy formats (see `opus` and `mp3`).

use auralis_encode::{encode_flac_i32, BitDepth, BLOCK_SIZE};

use crate::chunk::decode_frames;
use crate::flac_frames::{self, parse_chunk, rewrite_frame, MIN_BLOCK, STREAM_HEADER_LEN};
use crate::TranscodeError;

/// Largest block the continuous stream declares (and accepts): Auralis' FLAC block size.
pub const MAX_BLOCK: u32 = BLOCK_SIZE as u32;

/// The 42-byte head of a continuous FLAC stream ("fLaC" + STREAMINFO) of `total_samples`
/// samples: what [`FlacConcat`] writes first. Its length is [`STREAM_HEADER_LEN`] whatever the
/// arguments.
pub fn flac_header(
    rate: u32,
    depth: BitDepth,
    total_samples: u64,
) -> Result<[u8; STREAM_HEADER_LEN], TranscodeError> {
    flac_frames::stream_header(rate, depth.bits(), MAX_BLOCK, total_samples)
        .map_err(TranscodeError::Unsupported)
}

/// Builds one FLAC stream from chunk files pushed in order. See the module docs.
#[derive(Debug)]
pub struct FlacConcat {
    rate: u32,
    depth: BitDepth,
    total: u64,
    first_skip: u64,
    /// Samples written to the output so far (= sample number of the next frame).
    written: u64,
    /// Samples decoded but held back (fewer than 16 at a chunk's end, see the module docs).
    pending: Vec<[i32; 2]>,
    chunks: u64,
    header_written: bool,
    finished: bool,
    frames_passed: u64,
    frames_reencoded: u64,
}

impl FlacConcat {
    /// A stream of `total_samples` samples at `rate` and `depth` (the chunks' own), starting
    /// `first_skip` samples into the first chunk that will be pushed.
    pub fn new(
        rate: u32,
        depth: BitDepth,
        total_samples: u64,
        first_skip: u64,
    ) -> Result<Self, TranscodeError> {
        // Validates rate and length up front.
        flac_header(rate, depth, total_samples)?;
        Ok(Self {
            rate,
            depth,
            total: total_samples,
            first_skip,
            written: 0,
            pending: Vec::new(),
            chunks: 0,
            header_written: false,
            finished: false,
            frames_passed: 0,
            frames_reencoded: 0,
        })
    }

    /// Write the stream header now (before the first chunk is available, e.g. to send the
    /// first bytes early). Does nothing if it is already written.
    pub fn begin(&mut self, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        if !self.header_written {
            out.extend_from_slice(&flac_header(self.rate, self.depth, self.total)?);
            self.header_written = true;
        }
        Ok(())
    }

    /// Samples announced in the header.
    pub fn total_samples(&self) -> u64 {
        self.total
    }

    /// Samples written so far.
    pub fn samples_written(&self) -> u64 {
        self.written
    }

    /// (frames copied from chunks, frames re-encoded) so far.
    pub fn frame_counts(&self) -> (u64, u64) {
        (self.frames_passed, self.frames_reencoded)
    }

    /// Append the next chunk file's frames to the stream (bytes go to `out`).
    pub fn push_chunk(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        if self.finished {
            return Err(TranscodeError::Finished);
        }
        let index = self.chunks;
        let invalid = |detail: String| TranscodeError::InvalidChunk { index, detail };
        let mismatch = |detail: String| TranscodeError::Mismatch { index, detail };
        let chunk = parse_chunk(bytes).map_err(invalid)?;
        let info = chunk.info;
        if info.channels != 2 || info.rate != self.rate || info.bits != self.depth.bits() {
            return Err(mismatch(format!(
                "{} channels, {} Hz, {} bits; the stream is stereo, {} Hz, {} bits",
                info.channels,
                info.rate,
                info.bits,
                self.rate,
                self.depth.bits()
            )));
        }
        if let Some(f) = chunk.frames.iter().find(|f| f.block > MAX_BLOCK) {
            return Err(mismatch(format!(
                "a frame of {} samples (the stream allows {MAX_BLOCK})",
                f.block
            )));
        }
        let samples: u64 = chunk.frames.iter().map(|f| u64::from(f.block)).sum();
        let skip = if index == 0 { self.first_skip } else { 0 };
        if skip > samples {
            return Err(mismatch(format!(
                "start offset {skip} is beyond the chunk's {samples} samples"
            )));
        }
        let after = self.written + self.pending.len() as u64 + (samples - skip);
        if after > self.total {
            return Err(mismatch(format!(
                "the stream would reach {after} samples, {} were announced",
                self.total
            )));
        }
        let is_last = after == self.total;
        self.begin(out)?;
        self.chunks += 1;

        // Frame start offsets within the chunk.
        let starts: Vec<u64> = chunk
            .frames
            .iter()
            .scan(0u64, |acc, f| {
                let s = *acc;
                *acc += u64::from(f.block);
                Some(s)
            })
            .collect();
        let n = chunk.frames.len();
        // First frame that does not end at or before the cut.
        let mut i = (0..n)
            .find(|&k| starts[k] + u64::from(chunk.frames[k].block) > skip)
            .unwrap_or(n);
        let cut = i < n && starts[i] < skip;
        // A short last frame mid-stream is held back (see the module docs), unless it is the
        // frame the cut falls in (then it is part of the re-encoded head anyway).
        let tail_held = !is_last
            && n > i + usize::from(cut)
            && (chunk.frames[n - 1].block as usize) < MIN_BLOCK;
        let q = if tail_held { n - 1 } else { n };

        let block = |k: usize| u64::from(chunk.frames[k].block);
        // The re-encoded head: held-back samples, the rest of the cut frame, then whole frames
        // while it is shorter than a legal frame. Sizes alone decide which frames; only those
        // are decoded.
        let first = i;
        let mut head_len = self.pending.len() as u64;
        if cut {
            head_len += starts[i] + block(i) - skip;
            i += 1;
        }
        while head_len > 0 && head_len < MIN_BLOCK as u64 && i < q {
            head_len += block(i);
            i += 1;
        }
        let mut head = std::mem::take(&mut self.pending);
        if i > first {
            let samples = decode_frames(&chunk, first..i).map_err(invalid)?;
            let from = if cut {
                (skip - starts[first]) as usize
            } else {
                0
            };
            head.extend_from_slice(samples.get(from..).unwrap_or_default());
        }
        if !head.is_empty() {
            if head.len() < MIN_BLOCK && !is_last {
                // Only possible when nothing follows in this chunk but a held-back tail.
                self.pending = head;
            } else {
                self.write_samples(&head, out)?;
            }
        }
        for f in &chunk.frames[i.min(q)..q] {
            rewrite_frame(bytes, f, self.written, out).map_err(invalid)?;
            self.written += u64::from(f.block);
            self.frames_passed += 1;
        }
        if q < n {
            let tail = decode_frames(&chunk, n - 1..n).map_err(invalid)?;
            self.pending.extend_from_slice(&tail);
        }
        Ok(())
    }

    /// End the stream: every announced sample must have been written.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        if self.finished {
            return Err(TranscodeError::Finished);
        }
        self.begin(out)?;
        self.finished = true;
        if self.written != self.total {
            return Err(TranscodeError::Length {
                expected: self.total,
                actual: self.written,
            });
        }
        Ok(())
    }

    /// Re-encode `samples` as frames of 16..=4096 samples (one standalone FLAC file per frame,
    /// then its frame rewritten into the stream).
    fn write_samples(
        &mut self,
        samples: &[[i32; 2]],
        out: &mut Vec<u8>,
    ) -> Result<(), TranscodeError> {
        let pieces = samples.len().div_ceil(BLOCK_SIZE);
        let base = samples.len() / pieces;
        let extra = samples.len() % pieces;
        let mut at = 0;
        for p in 0..pieces {
            let len = base + usize::from(p < extra);
            let file = encode_flac_i32(&samples[at..at + len], self.rate, self.depth)?;
            let internal =
                |detail: String| TranscodeError::Internal(format!("re-encoded frame: {detail}"));
            let chunk = parse_chunk(&file).map_err(internal)?;
            for f in &chunk.frames {
                rewrite_frame(&file, f, self.written, out).map_err(internal)?;
                self.written += u64::from(f.block);
                self.frames_reencoded += 1;
            }
            at += len;
        }
        Ok(())
    }
}
