//! Decode any supported file to stereo f32 at the output rate, with sample-accurate random access.
//!
//! # Formats and decoders
//! Everything is decoded with `symphonia` 0.6 (`features = ["all"]`): FLAC, MP3, AAC-LC and ALAC
//! in MP4/M4A (gapless: the edit list or `iTunSMPB` is applied here, see below), Ogg Vorbis,
//! WAV and AIFF (integer and float PCM). **Opus** uses
//! `symphonia-adapter-libopus` 0.3 (libopus 1.6 built from the bundled source with cmake, via
//! `opusic-sys`): libopus is the reference decoder (ffmpeg's own decoder is validated against it),
//! so its output is the ground truth rather than an approximation, it handles every Opus mode
//! (SILK, CELT, hybrid) and it is what every other player uses. The pure-Rust candidates
//! (`opus-decoder` 0.1, `opus-rs` 0.1) are young and unproven against the conformance vectors.
//! The cost is a C build dependency (cmake + a C compiler at build time).
//!
//! # Output
//! Stereo `[f32; 2]` frames. 44.1 and 48 kHz sources keep their rate; every other rate
//! (4 kHz to 384 kHz accepted) is resampled to 48 kHz with `rubato::Fft` (see [`resample`]).
//! Mono is duplicated to both channels. More than two channels are downmixed (see [`downmix`]):
//! `L = FL + 0.7071·FC + 0.7071·(RL|SL) ...`, LFE dropped, **no normalisation**: the sum may
//! exceed 1.0 for hot multichannel masters; the values are f32 and do not clip here, the
//! mastering chain's true-peak limiter is the one place that enforces a ceiling.
//!
//! # Exact length
//! [`SourceInfo::frames`] is exactly `read_all().len()`. It is established at `open`:
//! * FLAC, ALAC, PCM (WAV/AIFF) with a container frame count: the count is trusted as a claim;
//! * other codecs (MP3, AAC, Vorbis, Opus) or no count: a packet scan (demux only, no decode)
//!   sums the valid duration of every packet (gapless trims included; the untrimmed `dur` of
//!   symphonia 0.6.1's MP3 demuxer is corrected, see `Native::packet_span`). A 10-minute MP3,
//!   AAC, Vorbis or Opus file opens in about 5-15 ms. MPEG audio without a Xing/Info/VBRI
//!   frame count is demuxed without its byte length, so symphonia does not guess a length from
//!   the first frames and cut the stream there (see `Probe::Unsized`);
//! * then, in both cases, the **tail is verified**: seek shortly before the claimed end, decode
//!   to the end of the stream and take the real end of the last decodable packet. A header that
//!   claims more than the file holds (truncated file, lying WAV header) or less is corrected.
//! * If the stream cannot be handled that way (seek fails, time base is not 1/rate, packet
//!   timestamps disagree with the decoder), the count falls back to a full decode at open and
//!   random access falls back to "decode from the start" (correct, slower; only broken files).
//!
//! # Gapless MP4 (AAC, ALAC)
//! symphonia 0.6.1's MP4 demuxer applies neither the edit list nor `iTunSMPB`, so AAC decodes
//! with the encoder priming (1024 frames for ffmpeg and current Apple encoders, 2112 for older
//! ones) in front and the last packet's padding behind. `open` reads the trim itself (see
//! `mp4_trim`: a small bounded parser of `moov`): the first media edit of the track's
//! `edts/elst` (`media_time` = priming, `segment_duration` converted from the `mvhd` timescale =
//! length; an edit that ends within one movie tick of the media end means the exact media end,
//! since ffmpeg stores the length in milliseconds), else the `iTunSMPB` tag (priming, padding,
//! length). Output frame 0 is decoded frame `priming`, and [`SourceInfo::frames`] is the trimmed
//! length (the fixture: exactly the 352336 frames of the WAV, aligned to the sample with
//! ffmpeg's decode). Without an edit list or tag, or with a malformed one, the decode is not
//! trimmed (the file still opens). ALAC edit lists normally start at 0 and cover the whole
//! media; a non-trivial one is applied the same way.
//!
//! # Sample-accurate random access
//! Packet positions come from the demuxer's timestamps: the decoded block of a packet ends at
//! `pts + trim_start + dur` (decoders trim at the start, e.g. Opus pre-skip), and position 0 is
//! the first decoded frame of the stream. A read at `a` seeks (accurate mode) to
//! `a - preroll(codec)`, re-creates the decoder, decodes and discards the pre-roll, and uses the
//! packets that reach `a`. Pre-roll per codec (source frames): 0 for PCM/FLAC/ALAC, MP3 4608
//! (four frames: IMDCT overlap + synthesis filterbank; the demuxer itself adds the bit-reservoir
//! reference frames), AAC 4096, Vorbis 8192 (two of the longest blocks), Opus [`OPUS_PREROLL`]
//! (libopus state converges; measured, see the tests). Reads closer than the pre-roll to the
//! start decode from the start. **AAC** is the exception: symphonia's AAC decoder draws
//! perceptual-noise-substitution bands from a random generator seeded once per decoder, so a
//! fresh decoder after a seek produces different noise; AAC reads therefore never seek, they
//! decode forward from the current position or from the start (exact, up to ~0.3 s per read
//! on a 10-minute file). A read ahead of the current position by less than the pre-roll also
//! decodes forward instead of seeking. Every format is checked bit-exact in the tests at many
//! random positions against the full decode.
//!
//! Sequential reads (`read(a..b)` then `read(b..c)`) continue decoding with no seek.
//!
//! # Errors
//! A decode error in a packet that contributes output is returned as [`SourceError::Decode`]
//! (never replaced by zeros, never skipped), so `read` never returns fewer frames than asked
//! inside `[0, frames)`. Errors while decoding the discarded pre-roll are ignored (an MP3 frame
//! whose bit reservoir lies before the seek point). At the end of a stream, the count at open
//! stops at the last decodable packet (a truncated last packet is not part of the track).

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use symphonia::core::audio::{Channels, GenericAudioBufferRef, Position};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::packet::Packet;
use symphonia::core::units::Timestamp;

pub mod downmix;
mod mp4_trim;
pub mod resample;

/// One stereo sample frame.
pub type Frame = [f32; 2];

/// Pre-roll (in 48 kHz frames) decoded and discarded before a random-access Opus read.
pub const OPUS_PREROLL: u64 = 48_000;

/// Lowest and highest accepted source sample rates.
pub const MIN_RATE: u32 = 4_000;
/// See [`MIN_RATE`].
pub const MAX_RATE: u32 = 384_000;

/// Frames decoded after the pre-roll when verifying the tail of a stream at open.
const TAIL_MARGIN: u64 = 4096;

/// Facts about an opened source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    /// Container, e.g. "flac", "mp3", "mp4", "ogg", "wav", "aiff".
    pub format: String,
    /// Codec, e.g. "flac", "mp3", "aac", "alac", "vorbis", "opus", "pcm_s16le".
    pub codec: String,
    /// Sample rate of the file.
    pub source_rate: u32,
    /// Output rate: 44100 or 48000.
    pub rate: u32,
    /// Channels in the file (before downmix / duplication).
    pub source_channels: u16,
    /// `Some(16|24|32)` for lossless sources (32 also for float PCM), `None` for lossy.
    pub bits_per_sample: Option<u32>,
    /// Exact number of output frames, equal to `read_all().len()`.
    pub frames: u64,
}

/// Errors of this crate. Every message names the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file has zero bytes.
    #[error("{path}: empty file (0 bytes)")]
    Empty { path: PathBuf },
    /// No supported container was recognised.
    #[error("{path}: not a recognised audio file: {detail}")]
    NotAudio { path: PathBuf, detail: String },
    /// The container holds no audio track.
    #[error("{path}: no audio track")]
    NoAudioTrack { path: PathBuf },
    /// The audio codec (or a feature of it) is not supported.
    #[error("{path}: unsupported codec: {detail}")]
    UnsupportedCodec { path: PathBuf, detail: String },
    /// The header makes impossible claims (0 channels, 0 Hz, ...).
    #[error("{path}: invalid header: {detail}")]
    InvalidHeader { path: PathBuf, detail: String },
    /// Decoding failed inside the track.
    #[error("{path}: decode error at source frame {position}: {detail}")]
    Decode {
        path: PathBuf,
        position: u64,
        detail: String,
    },
}

/// Output rate for a source rate: 44.1 and 48 kHz are kept, everything else goes to 48 kHz.
pub fn output_rate_for(source_rate: u32) -> u32 {
    match source_rate {
        44_100 => 44_100,
        _ => 48_000,
    }
}

fn codecs() -> &'static CodecRegistry {
    static REG: OnceLock<CodecRegistry> = OnceLock::new();
    REG.get_or_init(|| {
        let mut reg = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut reg);
        reg.register_audio_decoder::<symphonia_adapter_libopus::OpusDecoder>();
        reg
    })
}

/// An opened audio file.
pub struct Source {
    info: SourceInfo,
    inner: Inner,
}

enum Inner {
    Native(Box<Native>),
    Resampled(Box<resample::Resampled>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("info", &self.info).finish()
    }
}

impl Source {
    /// Open and probe a file, establish its exact length. See the crate docs.
    pub fn open(path: &Path) -> Result<Source, SourceError> {
        let native = Native::open(path)?;
        let rate = output_rate_for(native.rate);
        let mut info = native.info.clone();
        info.rate = rate;
        let inner = if rate == native.rate {
            info.frames = native.frames;
            Inner::Native(Box::new(native))
        } else {
            let r = resample::Resampled::new(native, rate).map_err(|detail| {
                SourceError::UnsupportedCodec {
                    path: path.to_path_buf(),
                    detail,
                }
            })?;
            info.frames = r.frames();
            Inner::Resampled(Box::new(r))
        };
        Ok(Source { info, inner })
    }

    /// Facts about the source.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Output frames `[range.start, range.end)` clamped to `[0, frames)`. Bit-identical to
    /// `read_all()[range]` for every format, including resampled ones. Sequential calls
    /// (`range.start` == previous `range.end`) continue decoding without seeking.
    pub fn read(&mut self, range: Range<u64>) -> Result<Vec<Frame>, SourceError> {
        let end = range.end.min(self.info.frames);
        let start = range.start.min(end);
        if start == end {
            return Ok(Vec::new());
        }
        match &mut self.inner {
            Inner::Native(n) => n.read(start, end),
            Inner::Resampled(r) => r.read(start, end),
        }
    }

    /// The whole track.
    pub fn read_all(&mut self) -> Result<Vec<Frame>, SourceError> {
        self.read(0..self.info.frames)
    }

    /// Random reads seek (rather than decode from the start). For tests and diagnostics.
    #[doc(hidden)]
    pub fn seeks_randomly(&self) -> bool {
        let n = match &self.inner {
            Inner::Native(n) => n,
            Inner::Resampled(r) => r.native(),
        };
        n.seekable && n.seek_exact
    }
}

// ---------------------------------------------------------------------------------------------
// Native-rate decoding with exact positions.
// ---------------------------------------------------------------------------------------------

/// Result of decoding the next packet.
enum Step {
    /// A block was appended; `end` is the position (relative to `base`) one past its last frame,
    /// `len` the number of frames appended.
    Block { end: i64, len: usize },
    /// The packet at `end` failed to decode.
    Bad { end: i64, detail: String },
    /// End of stream.
    Eof,
    /// The demuxer failed.
    Fatal(String),
}

/// Decoder + demuxer at the source rate, producing stereo frames at exact positions.
pub(crate) struct Native {
    path: PathBuf,
    probe: Probe,
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    params: AudioCodecParameters,
    track_id: u32,
    pub(crate) rate: u32,
    info: SourceInfo,
    /// Timestamp of decoded frame 0.
    base: i64,
    /// Decoded frames dropped at the start (MP4 encoder priming, see [`mp4_trim`]). Output frame
    /// `i` is decoded frame `skip + i`; every position below is a decoded position, only
    /// [`Native::read_into`] and `frames` are in output positions.
    skip: u64,
    /// Output frames (after the MP4 trim).
    pub(crate) frames: u64,
    preroll: u64,
    /// MPEG audio (MP1/MP2/MP3) packets, see [`Native::packet_end`].
    mpeg_audio: bool,
    /// Random access by seeking is allowed (time base is 1/rate and positions are consistent).
    seekable: bool,
    /// A fresh decoder after a seek and pre-roll reproduces the full decode bit for bit. False
    /// for AAC: symphonia's decoder draws perceptual-noise-substitution bands from an LCG seeded
    /// once at creation, so after a seek the noise differs; reads decode from the start.
    seek_exact: bool,
    /// Position of `pending[pending_off]`, when the decoder state is valid for continuing.
    cursor: Option<u64>,
    pending: Vec<Frame>,
    pending_off: usize,
    scratch: Vec<f32>,
    mixer: downmix::Mixer,
}

fn ext_hint(path: &Path) -> Hint {
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    hint
}

/// A file that does not report its length (see [`Probe::Unsized`]).
struct UnsizedFile(File);

impl std::io::Read for UnsizedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl std::io::Seek for UnsizedFile {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(pos)
    }
}

impl symphonia::core::io::MediaSource for UnsizedFile {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        None
    }
}

/// How a file is handed to the demuxer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    /// As it is.
    Plain,
    /// Without its byte length: for MPEG audio with no Xing/Info/VBRI frame count. symphonia
    /// 0.6.1 then estimates the frame count from the first 16 frames' average size and treats
    /// that guess as an exact gapless length: packets past it get `trim_end`, which its decoder
    /// applies, so the estimate's error is cut from the end of the stream (one frame for most
    /// CBR files, where the estimate rounds down; many for VBR files), and its seek refuses
    /// positions past the guess. Without a byte length it makes no estimate, trims nothing and
    /// every frame decodes, as in ffmpeg.
    Unsized,
}

fn probe(path: &Path, how: Probe) -> Result<Box<dyn FormatReader>, SourceError> {
    let file = File::open(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let source: Box<dyn symphonia::core::io::MediaSource> = match how {
        Probe::Plain => Box::new(file),
        Probe::Unsized => Box::new(UnsizedFile(file)),
    };
    let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    // A demuxer that panics on a hostile header (e.g. an arithmetic overflow in a debug build)
    // must not take the caller down: report it as an invalid header.
    let probed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        symphonia::default::get_probe().probe(
            &ext_hint(path),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
    }))
    .map_err(|_| SourceError::InvalidHeader {
        path: path.to_path_buf(),
        detail: "the demuxer rejected the header (internal panic)".into(),
    })?;
    probed.map_err(|e| match e {
        SymError::Unsupported(d) => SourceError::NotAudio {
            path: path.to_path_buf(),
            detail: d.to_string(),
        },
        SymError::IoError(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            SourceError::NotAudio {
                path: path.to_path_buf(),
                detail: "file ends inside the header (truncated?)".into(),
            }
        }
        SymError::IoError(source) => SourceError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => SourceError::InvalidHeader {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    })
}

fn canonical_format(short: &str) -> String {
    match short.to_ascii_lowercase().as_str() {
        "wave" | "riff" | "wav" => "wav".into(),
        "isomp4" | "mp4" | "m4a" => "mp4".into(),
        "mpa" | "mp3" | "mpeg" => "mp3".into(),
        s => s.into(),
    }
}

fn canonical_codec(short: &str) -> String {
    match short.to_ascii_lowercase().as_str() {
        "mpa" | "mp3" => "mp3".into(),
        s => s.into(),
    }
}

impl Native {
    fn make_decoder(
        path: &Path,
        params: &AudioCodecParameters,
    ) -> Result<Box<dyn AudioDecoder>, SourceError> {
        codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|e| SourceError::UnsupportedCodec {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })
    }

    fn open(path: &Path) -> Result<Native, SourceError> {
        let meta = std::fs::metadata(path).map_err(|source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.len() == 0 {
            return Err(SourceError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut reader = probe(path, Probe::Plain)?;
        let mut how = Probe::Plain;
        if unsure_mpeg_length(reader.as_ref()) {
            reader = probe(path, Probe::Unsized)?;
            how = Probe::Unsized;
        }
        let format_name = canonical_format(reader.format_info().short_name);
        let track = reader
            .default_track(TrackType::Audio)
            .or_else(|| reader.first_track(TrackType::Audio))
            .ok_or_else(|| SourceError::NoAudioTrack {
                path: path.to_path_buf(),
            })?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .cloned()
            .ok_or_else(|| SourceError::NoAudioTrack {
                path: path.to_path_buf(),
            })?;
        let track_id = track.id;
        let claimed = track.num_frames;
        let time_base = track.time_base;
        let invalid = |detail: String| SourceError::InvalidHeader {
            path: path.to_path_buf(),
            detail,
        };
        let rate = params
            .sample_rate
            .ok_or_else(|| invalid("no sample rate".into()))?;
        if !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return Err(invalid(format!(
                "sample rate {rate} Hz outside {MIN_RATE}..={MAX_RATE}"
            )));
        }
        let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
        if let Some(ch) = &params.channels {
            if ch.count() == 0 {
                return Err(invalid("0 channels".into()));
            }
        }
        if channels > 64 {
            return Err(invalid(format!("{channels} channels")));
        }
        let decoder = Self::make_decoder(path, &params)?;
        let codec_name = canonical_codec(decoder.codec_info().short_name);
        let lossless =
            codec_name == "flac" || codec_name == "alac" || codec_name.starts_with("pcm");
        let float = matches!(
            params.sample_format,
            Some(symphonia::core::audio::sample::SampleFormat::F32)
                | Some(symphonia::core::audio::sample::SampleFormat::F64)
        ) || codec_name.starts_with("pcm_f");
        let bits_per_sample = if !lossless {
            None
        } else if float {
            Some(32)
        } else {
            params
                .bits_per_sample
                .or(decoder.codec_params().bits_per_sample)
                .or(params.bits_per_coded_sample)
                .or_else(|| alac_bit_depth(&codec_name, params.extra_data.as_deref()))
                .filter(|b| (1..=32).contains(b))
        };
        let preroll = match codec_name.as_str() {
            "mp3" | "mp2" | "mp1" => 4 * 1152,
            "aac" => 4096,
            "vorbis" => 8192,
            "opus" => OPUS_PREROLL * u64::from(rate) / 48_000,
            c if lossless || c.starts_with("adpcm") => 0,
            _ => u64::from(rate), // unknown codec: one second
        };
        let seek_exact = codec_name != "aac";
        let mpeg_audio = matches!(codec_name.as_str(), "mp1" | "mp2" | "mp3");
        let tb_is_frames = match time_base {
            None => true,
            Some(tb) => tb.numer.get() == 1 && tb.denom.get() == rate,
        };
        let info = SourceInfo {
            format: format_name,
            codec: codec_name,
            source_rate: rate,
            rate: output_rate_for(rate),
            source_channels: u16::try_from(channels).unwrap_or(u16::MAX),
            bits_per_sample,
            frames: 0,
        };
        let mut n = Native {
            path: path.to_path_buf(),
            probe: how,
            reader,
            decoder,
            params,
            track_id,
            rate,
            info,
            base: 0,
            skip: 0,
            frames: 0,
            preroll,
            mpeg_audio,
            seekable: tb_is_frames,
            seek_exact,
            cursor: None,
            pending: Vec::new(),
            pending_off: 0,
            scratch: Vec::new(),
            mixer: downmix::Mixer::default(),
        };
        n.establish_length(if lossless { claimed } else { None })?;
        if n.info.format == "mp4" && matches!(n.info.codec.as_str(), "aac" | "alac") {
            n.apply_mp4_trim();
        }
        n.info.frames = n.frames;
        if n.info.source_channels == 0 {
            n.info.source_channels = u16::try_from(n.mixer.channels()).unwrap_or(u16::MAX);
        }
        Ok(n)
    }

    /// Gapless MP4: drop the encoder priming and the padding given by the edit list or the
    /// `iTunSMPB` tag (see [`mp4_trim`]). A trim that does not fit the decoded stream (priming
    /// beyond its end) is ignored; a length beyond the decoded end is capped to it.
    fn apply_mp4_trim(&mut self) {
        let Ok(mut file) = File::open(&self.path) else {
            return;
        };
        let Some(trim) = mp4_trim::read_trim(&mut file, self.track_id, self.rate) else {
            return;
        };
        if trim.start >= self.frames {
            return;
        }
        let avail = self.frames - trim.start;
        self.skip = trim.start;
        self.frames = trim.len.map_or(avail, |l| l.min(avail));
    }

    /// A decode error at decoded position `position`, reported in output positions.
    fn err_decode(&self, position: u64, detail: impl Into<String>) -> SourceError {
        SourceError::Decode {
            path: self.path.clone(),
            position: position.saturating_sub(self.skip),
            detail: detail.into(),
        }
    }

    /// Where a packet's valid frames lie: `(pts + trim_start - base, valid duration)`.
    ///
    /// The MPEG audio demuxer of symphonia 0.6.1 leaves `dur` untrimmed
    /// (`PacketBuilder::trimmed_dur` subtracts the builder's zero trims instead of the computed
    /// ones), so the first packet would end `delay` frames late and the last one `padding`
    /// frames late, which broke the tail check and disabled seeking for gapless MP3s. An MPEG
    /// packet whose `dur` equals the full frame length of its header while it has trims is
    /// corrected here; a fixed demuxer (trimmed `dur`) is left alone.
    fn packet_span(&self, packet: &Packet) -> (i64, u64) {
        let trim_start = packet.trim_start.get();
        let trims = trim_start.saturating_add(packet.trim_end.get());
        let mut dur = packet.dur.get();
        if self.mpeg_audio && trims > 0 && mpeg_frame_len(&packet.data) == Some(dur) {
            dur = dur.saturating_sub(trims);
        }
        let start = packet
            .pts
            .get()
            .saturating_add(trim_start.min(i64::MAX as u64) as i64)
            .saturating_sub(self.base);
        (start, dur)
    }

    /// Position one past the last valid frame of a packet (before decoding it).
    fn packet_end(&self, packet: &Packet) -> i64 {
        let (start, dur) = self.packet_span(packet);
        start.saturating_add(dur.min(i64::MAX as u64) as i64)
    }

    /// Decode the next packet of our track, appending stereo frames to `out`. A panic inside
    /// the demuxer or decoder (malformed data) becomes [`Step::Fatal`].
    fn step(&mut self, out: &mut Vec<Frame>) -> Step {
        let len = out.len();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.step_inner(out))) {
            Ok(step) => step,
            Err(_) => {
                out.truncate(len);
                Step::Fatal("internal panic in the decoder (malformed data)".into())
            }
        }
    }

    fn step_inner(&mut self, out: &mut Vec<Frame>) -> Step {
        loop {
            let packet = match self.reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Step::Eof,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Step::Eof
                }
                Err(e) => return Step::Fatal(e.to_string()),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let (start, dur) = self.packet_span(&packet);
            let end = start.saturating_add(dur.min(i64::MAX as u64) as i64);
            match self.decoder.decode(&packet) {
                Ok(buf) => {
                    let len = append_stereo(&buf, &mut self.scratch, &mut self.mixer, out);
                    // Fewer frames than the valid duration: the decoder trimmed the start
                    // itself (libopus adapter: pre-skip on the first packet after a reset), the
                    // block ends at `end`. More: the decoder did not trim the padding the
                    // container declares (AAC in MP4): the block starts at `start`, and the
                    // extra frames are part of the decoded stream (the MP4 trim, applied on
                    // top of decoded positions, removes them).
                    let end = if (len as u64) > dur {
                        start.saturating_add(len as i64)
                    } else {
                        end
                    };
                    return Step::Block { end, len };
                }
                Err(e) => {
                    return Step::Bad {
                        end,
                        detail: e.to_string(),
                    };
                }
            }
        }
    }

    /// Re-open the file: a fresh demuxer and decoder positioned at the very start, the same
    /// state as a full decode begins with.
    fn rewind(&mut self) -> Result<(), SourceError> {
        self.reader = probe(&self.path, self.probe)?;
        self.decoder = Self::make_decoder(&self.path, &self.params)?;
        self.cursor = Some(0);
        self.pending.clear();
        self.pending_off = 0;
        Ok(())
    }

    /// Seek the demuxer to `ts_rel` (relative to base) and make a fresh decoder. A demuxer
    /// that refuses (some MP4 readers after reaching the end of the file) is re-opened and
    /// asked again once.
    fn seek_raw(&mut self, ts_rel: u64) -> bool {
        self.seek_once(ts_rel) || (self.reopen_reader() && self.seek_once(ts_rel))
    }

    fn reopen_reader(&mut self) -> bool {
        match probe(&self.path, self.probe) {
            Ok(r) => {
                self.reader = r;
                true
            }
            Err(_) => false,
        }
    }

    fn seek_once(&mut self, ts_rel: u64) -> bool {
        let Some(ts) = i64::try_from(ts_rel)
            .ok()
            .and_then(|t| t.checked_add(self.base))
        else {
            return false;
        };
        self.cursor = None;
        self.pending.clear();
        self.pending_off = 0;
        let seeked = self.reader.seek(
            SeekMode::Accurate,
            SeekTo::Timestamp {
                ts: Timestamp::new(ts),
                track_id: self.track_id,
            },
        );
        match seeked {
            Ok(s) if s.actual_ts.get() <= ts => {}
            _ => return false,
        }
        match Self::make_decoder(&self.path, &self.params) {
            Ok(d) => {
                self.decoder = d;
                true
            }
            Err(_) => false,
        }
    }

    /// Determine `base` (from the first packet) and the exact frame count.
    fn establish_length(&mut self, claimed: Option<u64>) -> Result<(), SourceError> {
        // First decoded block gives the time origin.
        let mut tmp = Vec::new();
        let mut first_end = None;
        let mut fatal = None;
        loop {
            tmp.clear();
            match self.step(&mut tmp) {
                Step::Block { end, len } if len > 0 => {
                    first_end = Some((end, len));
                    break;
                }
                Step::Block { .. } => continue,
                Step::Bad { detail, .. } => {
                    fatal = Some(detail);
                    break;
                }
                Step::Eof => break,
                Step::Fatal(d) => {
                    fatal = Some(d);
                    break;
                }
            }
        }
        let Some((end0, len0)) = first_end else {
            if let Some(detail) = fatal {
                return Err(SourceError::Decode {
                    path: self.path.clone(),
                    position: 0,
                    detail,
                });
            }
            self.frames = 0;
            return Ok(());
        };
        self.base = end0 - len0 as i64;
        if !self.seekable {
            return self.count_by_decoding();
        }
        // Claim: container count (trusted lossless) or packet scan.
        let claim = match claimed {
            Some(c) => c,
            None => {
                let mut max_end = len0 as u64;
                loop {
                    match self.reader.next_packet() {
                        Ok(Some(p)) if p.track_id == self.track_id => {
                            let end = self.packet_end(&p);
                            max_end = max_end.max(end.max(0) as u64);
                        }
                        Ok(Some(_)) => {}
                        _ => break,
                    }
                }
                max_end
            }
        };
        // Verify the tail.
        let t = claim.saturating_sub(self.preroll + TAIL_MARGIN);
        // After a scan to the end of the file some demuxers refuse to read again after a
        // seek (isomp4: "no atom pending read"): verify the tail with a fresh demuxer.
        let fresh = claimed.is_some() || self.reopen_reader();
        let verified = if t == 0 {
            None
        } else if fresh && self.seek_raw(t) {
            let mut last_good: Option<u64> = None;
            let mut consistent = true;
            loop {
                tmp.clear();
                match self.step(&mut tmp) {
                    Step::Block { end, len } => {
                        if len > 0 {
                            if end < len as i64 {
                                consistent = false;
                                break;
                            }
                            let e = end as u64;
                            if let Some(prev) = last_good {
                                if e - len as u64 != prev && e > t {
                                    // Gap or overlap between packets: positions unreliable.
                                    consistent = false;
                                    break;
                                }
                            }
                            last_good = Some(e);
                        }
                    }
                    Step::Bad { end, .. } => {
                        if end > t as i64 {
                            break;
                        }
                    }
                    Step::Eof | Step::Fatal(_) => break,
                }
            }
            match last_good {
                Some(e) if consistent && e > t => Some(e),
                _ => None,
            }
        } else {
            None
        };
        match verified {
            Some(e) => {
                self.frames = e;
                self.cursor = None;
                Ok(())
            }
            None => {
                // Short file (claim within the pre-roll), or the tail check failed.
                if t != 0 {
                    self.seekable = false;
                }
                self.count_by_decoding()
            }
        }
    }

    /// Exact count by decoding the whole stream from the start (short or broken files).
    fn count_by_decoding(&mut self) -> Result<(), SourceError> {
        self.rewind()?;
        let mut tmp = Vec::new();
        let mut total: u64 = 0;
        loop {
            tmp.clear();
            match self.step(&mut tmp) {
                Step::Block { len, .. } => total += len as u64,
                Step::Bad { .. } | Step::Eof | Step::Fatal(_) => break,
            }
        }
        self.frames = total;
        self.cursor = None;
        Ok(())
    }

    /// Position the decoder so that `pending[pending_off]` is frame `a`.
    fn position_at(&mut self, a: u64) -> Result<(), SourceError> {
        let can_seek = self.seekable && self.seek_exact && a > self.preroll;
        // Ahead of the current position and nearer than a seek's pre-roll (or no exact seek):
        // keep decoding from here.
        if let Some(c) = self.cursor {
            if c <= a && (!can_seek || a - c <= self.preroll) {
                let avail = (self.pending.len() - self.pending_off) as u64;
                if a - c < avail {
                    self.pending_off += (a - c) as usize;
                    self.cursor = Some(a);
                    return Ok(());
                }
                self.pending.clear();
                self.pending_off = 0;
                if self.decode_forward_to(c + avail, a).is_ok() {
                    return Ok(());
                }
                // Failed on the way: take the ordinary path (which reports a real error).
            }
        }
        for attempt in 0..2 {
            if !can_seek {
                break;
            }
            if attempt == 1 && !self.reopen_reader() {
                break;
            }
            if !self.seek_raw(a - self.preroll) {
                break;
            }
            let mut tmp = Vec::new();
            loop {
                tmp.clear();
                match self.step(&mut tmp) {
                    Step::Block { end, len } => {
                        if end <= a as i64 || len == 0 {
                            continue;
                        }
                        let start = end - len as i64;
                        if start > a as i64 {
                            break; // overshoot: fall back to decoding from the start
                        }
                        let skip = (a as i64 - start) as usize;
                        std::mem::swap(&mut self.pending, &mut tmp);
                        self.pending_off = skip;
                        self.cursor = Some(a);
                        return Ok(());
                    }
                    Step::Bad { end, detail } => {
                        if end > a as i64 {
                            return Err(self.err_decode(a, detail));
                        }
                    }
                    Step::Eof | Step::Fatal(_) => break,
                }
            }
        }
        // Decode from the start and discard up to `a`.
        self.rewind()?;
        self.decode_forward_to(0, a)
    }

    /// The decoder's next block starts at `pos` (nothing pending): decode and discard up to
    /// `a`, leaving `pending[pending_off]` at frame `a`.
    fn decode_forward_to(&mut self, mut pos: u64, a: u64) -> Result<(), SourceError> {
        let mut tmp = Vec::new();
        loop {
            tmp.clear();
            match self.step(&mut tmp) {
                Step::Block { len, .. } => {
                    let len = len as u64;
                    if pos + len > a {
                        std::mem::swap(&mut self.pending, &mut tmp);
                        self.pending_off = (a - pos) as usize;
                        self.cursor = Some(a);
                        return Ok(());
                    }
                    pos += len;
                }
                Step::Bad { detail, .. } => {
                    self.cursor = None;
                    return Err(self.err_decode(pos, detail));
                }
                Step::Eof => {
                    self.cursor = None;
                    return Err(self.err_decode(pos, "stream ended early"));
                }
                Step::Fatal(d) => {
                    self.cursor = None;
                    return Err(self.err_decode(pos, d));
                }
            }
        }
    }

    /// Output frames `[a, b)`, `a < b <= frames`.
    pub(crate) fn read(&mut self, a: u64, b: u64) -> Result<Vec<Frame>, SourceError> {
        let mut out = Vec::with_capacity((b - a) as usize);
        self.read_into(a, b, &mut out)?;
        Ok(out)
    }

    /// Output frames `[a, b)`, `a < b <= frames`, appended to `out`.
    pub(crate) fn read_into(
        &mut self,
        a: u64,
        b: u64,
        out: &mut Vec<Frame>,
    ) -> Result<(), SourceError> {
        debug_assert!(a < b && b <= self.frames);
        self.read_decoded_into(a + self.skip, b + self.skip, out)
    }

    /// Decoded frames `[a, b)` (positions before the MP4 trim), appended to `out`.
    fn read_decoded_into(
        &mut self,
        a: u64,
        b: u64,
        out: &mut Vec<Frame>,
    ) -> Result<(), SourceError> {
        if self.cursor != Some(a) {
            self.position_at(a)?;
        }
        let need = (b - a) as usize;
        let target = out.len() + need;
        let mut pos = a;
        let mut retried = false;
        loop {
            let avail = self.pending.len() - self.pending_off;
            let take = avail.min(target - out.len());
            out.extend_from_slice(&self.pending[self.pending_off..self.pending_off + take]);
            self.pending_off += take;
            pos += take as u64;
            self.cursor = Some(pos);
            if out.len() == target {
                return Ok(());
            }
            self.pending.clear();
            self.pending_off = 0;
            let mut buf = std::mem::take(&mut self.pending);
            let step = self.step(&mut buf);
            self.pending = buf;
            match step {
                Step::Block { end, len } => {
                    if len > 0 && self.seekable && end - len as i64 != pos as i64 {
                        // The demuxer's timestamps disagree with the decoded stream: stop
                        // trusting them for random access (decode from the start instead).
                        self.seekable = false;
                    }
                }
                Step::Bad { detail, .. } => {
                    self.cursor = None;
                    return Err(self.err_decode(pos, detail));
                }
                Step::Eof | Step::Fatal(_) if !retried => {
                    // A demuxer that lost its way after a seek: re-open and continue from here.
                    retried = true;
                    self.cursor = None;
                    self.position_at(pos)?;
                }
                Step::Eof => {
                    self.cursor = None;
                    return Err(self.err_decode(pos, "stream ended before the counted length"));
                }
                Step::Fatal(d) => {
                    self.cursor = None;
                    return Err(self.err_decode(pos, d));
                }
            }
        }
    }
}

/// MPEG audio whose frame count symphonia would guess (no Xing/Info/VBRI count, hence no
/// `num_frames` that is not an estimate): see [`Probe::Unsized`]. A LAME tag (delay/padding)
/// always comes with an Info/Xing frame count, which is exact.
fn unsure_mpeg_length(reader: &dyn FormatReader) -> bool {
    let Some(track) = reader
        .default_track(TrackType::Audio)
        .or_else(|| reader.first_track(TrackType::Audio))
    else {
        return false;
    };
    let mpeg = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .is_some_and(|p| {
            use symphonia::core::codecs::audio::well_known::{
                CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3,
            };
            [CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3].contains(&p.codec)
        });
    mpeg && track.delay.is_none() && track.padding.is_none()
}

/// Frames in an MPEG audio frame, from its header (the first four bytes of the packet).
fn mpeg_frame_len(data: &[u8]) -> Option<u64> {
    let h = u32::from_be_bytes(data.get(..4)?.try_into().ok()?);
    if h & 0xFFE0_0000 != 0xFFE0_0000 {
        return None;
    }
    let mpeg1 = (h >> 19) & 3 == 3;
    match (h >> 17) & 3 {
        3 => Some(384),           // layer I
        2 => Some(1152),          // layer II
        1 if mpeg1 => Some(1152), // layer III, MPEG-1
        1 => Some(576),           // layer III, MPEG-2 / 2.5
        _ => None,
    }
}

/// Bit depth from an ALAC magic cookie (`ALACSpecificConfig`, 24 bytes, optionally preceded by
/// a 12-byte atom header): byte 5 of the config.
fn alac_bit_depth(codec: &str, cookie: Option<&[u8]>) -> Option<u32> {
    let cookie = cookie?;
    if codec != "alac" || cookie.len() < 24 {
        return None;
    }
    let config = if cookie.len() >= 36 && &cookie[4..8] == b"alac" {
        &cookie[12..]
    } else {
        cookie
    };
    config.get(5).map(|&b| u32::from(b))
}

/// Convert a decoded buffer to stereo frames appended to `out`; returns the number appended.
fn append_stereo(
    buf: &GenericAudioBufferRef<'_>,
    scratch: &mut Vec<f32>,
    mixer: &mut downmix::Mixer,
    out: &mut Vec<Frame>,
) -> usize {
    let frames = buf.frames();
    if frames == 0 {
        return 0;
    }
    let channels: &Channels = buf.spec().channels();
    let n = channels.count();
    if n == 0 {
        return 0;
    }
    mixer.configure(channels);
    scratch.clear();
    buf.copy_to_vec_interleaved::<f32>(scratch);
    out.reserve(frames);
    mixer.mix(&scratch[..frames * n], out);
    frames
}

#[doc(hidden)]
pub fn position_mask_for(count: usize) -> Position {
    downmix::default_positions(count)
}
