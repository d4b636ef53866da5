//! Where the stages meet: one chunk of one (or several) variants as FLAC bytes, or a whole
//! file mastered to FLAC.
//!
//! - [`TrackAudio`]: an opened track (source info + chunk [`Timeline`]) with profile
//!   computation ([`TrackAudio::fast_profile`], [`TrackAudio::full_profile`]) and chunk
//!   rendering. [`TrackAudio::render_variants`] decodes the chunk's input (with the mastering
//!   pre-roll and lookahead) once and produces every requested variant from it, the variants
//!   mastered and encoded on parallel threads.
//! - Variants: `original` is the decoded source quantised without dither (bit-exact for
//!   16-bit sources); `processed(preset)` is `master_range` at intensity 1.0, quantised with
//!   the position-seeded TPDF dither, so a chunk equals that region of the whole track.
//! - [`TrackAudio::full_profile`]: the calibrated full analysis (see [`analyse`]): one
//!   decode feeds the analyser and each preset's chain, so the plans land on their targets.
//! - [`master_file`]: whole-file mastering in two streamed passes ([`analyse_file`], then
//!   [`master_file_with_plan`], which album mode calls with the album's plan), written to a
//!   temporary file next to the output and renamed at the end; memory stays flat.
//!
//! Not for: caching, scheduling, HTTP (see `auralis-cache` / `auralis-server`).

pub mod analyse;
mod master_file;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use auralis_analysis::Profile;
use auralis_encode::{bit_depth_for, encode_flac_threads, BitDepth, EncodeError};
use auralis_master::{master_range, Plan};
use auralis_source::{Source, SourceError, SourceInfo};
use auralis_timeline::{Timeline, DEFAULT_CHUNK_SECONDS};

pub use analyse::{analyse_source, analyse_source_with_waveform, calibrate_fast, waveform_of};
pub use auralis_core::{Preset, Variant};
pub use master_file::{
    analyse_file, master_file, master_file_with_plan, master_parallel, LoudnessSummary,
    MasterSummary, Progress, Stage,
};

/// Frames decoded per read while streaming a whole track (analysis, mastering).
pub const READ_BLOCK: u64 = 1 << 17;

/// Errors of this crate; every message names the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Opening or decoding the source (the message already names the file).
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{path}: FLAC encoding failed: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: EncodeError,
    },
    #[error("{path}: chunk {chunk} does not exist (the track has {count} chunks)")]
    NoSuchChunk {
        path: PathBuf,
        chunk: u64,
        count: u64,
    },
    #[error("{path}: invalid chunk timeline: {detail}")]
    Timeline { path: PathBuf, detail: String },
    #[error("{path}: profile does not match the track ({detail})")]
    ProfileMismatch { path: PathBuf, detail: String },
    #[error("{path}: no audio frames to master")]
    Empty { path: PathBuf },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Other { path: PathBuf, detail: String },
}

impl RenderError {
    fn encode(path: &Path, source: EncodeError) -> RenderError {
        RenderError::Encode {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An opened track: its source, facts and chunk timeline.
pub struct TrackAudio {
    path: PathBuf,
    source: Source,
    info: SourceInfo,
    timeline: Timeline,
    depth: BitDepth,
}

impl fmt::Debug for TrackAudio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackAudio")
            .field("path", &self.path)
            .field("info", &self.info)
            .field("timeline", &self.timeline)
            .finish()
    }
}

impl TrackAudio {
    /// Open with the default 10 s chunks.
    pub fn open(path: &Path) -> Result<TrackAudio, RenderError> {
        Self::open_with_chunk_seconds(path, DEFAULT_CHUNK_SECONDS)
    }

    /// Open with chunks of `chunk_seconds` (rounded to whole samples).
    pub fn open_with_chunk_seconds(
        path: &Path,
        chunk_seconds: f64,
    ) -> Result<TrackAudio, RenderError> {
        let source = Source::open(path)?;
        let info = source.info().clone();
        let timeline = Timeline::with_chunk_seconds(info.frames, info.rate, chunk_seconds)
            .map_err(|e| RenderError::Timeline {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        Ok(TrackAudio {
            path: path.to_path_buf(),
            depth: bit_depth_for(info.bits_per_sample),
            source,
            info,
            timeline,
        })
    }

    /// Open with an explicit timeline (must match the file's length and rate).
    pub fn open_with_timeline(path: &Path, timeline: Timeline) -> Result<TrackAudio, RenderError> {
        let mut t = Self::open(path)?;
        if timeline.total_samples() != t.info.frames || timeline.sample_rate() != t.info.rate {
            return Err(RenderError::Timeline {
                path: path.to_path_buf(),
                detail: format!(
                    "timeline is {} frames at {} Hz, the file has {} frames at {} Hz",
                    timeline.total_samples(),
                    timeline.sample_rate(),
                    t.info.frames,
                    t.info.rate
                ),
            });
        }
        t.timeline = timeline;
        Ok(t)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// FLAC depth of both variants: 24-bit for sources above 16 bits, else 16-bit.
    pub fn bit_depth(&self) -> BitDepth {
        self.depth
    }

    /// Output frames `range` (clamped to the track).
    pub fn read(&mut self, range: Range<u64>) -> Result<Vec<[f32; 2]>, RenderError> {
        Ok(self.source.read(range)?)
    }

    /// Sparse profile from a few excerpts (never decodes the whole file).
    pub fn fast_profile(&mut self) -> Result<Profile, RenderError> {
        let frames = self.info.frames;
        let rate = self.info.rate;
        let source = &mut self.source;
        Ok(auralis_analysis::fast_profile(frames, rate, |r| {
            source.read(r)
        })?)
    }

    /// Full profile: every frame through the streaming analyzer, decoded in blocks, with the
    /// mastering chain of every preset measured in the same pass (the profile's calibrations,
    /// which put each preset's output on its target; see [`analyse`]).
    pub fn full_profile(&mut self) -> Result<Profile, RenderError> {
        self.full_profile_with(|_, _| {})
    }

    /// [`TrackAudio::full_profile`] reporting `(frames done, total)` after each block.
    pub fn full_profile_with(
        &mut self,
        progress: impl FnMut(u64, u64),
    ) -> Result<Profile, RenderError> {
        self.full_profile_for(&Preset::ALL, progress)
    }

    /// [`TrackAudio::full_profile`] calibrated for `presets` only (cheaper: one chain run per
    /// preset; a preset without a calibration falls back to the model, a few tenths of a LU).
    pub fn full_profile_for(
        &mut self,
        presets: &[Preset],
        progress: impl FnMut(u64, u64),
    ) -> Result<Profile, RenderError> {
        analyse::analyse_source(&self.path, &mut self.source, presets, 2, progress)
    }

    /// [`TrackAudio::full_profile`] and the track's waveform (see `auralis_analysis::waveform`)
    /// from the same single decode.
    pub fn full_profile_and_waveform(&mut self) -> Result<(Profile, Vec<u8>), RenderError> {
        analyse::analyse_source_with_waveform(
            &self.path,
            &mut self.source,
            &Preset::ALL,
            2,
            |_, _| {},
        )
    }

    /// The track's waveform alone (see `auralis_analysis::waveform`), in one decode.
    pub fn waveform(&mut self) -> Result<Vec<u8>, RenderError> {
        analyse::waveform_of(&self.path, &mut self.source)
    }

    /// Calibrates a fast profile on its own excerpts for `presets` (see
    /// [`analyse::calibrate_fast`]).
    pub fn calibrate_fast_profile(
        &mut self,
        profile: &mut Profile,
        presets: &[Preset],
    ) -> Result<(), RenderError> {
        analyse::calibrate_fast(&self.path, &mut self.source, profile, presets)
    }

    fn check_profile(&self, profile: &Profile) -> Result<(), RenderError> {
        if profile.sample_rate != self.info.rate {
            return Err(RenderError::ProfileMismatch {
                path: self.path.clone(),
                detail: format!(
                    "profile at {} Hz, track at {} Hz",
                    profile.sample_rate, self.info.rate
                ),
            });
        }
        Ok(())
    }

    fn chunk_range(&self, chunk: u64) -> Result<Range<u64>, RenderError> {
        self.timeline
            .chunk_range(chunk)
            .ok_or_else(|| RenderError::NoSuchChunk {
                path: self.path.clone(),
                chunk,
                count: self.timeline.chunk_count(),
            })
    }

    /// FLAC bytes of chunk `chunk` of one variant.
    pub fn render_chunk(
        &mut self,
        profile: &Profile,
        chunk: u64,
        variant: Variant,
    ) -> Result<Vec<u8>, RenderError> {
        self.render_variants(profile, chunk, &[variant])
            .pop()
            .unwrap_or_else(|| {
                Err(RenderError::Other {
                    path: self.path.clone(),
                    detail: "no variant rendered".into(),
                })
            })
    }

    /// Chunk `chunk` of each of `variants` (one result per variant, in order) from a single
    /// decode of the chunk plus the mastering pre-roll and lookahead. With several variants,
    /// each is mastered and encoded on its own thread.
    pub fn render_variants(
        &mut self,
        profile: &Profile,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        self.render_variants_with(profile, chunk, variants, &[])
    }

    /// [`TrackAudio::render_variants`] with the album gains (dB, per preset) that album
    /// variants ([`Variant::Album`]) are mastered with ([`Plan::with_gain_db`]); an album
    /// variant whose preset has no gain here fails.
    pub fn render_variants_with(
        &mut self,
        profile: &Profile,
        chunk: u64,
        variants: &[Variant],
        album_gains: &[(Preset, f64)],
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        match self.decode_for_chunk(profile, chunk, variants, album_gains) {
            Ok(input) => {
                let ctx = ChunkCtx {
                    path: &self.path,
                    profile,
                    album_gains,
                    total: self.info.frames,
                    rate: self.info.rate,
                    depth: self.depth,
                    input: &input,
                };
                if variants.len() <= 1 {
                    variants.iter().map(|v| ctx.render(*v)).collect()
                } else {
                    std::thread::scope(|s| {
                        let handles: Vec<_> = variants
                            .iter()
                            .map(|v| {
                                let ctx = &ctx;
                                let v = *v;
                                s.spawn(move || ctx.render(v))
                            })
                            .collect();
                        handles
                            .into_iter()
                            .map(|h| {
                                h.join().unwrap_or_else(|_| {
                                    Err(RenderError::Other {
                                        path: self.path.clone(),
                                        detail: format!("rendering chunk {chunk} panicked"),
                                    })
                                })
                            })
                            .collect()
                    })
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let mut out = vec![Err(e)];
                for _ in 1..variants.len() {
                    out.push(Err(RenderError::Other {
                        path: self.path.clone(),
                        detail: msg.clone(),
                    }));
                }
                out.truncate(variants.len());
                out
            }
        }
    }

    /// Decode everything the variants need for this chunk: the chunk itself plus, for
    /// processed variants, the pre-roll before and the limiter lookahead after.
    fn decode_for_chunk(
        &mut self,
        profile: &Profile,
        chunk: u64,
        variants: &[Variant],
        album_gains: &[(Preset, f64)],
    ) -> Result<ChunkInput, RenderError> {
        let range = self.chunk_range(chunk)?;
        let (mut from, mut to) = (range.start, range.end);
        for v in variants {
            if v.preset().is_some() {
                self.check_profile(profile)?;
            }
            if let Some(plan) = plan_of(&self.path, profile, *v, album_gains)? {
                from = from.min(range.start.saturating_sub(plan.preroll_frames()));
                to = to.max((range.end + plan.latency_frames() as u64).min(self.info.frames));
            }
        }
        let frames = self.source.read(from..to)?;
        Ok(ChunkInput {
            start: from,
            frames,
            range,
        })
    }
}

/// Decoded input for one chunk: `frames` are track frames `start..start + frames.len()`.
struct ChunkInput {
    start: u64,
    frames: Vec<[f32; 2]>,
    range: Range<u64>,
}

impl ChunkInput {
    fn slice(&self, r: Range<u64>) -> &[[f32; 2]] {
        let len = self.frames.len() as u64;
        let a = r.start.saturating_sub(self.start).min(len) as usize;
        let b = r.end.saturating_sub(self.start).min(len) as usize;
        &self.frames[a..b.max(a)]
    }
}

/// The plan a variant is mastered with: `None` for the original, the track's plan for a
/// processed variant, the plan at the album gain for an album variant.
fn plan_of(
    path: &Path,
    profile: &Profile,
    variant: Variant,
    album_gains: &[(Preset, f64)],
) -> Result<Option<Plan>, RenderError> {
    match variant {
        Variant::Original => Ok(None),
        Variant::Processed(preset) => Ok(Some(Plan::new(profile, preset))),
        Variant::Album(preset) => album_gains
            .iter()
            .find(|(p, _)| *p == preset)
            .map(|(_, gain)| Some(Plan::with_gain_db(profile, preset, *gain)))
            .ok_or_else(|| RenderError::Other {
                path: path.to_path_buf(),
                detail: format!("no album gain given for {variant}"),
            }),
    }
}

struct ChunkCtx<'a> {
    path: &'a Path,
    profile: &'a Profile,
    album_gains: &'a [(Preset, f64)],
    total: u64,
    rate: u32,
    depth: BitDepth,
    input: &'a ChunkInput,
}

impl ChunkCtx<'_> {
    fn render(&self, variant: Variant) -> Result<Vec<u8>, RenderError> {
        let range = self.input.range.clone();
        let (frames, dither) = match plan_of(self.path, self.profile, variant, self.album_gains)? {
            None => (self.input.slice(range.clone()).to_vec(), false),
            Some(plan) => {
                let r: Result<_, std::convert::Infallible> =
                    master_range(&plan, self.total, range.clone(), |r| {
                        Ok(self.input.slice(r).to_vec())
                    });
                let frames = match r {
                    Ok(f) => f,
                    Err(e) => match e {},
                };
                (frames, true)
            }
        };
        // The processed variant is encoded last (after the chain) while the original's thread
        // is done by then: its segments go to two threads (same bytes, ~10 ms less per cold
        // chunk with both variants).
        let threads = if dither { 2 } else { 1 };
        encode_flac_threads(&frames, self.rate, self.depth, range.start, dither, threads)
            .map_err(|e| RenderError::encode(self.path, e))
    }
}

/// One chunk of one variant of the file at `path` (opens the file; the worker should keep a
/// [`TrackAudio`] and call [`TrackAudio::render_variants`] instead).
pub fn render_chunk(
    path: &Path,
    profile: &Profile,
    timeline: &Timeline,
    chunk: u64,
    variant: Variant,
) -> Result<Vec<u8>, RenderError> {
    let mut t = TrackAudio::open_with_timeline(path, *timeline)?;
    t.render_chunk(profile, chunk, variant)
}
