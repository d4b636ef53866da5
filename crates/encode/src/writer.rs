//! Streaming FLAC writer: quantise as frames arrive, encode whole 4096-sample blocks, patch
//! STREAMINFO (total samples, MD5, frame sizes) at the end.

use std::io::{Seek, SeekFrom, Write};

use flacenc::bitsink::MemSink;
use flacenc::component::{
    BitRepr, ChannelAssignment, Frame, FrameHeader, FrameOffset, Stream, StreamInfo, SubFrame,
};
use flacenc::config;
use flacenc::error::{Verified, Verify};
use flacenc::source::{Context, Fill, FrameBuf};

use crate::native::{self, fixed_sums, BitWriter, SubframeEncoder};
use crate::quantize::quantize_planar;
use crate::{BitDepth, EncodeError};

/// FLAC block size (samples per frame). A power of two that browsers and every decoder handle.
pub const BLOCK_SIZE: usize = 4096;

/// How each stereo block picks its channel assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StereoMode {
    /// Estimate the cost of L, R, mid and side from a cheap fixed-predictor residual and
    /// encode only the best pair (like libFLAC's adaptive mid-side): 2 subframe searches.
    Estimate,
    /// flacenc's own search: encode L, R, mid and side fully, keep the best (4 searches).
    Exhaustive,
}

/// Encoder settings: a flacenc subframe configuration plus the stereo decision mode.
#[derive(Clone, Debug)]
pub struct EncoderSettings {
    config: Verified<config::Encoder>,
    stereo: StereoMode,
    /// Use Auralis' own subframe encoder (`native`) instead of flacenc's search.
    native: bool,
}

impl EncoderSettings {
    /// The configuration Auralis ships: the estimated stereo decision and Auralis' own
    /// subframe encoder (fixed predictors 0-4, one LPC of order 8 with a Tukey window,
    /// partitioned Rice coding; see the `native` module). flacenc writes the frame headers.
    pub fn fast() -> Self {
        let mut s = Self::from_config(fast_config(), StereoMode::Estimate)
            .expect("the built-in fast flacenc config verifies");
        s.native = true;
        s
    }

    /// [`fast_config`] through flacenc's own subframe search with the estimated stereo
    /// decision (the encoder Auralis used before the native one; kept for comparisons).
    pub fn flacenc_fast() -> Self {
        Self::from_config(fast_config(), StereoMode::Estimate)
            .expect("the built-in fast flacenc config verifies")
    }

    /// flacenc 0.5.1's default configuration (exhaustive stereo search, LPC order 10,
    /// Tukey window, fixed orders 0-4), single-threaded: the reference for ratio comparisons.
    pub fn flacenc_default() -> Self {
        let mut c = config::Encoder::default();
        c.multithread = false;
        Self::from_config(c, StereoMode::Exhaustive).expect("flacenc's default config verifies")
    }

    /// Any flacenc configuration (its `block_size` is ignored: Auralis always uses
    /// [`BLOCK_SIZE`]).
    pub fn from_config(config: config::Encoder, stereo: StereoMode) -> Result<Self, EncodeError> {
        let mut config = config;
        config.block_size = BLOCK_SIZE;
        config.multithread = false;
        let config = config
            .into_verified()
            .map_err(|(_, e)| EncodeError::Flac(e.to_string()))?;
        Ok(Self {
            config,
            stereo,
            native: false,
        })
    }
}

impl Default for EncoderSettings {
    fn default() -> Self {
        Self::fast()
    }
}

/// The configuration Auralis ships: a fixed 4096 block, LPC order 8 with a Tukey window,
/// fixed predictors up to order 4 picked by the entropy estimate, rice search as flacenc does
/// it. (Measured in `auralis bench`; see the encode crate's report in BENCHMARKS.md.)
pub fn fast_config() -> config::Encoder {
    let mut c = config::Encoder::default();
    c.block_size = BLOCK_SIZE;
    c.multithread = false;
    c.subframe_coding.qlpc.lpc_order = 8;
    c
}

/// Encodes single blocks into finished FLAC frame bytes (header, subframes, CRC-16).
/// One per thread; holds every reusable buffer.
pub(crate) struct BlockEncoder {
    rate: u32,
    depth: BitDepth,
    settings: EncoderSettings,
    info_mono: StreamInfo,
    info_side: StreamInfo,
    info_stereo: StreamInfo,
    mono: FrameBuf,
    stereo: FrameBuf,
    mid: Vec<i32>,
    side: Vec<i32>,
    interleaved: Vec<i32>,
    sink: MemSink<u8>,
    native: SubframeEncoder,
    bits: BitWriter,
}

impl BlockEncoder {
    pub(crate) fn new(
        rate: u32,
        depth: BitDepth,
        settings: EncoderSettings,
    ) -> Result<Self, EncodeError> {
        let bits = depth.bits() as usize;
        if rate == 0
            || FrameHeader::new(
                BLOCK_SIZE,
                ChannelAssignment::Independent(2),
                bits,
                rate as usize,
                FrameOffset::Frame(0),
            )
            .is_err()
        {
            return Err(EncodeError::SampleRate(rate));
        }
        Ok(Self {
            rate,
            depth,
            settings,
            info_stereo: StreamInfo::new(rate as usize, 2, bits).map_err(flac_err)?,
            info_mono: StreamInfo::new(rate as usize, 1, bits).map_err(flac_err)?,
            info_side: StreamInfo::new(rate as usize, 1, bits + 1).map_err(flac_err)?,
            mono: FrameBuf::with_size(1, BLOCK_SIZE).map_err(flac_err)?,
            stereo: FrameBuf::with_size(2, BLOCK_SIZE).map_err(flac_err)?,
            mid: Vec::with_capacity(BLOCK_SIZE),
            side: Vec::with_capacity(BLOCK_SIZE),
            interleaved: Vec::with_capacity(BLOCK_SIZE * 2),
            sink: MemSink::with_capacity(BLOCK_SIZE * 2 * 25),
            native: SubframeEncoder::new(),
            bits: BitWriter::with_capacity(BLOCK_SIZE * 2 * 4 + 64),
        })
    }

    /// "fLaC" + STREAMINFO for a finished (or placeholder) stream.
    pub(crate) fn header_bytes(
        &self,
        total: u64,
        frame_sizes: Option<(usize, usize)>,
        md5: &[u8; 16],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut info = self.info_stereo.clone();
        // Fixed-blocksize stream: min == max == BLOCK_SIZE (the last frame may be shorter,
        // as the format allows; the reference encoder writes the same for one short frame).
        info.set_block_sizes(BLOCK_SIZE, BLOCK_SIZE)
            .map_err(flac_err)?;
        if let Some((min, max)) = frame_sizes {
            info.set_frame_sizes(min, max).map_err(flac_err)?;
        }
        info.set_total_samples(total as usize);
        info.set_md5_digest(md5);
        let stream = Stream::with_stream_info(info);
        let mut sink = MemSink::<u8>::new();
        stream.write(&mut sink).map_err(flac_err)?;
        Ok(sink.into_inner())
    }

    /// One block (1..=BLOCK_SIZE samples per channel) as frame `frame_no`: the frame bytes.
    pub(crate) fn encode_block(
        &mut self,
        l: &[i32],
        r: &[i32],
        frame_no: u32,
    ) -> Result<&[u8], EncodeError> {
        let n = l.len();
        debug_assert!(n > 0 && n <= BLOCK_SIZE && r.len() == n);
        if self.settings.native {
            return self.encode_block_native(l, r, frame_no);
        }
        let frame = match self.settings.stereo {
            StereoMode::Exhaustive => {
                self.interleaved.clear();
                for (a, b) in l.iter().zip(r) {
                    self.interleaved.push(*a);
                    self.interleaved.push(*b);
                }
                self.stereo
                    .fill_interleaved(&self.interleaved)
                    .map_err(flac_err)?;
                flacenc::encode_fixed_size_frame(
                    &self.settings.config,
                    &self.stereo,
                    frame_no as usize,
                    &self.info_stereo,
                )
                .map_err(flac_err)?
            }
            StereoMode::Estimate => self.encode_block_estimated(l, r, frame_no)?,
        };
        self.sink.clear();
        frame.write(&mut self.sink).map_err(flac_err)?;
        Ok(self.sink.as_slice())
    }

    /// Fill mid/side, return the estimated best assignment and the fixed-predictor sums of
    /// L, R, M, S.
    fn mid_side(&mut self, l: &[i32], r: &[i32]) -> (ChannelAssignment, [[u64; 5]; 4]) {
        self.mid.clear();
        self.side.clear();
        self.mid.extend(l.iter().zip(r).map(|(a, b)| (a + b) >> 1));
        self.side.extend(l.iter().zip(r).map(|(a, b)| a - b));
        let sums = [
            fixed_sums(l),
            fixed_sums(r),
            fixed_sums(&self.mid),
            fixed_sums(&self.side),
        ];
        (choose_assignment(l.len(), &sums), sums)
    }

    fn encode_block_native(
        &mut self,
        l: &[i32],
        r: &[i32],
        frame_no: u32,
    ) -> Result<&[u8], EncodeError> {
        let (assignment, sums) = match self.settings.stereo {
            StereoMode::Estimate => self.mid_side(l, r),
            StereoMode::Exhaustive => {
                return Err(EncodeError::Flac(
                    "the native encoder supports the estimated stereo mode only".into(),
                ))
            }
        };
        let [sl, sr, sm, ss] = &sums;
        let (c0, c1): ((&[i32], _), (&[i32], _)) = match assignment {
            ChannelAssignment::LeftSide => ((l, sl), (&self.side, ss)),
            ChannelAssignment::RightSide => ((&self.side, ss), (r, sr)),
            ChannelAssignment::MidSide => ((&self.mid, sm), (&self.side, ss)),
            _ => ((l, sl), (r, sr)),
        };
        native::write_frame(
            &mut self.native,
            &mut self.bits,
            assignment,
            c0,
            c1,
            self.depth.bits(),
            self.rate,
            frame_no,
        )
        .map_err(EncodeError::Flac)?;
        Ok(&self.bits.buf)
    }

    fn encode_block_estimated(
        &mut self,
        l: &[i32],
        r: &[i32],
        frame_no: u32,
    ) -> Result<Frame, EncodeError> {
        let n = l.len();
        let bits = self.depth.bits() as usize;
        let (assignment, _) = self.mid_side(l, r);
        let (c0, c0_side, c1, c1_side): (&[i32], bool, &[i32], bool) = match assignment {
            ChannelAssignment::LeftSide => (l, false, &self.side, true),
            ChannelAssignment::RightSide => (&self.side, true, r, false),
            ChannelAssignment::MidSide => (&self.mid, false, &self.side, true),
            _ => (l, false, r, false),
        };
        let info = |side: bool| {
            if side {
                &self.info_side
            } else {
                &self.info_mono
            }
        };
        let sub0 = encode_mono(&self.settings.config, &mut self.mono, c0, info(c0_side))?;
        let sub1 = encode_mono(&self.settings.config, &mut self.mono, c1, info(c1_side))?;
        let header = FrameHeader::new(
            n,
            assignment,
            bits,
            self.rate as usize,
            FrameOffset::Frame(frame_no),
        )
        .map_err(flac_err)?;
        Frame::new(header, [sub0, sub1].into_iter()).map_err(flac_err)
    }
}

/// Interleaved little-endian PCM bytes of a block (what the FLAC MD5 covers).
pub(crate) fn le_bytes(l: &[i32], r: &[i32], depth: BitDepth, buf: &mut Vec<u8>) {
    let bps = depth.bits() as usize / 8;
    buf.reserve(l.len() * 2 * bps);
    if bps == 2 {
        for (a, b) in l.iter().zip(r) {
            buf.extend_from_slice(&(*a as i16).to_le_bytes());
            buf.extend_from_slice(&(*b as i16).to_le_bytes());
        }
    } else {
        for (a, b) in l.iter().zip(r) {
            buf.extend_from_slice(&a.to_le_bytes()[..bps]);
            buf.extend_from_slice(&b.to_le_bytes()[..bps]);
        }
    }
}

/// A FLAC stream writer for stereo frames. Frames can be pushed in any sizes; whole blocks
/// are encoded as they fill. [`FlacWriter::finish`] encodes the last (short) block and
/// rewrites STREAMINFO with the exact total sample count and the MD5 of the samples.
pub struct FlacWriter<W: Write + Seek> {
    out: W,
    header_pos: u64,
    depth: BitDepth,
    dither: bool,
    next_sample: u64,
    left: Vec<i32>,
    right: Vec<i32>,
    qleft: Vec<i32>,
    qright: Vec<i32>,
    frame_number: u32,
    total: u64,
    min_frame: usize,
    max_frame: usize,
    md5: Context,
    le_bytes: Vec<u8>,
    enc: BlockEncoder,
}

fn flac_err(e: impl std::fmt::Display) -> EncodeError {
    EncodeError::Flac(e.to_string())
}

impl<W: Write + Seek> FlacWriter<W> {
    /// Start a stream at the current position of `out`. `first_sample` is the absolute
    /// track position of the first frame that will be pushed (it seeds the dither).
    pub fn new(
        out: W,
        rate: u32,
        depth: BitDepth,
        first_sample: u64,
        dither: bool,
    ) -> Result<Self, EncodeError> {
        Self::with_settings(
            out,
            rate,
            depth,
            first_sample,
            dither,
            EncoderSettings::fast(),
        )
    }

    /// As [`FlacWriter::new`] with explicit encoder settings.
    pub fn with_settings(
        mut out: W,
        rate: u32,
        depth: BitDepth,
        first_sample: u64,
        dither: bool,
        settings: EncoderSettings,
    ) -> Result<Self, EncodeError> {
        let enc = BlockEncoder::new(rate, depth, settings)?;
        let md5 = Context::new(depth.bits() as usize, 2);
        let header = enc.header_bytes(0, None, &md5.md5_digest())?;
        let header_pos = out.stream_position()?;
        out.write_all(&header)?;
        Ok(Self {
            out,
            header_pos,
            depth,
            dither,
            next_sample: first_sample,
            left: Vec::with_capacity(BLOCK_SIZE * 2),
            right: Vec::with_capacity(BLOCK_SIZE * 2),
            qleft: Vec::new(),
            qright: Vec::new(),
            frame_number: 0,
            total: 0,
            min_frame: usize::MAX,
            max_frame: 0,
            md5,
            le_bytes: Vec::with_capacity(BLOCK_SIZE * 6),
            enc,
        })
    }

    /// Quantise and queue `frames`; encode every complete block.
    pub fn write(&mut self, frames: &[[f32; 2]]) -> Result<(), EncodeError> {
        if frames.is_empty() {
            return Ok(());
        }
        quantize_planar(
            frames,
            self.depth,
            self.next_sample,
            self.dither,
            &mut self.qleft,
            &mut self.qright,
        );
        self.next_sample += frames.len() as u64;
        self.write_quantized_planar_inner()
    }

    /// Queue already-quantised integer frames (must lie in the bit depth's range).
    pub fn write_i32(&mut self, frames: &[[i32; 2]]) -> Result<(), EncodeError> {
        self.qleft.clear();
        self.qright.clear();
        self.qleft.extend(frames.iter().map(|f| f[0]));
        self.qright.extend(frames.iter().map(|f| f[1]));
        self.next_sample += frames.len() as u64;
        self.write_quantized_planar_inner()
    }

    fn write_quantized_planar_inner(&mut self) -> Result<(), EncodeError> {
        let (mut ql, mut qr) = (
            std::mem::take(&mut self.qleft),
            std::mem::take(&mut self.qright),
        );
        let mut off = 0;
        // Top up a partial block first.
        if !self.left.is_empty() {
            let need = (BLOCK_SIZE - self.left.len()).min(ql.len());
            self.left.extend_from_slice(&ql[..need]);
            self.right.extend_from_slice(&qr[..need]);
            off = need;
            if self.left.len() == BLOCK_SIZE {
                let (l, r) = (
                    std::mem::take(&mut self.left),
                    std::mem::take(&mut self.right),
                );
                let res = self.encode_block(&l, &r);
                self.left = l;
                self.right = r;
                self.left.clear();
                self.right.clear();
                res?;
            }
        }
        while ql.len() - off >= BLOCK_SIZE {
            self.encode_block(&ql[off..off + BLOCK_SIZE], &qr[off..off + BLOCK_SIZE])?;
            off += BLOCK_SIZE;
        }
        self.left.extend_from_slice(&ql[off..]);
        self.right.extend_from_slice(&qr[off..]);
        ql.clear();
        qr.clear();
        self.qleft = ql;
        self.qright = qr;
        Ok(())
    }

    /// Frames written so far (encoded or queued).
    pub fn frames_written(&self) -> u64 {
        self.total + self.left.len() as u64
    }

    /// Encode the last block, rewrite STREAMINFO, return the output.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        if !self.left.is_empty() {
            let (l, r) = (
                std::mem::take(&mut self.left),
                std::mem::take(&mut self.right),
            );
            self.encode_block(&l, &r)?;
        }
        let sizes = (self.max_frame > 0).then_some((self.min_frame, self.max_frame));
        let header = self
            .enc
            .header_bytes(self.total, sizes, &self.md5.md5_digest())?;
        let end = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(self.header_pos))?;
        self.out.write_all(&header)?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn encode_block(&mut self, l: &[i32], r: &[i32]) -> Result<(), EncodeError> {
        let n = l.len();
        // MD5 over interleaved little-endian samples, as the FLAC format defines it.
        self.le_bytes.clear();
        le_bytes(l, r, self.depth, &mut self.le_bytes);
        let bps = self.depth.bits() as usize / 8;
        self.md5
            .fill_le_bytes(&self.le_bytes, bps)
            .map_err(flac_err)?;
        let bytes = self.enc.encode_block(l, r, self.frame_number)?;
        self.out.write_all(bytes)?;
        self.min_frame = self.min_frame.min(bytes.len());
        self.max_frame = self.max_frame.max(bytes.len());
        self.total += n as u64;
        self.frame_number = self
            .frame_number
            .checked_add(1)
            .filter(|n| *n < (1 << 31))
            .ok_or(EncodeError::TooLong)?;
        Ok(())
    }
}

/// One channel of one block through flacenc's subframe search (as a mono frame).
fn encode_mono(
    config: &Verified<config::Encoder>,
    buf: &mut FrameBuf,
    samples: &[i32],
    info: &StreamInfo,
) -> Result<SubFrame, EncodeError> {
    buf.fill_interleaved(samples).map_err(flac_err)?;
    let frame = flacenc::encode_fixed_size_frame(config, buf, 0, info).map_err(flac_err)?;
    let (_, mut subs) = frame.into_parts();
    subs.pop()
        .ok_or_else(|| EncodeError::Flac("flacenc returned a frame without subframes".into()))
}

/// Approximate bits for a channel from its fixed-predictor sums: n * log2(1 + mean
/// |residual|) of the best fixed predictor of order 1..=3 (a cheap stand-in for the real
/// subframe search).
fn estimate_bits(n: usize, sums: &[u64; 5]) -> f64 {
    if n < 5 {
        return 0.0;
    }
    let best = sums[1].min(sums[2]).min(sums[3]) as f64;
    let count = (n - 4) as f64;
    count * (1.0 + best / count).log2()
}

fn choose_assignment(n: usize, sums: &[[u64; 5]; 4]) -> ChannelAssignment {
    let [bl, br, bm, bs] = sums.each_ref().map(|s| estimate_bits(n, s));
    let mut best = (bl + br, ChannelAssignment::Independent(2));
    for (cost, ca) in [
        (bm + bs, ChannelAssignment::MidSide),
        (bl + bs, ChannelAssignment::LeftSide),
        (br + bs, ChannelAssignment::RightSide),
    ] {
        if cost < best.0 {
            best = (cost, ca);
        }
    }
    best.1
}
