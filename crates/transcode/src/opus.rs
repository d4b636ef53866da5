//! Ogg Opus encoder for streaming: push stereo frames, take Ogg pages.
//!
//! - **Codec.** libopus through `opusic-c`, which links the `opusic-sys` (libopus 1.6, built
//!   from its bundled source) that `symphonia-adapter-libopus` already builds for decoding: one
//!   libopus in the binary. Application `Audio`, signal `Music`, complexity 10, 20 ms frames
//!   (960 samples at 48 kHz).
//! - **Bitrate.** Constrained VBR (libopus keeps a bounded bit reservoir, so the rate cannot
//!   drift above the target over time) at a target below the requested rate by the Ogg
//!   overhead and a safety margin ([`target_bps`]), so the whole file, container included,
//!   averages at or under the request. Measured in the tests. On a stream of a second or two
//!   the fixed headers (≈ 150 bytes) are a visible part of the average; the promise is for
//!   tracks.
//! - **Rate.** Opus runs at 48 kHz; 44.1 kHz input is resampled with `rubato`, its delay
//!   compensated (see `resample`; what remains is a constant half-sample lead, 10 µs), so the
//!   pre-skip is just the encoder's lookahead, read from libopus (312 samples with 1.6.1).
//! - **Length.** A track of `N` input frames decodes to exactly [`opus_output_len`] frames:
//!   `N` at 48 kHz, `ceil(N · 48000 / 44100)` at 44.1 kHz (the length `auralis_source` gives a
//!   resampled file). The encoder is fed that many real samples and then zeros until the packets
//!   cover `pre_skip + len`; the last page's granule position is `pre_skip + len`, so a decoder
//!   drops the pre-skip at the start and the padding at the end (RFC 7845 §4.5).
//! - **Container.** The `ogg` crate writes the pages: OpusHead and OpusTags each on their own
//!   page (RFC 7845 §5), then audio pages of up to 50 packets (1 s), the last flagged
//!   end-of-stream. A page leaves as soon as it is complete, so the first audio arrives after
//!   1 s of encoding, not at the end.
//!
//! Not for: decoding (symphonia + the libopus adapter in `auralis_source`), other containers.

use ogg::writing::{PacketWriteEndInfo, PacketWriter};
use opusic_c::{Application, Bitrate, Channels, SampleRate, Signal};

use crate::resample::{output_len, StreamResampler};
use crate::{sanitize_into, Frame, FrameEncoder, TranscodeError};

/// Samples per Opus packet (20 ms at 48 kHz).
pub const OPUS_FRAME: usize = 960;
/// Packets per Ogg page (1 s): few pages keep the container overhead under 1 %, and a page
/// every second keeps the stream moving.
const PAGE_PACKETS: u64 = 50;
/// Largest Opus packet (RFC 6716 §3.4: 1275 bytes per frame); room to spare.
const MAX_PACKET: usize = 4000;
/// The Ogg stream serial number. One logical stream per file, so any constant will do.
const SERIAL: u32 = 0x4155_5241; // "AURA"

/// Lowest and highest bitrate (kbps) the encoder accepts (libopus' useful range for stereo).
pub const OPUS_KBPS_RANGE: std::ops::RangeInclusive<u32> = 6..=510;

/// Decoded length (48 kHz frames) of an Opus stream made from `frames_in` input frames at
/// `input_rate`.
pub fn opus_output_len(frames_in: u64, input_rate: u32) -> u64 {
    output_len(frames_in, input_rate, 48_000)
}

/// The libopus target (bits/s) for a requested rate (kbps): the request minus the Ogg pages'
/// cost (27 bytes per page, one page per second, plus one lacing byte per 255 bytes of each of
/// the 50 packets a second), minus what libopus spends above its target (measured: about
/// 0.4 kbps plus 0.5 % on music, so 500 bit/s and 2 %, which also covers the headers).
/// Measured: the whole file stays 1-3 % under the request from 6 to 510 kbps (see the tests
/// and BENCHMARKS.md).
pub fn target_bps(kbps: u32) -> u32 {
    let packet_bytes = kbps * 1000 / 8 / 50;
    let ogg_bps = (27 + 50 * (packet_bytes / 255 + 1)) * 8;
    (kbps * 1000).saturating_sub(ogg_bps + 500) / 100 * 98
}

/// Ogg Opus stream encoder. See the module docs.
pub struct OpusEncoder {
    enc: opusic_c::Encoder,
    input_rate: u32,
    kbps: u32,
    resampler: Option<StreamResampler>,
    pre_skip: u64,
    /// Interleaved 48 kHz samples waiting for a whole packet.
    pcm: Vec<f32>,
    clean: Vec<f32>,
    resampled: Vec<Frame>,
    packet: Vec<u8>,
    /// The newest packet, written once the next exists (the last one needs the EOS flag).
    held: Option<Vec<u8>>,
    packets: u64,
    frames_in: u64,
    writer: PacketWriter<'static, Vec<u8>>,
    headers_written: bool,
    finished: bool,
}

fn opus_err(what: &str) -> impl Fn(opusic_c::ErrorCode) -> TranscodeError + '_ {
    move |e| TranscodeError::Opus(format!("{what}: {}", e.message()))
}

impl OpusEncoder {
    /// An encoder for stereo input at `input_rate` (44100 or 48000) and `kbps` (see
    /// [`OPUS_KBPS_RANGE`]).
    pub fn new(input_rate: u32, kbps: u32) -> Result<Self, TranscodeError> {
        if input_rate != 44_100 && input_rate != 48_000 {
            return Err(TranscodeError::Unsupported(format!(
                "Opus input at {input_rate} Hz (44100 or 48000 expected)"
            )));
        }
        if !OPUS_KBPS_RANGE.contains(&kbps) {
            return Err(TranscodeError::Unsupported(format!(
                "Opus at {kbps} kbps (range {}..={})",
                OPUS_KBPS_RANGE.start(),
                OPUS_KBPS_RANGE.end()
            )));
        }
        let mut enc =
            opusic_c::Encoder::new(Channels::Stereo, SampleRate::Hz48000, Application::Audio)
                .map_err(opus_err("create"))?;
        enc.set_bitrate(Bitrate::Value(target_bps(kbps)))
            .map_err(opus_err("bitrate"))?;
        enc.set_vbr(true).map_err(opus_err("vbr"))?;
        enc.set_vbr_constraint(true)
            .map_err(opus_err("vbr constraint"))?;
        enc.set_complexity(10).map_err(opus_err("complexity"))?;
        enc.set_signal(Signal::Music).map_err(opus_err("signal"))?;
        let pre_skip = u64::from(enc.get_look_ahead().map_err(opus_err("lookahead"))?);
        let resampler = if input_rate == 48_000 {
            None
        } else {
            Some(StreamResampler::new(input_rate, 48_000)?)
        };
        Ok(Self {
            enc,
            input_rate,
            kbps,
            resampler,
            pre_skip,
            pcm: Vec::with_capacity(OPUS_FRAME * 4),
            clean: Vec::new(),
            resampled: Vec::new(),
            packet: vec![0; MAX_PACKET],
            held: None,
            packets: 0,
            frames_in: 0,
            writer: PacketWriter::new(Vec::new()),
            headers_written: false,
            finished: false,
        })
    }

    /// Samples the decoder drops at the start (OpusHead pre-skip): the encoder's lookahead.
    pub fn pre_skip(&self) -> u64 {
        self.pre_skip
    }

    /// Requested bitrate (kbps).
    pub fn kbps(&self) -> u32 {
        self.kbps
    }

    /// Input frames pushed so far.
    pub fn frames_in(&self) -> u64 {
        self.frames_in
    }

    fn write_headers(&mut self) -> Result<(), TranscodeError> {
        if self.headers_written {
            return Ok(());
        }
        self.headers_written = true;
        let pre_skip = u16::try_from(self.pre_skip)
            .map_err(|_| TranscodeError::Internal("pre-skip over 65535".into()))?;
        // RFC 7845 §5.1: magic, version 1, channels, pre-skip, input rate, gain 0, family 0.
        let mut head = Vec::with_capacity(19);
        head.extend_from_slice(b"OpusHead");
        head.push(1);
        head.push(2);
        head.extend_from_slice(&pre_skip.to_le_bytes());
        head.extend_from_slice(&self.input_rate.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes());
        head.push(0);
        // RFC 7845 §5.2: vendor string, then user comments.
        let vendor = opusic_c::version().as_bytes();
        let comment = b"ENCODER=Auralis";
        let mut tags = Vec::with_capacity(32 + vendor.len());
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&1u32.to_le_bytes());
        tags.extend_from_slice(&(comment.len() as u32).to_le_bytes());
        tags.extend_from_slice(comment);
        self.write_packet(head, PacketWriteEndInfo::EndPage, 0)?;
        self.write_packet(tags, PacketWriteEndInfo::EndPage, 0)
    }

    fn write_packet(
        &mut self,
        data: Vec<u8>,
        end: PacketWriteEndInfo,
        granule: u64,
    ) -> Result<(), TranscodeError> {
        self.writer
            .write_packet(data, SERIAL, end, granule)
            .map_err(|e| TranscodeError::Internal(format!("Ogg page writer: {e}")))
    }

    /// Encode every whole packet in `pcm`.
    fn encode_ready(&mut self) -> Result<(), TranscodeError> {
        let per_packet = OPUS_FRAME * 2;
        let mut at = 0;
        while self.pcm.len() - at >= per_packet {
            let n = self
                .enc
                .encode_float_to_slice(&self.pcm[at..at + per_packet], &mut self.packet)
                .map_err(opus_err("encode"))?;
            at += per_packet;
            let packet = self.packet[..n].to_vec();
            if let Some(prev) = self.held.replace(packet) {
                // `prev` is packet number `packets` (1-based): its granule is the samples
                // decoded through it.
                self.packets += 1;
                let end = if self.packets.is_multiple_of(PAGE_PACKETS) {
                    PacketWriteEndInfo::EndPage
                } else {
                    PacketWriteEndInfo::NormalPacket
                };
                self.write_packet(prev, end, self.packets * OPUS_FRAME as u64)?;
            }
        }
        self.pcm.drain(..at);
        Ok(())
    }

    fn take_output(&mut self, out: &mut Vec<u8>) {
        out.append(self.writer.inner_mut());
    }
}

impl FrameEncoder for OpusEncoder {
    fn push(&mut self, frames: &[Frame], out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        if self.finished {
            return Err(TranscodeError::Finished);
        }
        self.write_headers()?;
        self.frames_in += frames.len() as u64;
        match &mut self.resampler {
            Some(r) => {
                // Sanitised before the resampler, so a NaN cannot spread through its filter.
                self.clean.clear();
                sanitize_into(frames, &mut self.clean);
                self.resampled.clear();
                r.push(self.clean.as_chunks::<2>().0, &mut self.resampled)?;
                self.pcm.extend_from_slice(self.resampled.as_flattened());
            }
            None => sanitize_into(frames, &mut self.pcm),
        }
        self.encode_ready()?;
        self.take_output(out);
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        if self.finished {
            return Err(TranscodeError::Finished);
        }
        self.write_headers()?;
        self.finished = true;
        if let Some(r) = &mut self.resampler {
            self.resampled.clear();
            r.finish(&mut self.resampled)?;
            self.pcm.extend_from_slice(self.resampled.as_flattened());
        }
        let len = opus_output_len(self.frames_in, self.input_rate);
        let end_granule = self.pre_skip + len;
        // Zeros until the packets cover pre-skip + len (at least one packet, so the stream
        // always has an end-of-stream page with audio).
        let packets_needed = end_granule.div_ceil(OPUS_FRAME as u64).max(1);
        let have = self.packets + u64::from(self.held.is_some());
        let fed = have * OPUS_FRAME as u64 + (self.pcm.len() / 2) as u64;
        let total = packets_needed * OPUS_FRAME as u64;
        if fed > total {
            return Err(TranscodeError::Internal(format!(
                "{fed} samples fed to the Opus encoder, {total} expected"
            )));
        }
        self.pcm
            .resize(self.pcm.len() + 2 * (total - fed) as usize, 0.0);
        self.encode_ready()?;
        let last = self
            .held
            .take()
            .ok_or_else(|| TranscodeError::Internal("no final Opus packet".into()))?;
        self.packets += 1;
        self.write_packet(last, PacketWriteEndInfo::EndStream, end_granule)?;
        self.take_output(out);
        Ok(())
    }
}
