//! Whole-file mastering to FLAC (`auralis master`), streamed in two passes:
//!
//! 1. analyse: decode → profile ‖ the chain with a provisional plan, metered
//!    ([`analyse_file`], see [`crate::analyse`]): the calibrated full profile;
//! 2. master: decode ‖ chain (`MasterStream`, equal to `master_range` over the whole track)
//!    and intensity mix ‖ encode (block-aligned segments on two threads, written in order with
//!    one sequential MD5 pass) with the output metered as it is written
//!    ([`master_file_with_plan`]).
//!
//! Neither pass holds the track: blocks of [`crate::READ_BLOCK`] frames (~3 s; [`PIPE_BLOCK`] in
//! the second pass) and a few encoder segments are in flight, so memory stays flat for any
//! length (18-20 MiB of heap whatever the length, measured in `tests/memory.rs`). The output
//! is written to a temporary file in the output's directory and renamed over `output` only
//! when everything succeeded, so a failure never leaves a half-written file. Album mode:
//! analyse every file, take `auralis_master::album_loudness`, master each with its album plan.
//!
//! Not for: chunks (see the crate root).

use std::collections::VecDeque;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use auralis_analysis::{Analyzer, Profile};
use auralis_encode::{bit_depth_for, EncoderSettings, ParallelFlacWriter};
use auralis_master::{mix, MasterStream, Plan, Preset};
use auralis_source::Source;

use crate::RenderError;

/// Encoder threads for the output (decoding, the chain and the writer run beside them).
const ENCODE_THREADS: usize = 2;
/// Worker threads of the analysis pass (the decoder runs beside them).
const ANALYSIS_THREADS: usize = 2;
/// Share of the progress bar for the analysis pass.
const ANALYSE_SHARE: f64 = 0.45;
/// Frames per block between the decoder, chain and writer threads of the mastering pass
/// (0.74 s at 44.1 kHz: small enough that a few in flight cost little memory).
const PIPE_BLOCK: u64 = 1 << 15;
/// Blocks queued between two threads of the mastering pass.
const PIPE_DEPTH: usize = 4;

/// Where a [`master_file`] run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Decoding and analysing the input.
    Analyse,
    /// Running the mastering chain.
    Master,
    /// Encoding (and measuring) the output.
    Encode,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Analyse => "analyse",
            Stage::Master => "master",
            Stage::Encode => "encode",
        }
    }
}

/// Progress report: the stage and the overall fraction done (0..=1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub stage: Stage,
    pub fraction: f64,
}

/// Loudness figures of one side of a [`master_file`] run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoudnessSummary {
    pub integrated_lufs: f64,
    pub true_peak_dbtp: f64,
    pub sample_peak_dbfs: f64,
    pub loudness_range_lu: f64,
}

impl LoudnessSummary {
    fn of(p: &Profile) -> Self {
        LoudnessSummary {
            integrated_lufs: p.integrated_lufs,
            true_peak_dbtp: p.true_peak_dbtp,
            sample_peak_dbfs: p.sample_peak_dbfs,
            loudness_range_lu: p.loudness_range_lu,
        }
    }
}

/// What [`master_file`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct MasterSummary {
    pub input: PathBuf,
    pub output: PathBuf,
    pub preset: Preset,
    pub intensity: f32,
    /// Loudness gain of the plan (dB): the track's own, or the album's in album mode.
    pub gain_db: f64,
    /// Output loudness the plan expected (LUFS).
    pub predicted_lufs: f64,
    /// Gain (dB) that makes the original as loud as the processed output.
    pub level_match_db: f64,
    pub sample_rate: u32,
    pub frames: u64,
    pub duration_seconds: f64,
    pub bits_per_sample: u32,
    /// Measured on the decoded input.
    pub before: LoudnessSummary,
    /// Measured on the output samples (before quantisation to the FLAC bit depth).
    pub after: LoudnessSummary,
    pub output_bytes: u64,
    pub elapsed_seconds: f64,
}

/// Master `input` with `preset` at `intensity` (0..=1, dry/wet) into a FLAC file at
/// `output` (same rate as the stream; 24-bit for hi-res sources, else 16-bit; dithered),
/// with the track's own loudness gain: [`analyse_file`], `Plan::new`, then
/// [`master_file_with_plan`].
pub fn master_file(
    input: &Path,
    output: &Path,
    preset: Preset,
    intensity: f32,
    mut progress: impl FnMut(Progress),
) -> Result<MasterSummary, RenderError> {
    let started = Instant::now();
    check_intensity(input, intensity)?;
    progress(Progress {
        stage: Stage::Analyse,
        fraction: 0.0,
    });
    let profile = analyse_file(input, &[preset], |done, total| {
        progress(Progress {
            stage: Stage::Analyse,
            fraction: ANALYSE_SHARE * done as f64 / total.max(1) as f64,
        })
    })?;
    let plan = Plan::new(&profile, preset);
    let mut summary = master_file_with_plan(input, output, &profile, &plan, intensity, |p| {
        progress(Progress {
            stage: p.stage,
            fraction: ANALYSE_SHARE + (1.0 - ANALYSE_SHARE) * p.fraction,
        })
    })?;
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn check_intensity(input: &Path, intensity: f32) -> Result<(), RenderError> {
    if (0.0..=1.0).contains(&intensity) {
        Ok(())
    } else {
        Err(RenderError::Other {
            path: input.to_path_buf(),
            detail: format!("intensity must be between 0 and 1, got {intensity}"),
        })
    }
}

/// Pass 1: the full profile of the file at `input`, calibrated for `presets` (one decode, no
/// more than a few blocks in memory). `progress(frames done, total)`.
pub fn analyse_file(
    input: &Path,
    presets: &[Preset],
    progress: impl FnMut(u64, u64),
) -> Result<Profile, RenderError> {
    let mut source = Source::open(input)?;
    if source.info().frames == 0 {
        return Err(RenderError::Empty {
            path: input.to_path_buf(),
        });
    }
    crate::analyse::analyse_source(input, &mut source, presets, ANALYSIS_THREADS, progress)
}

/// Pass 2: master `input` with `plan` (built from `profile`, the file's full profile; in
/// album mode from the album's gain) at `intensity` into a FLAC file at `output`, streamed.
/// `progress` reports `Stage::Master` while the chain and the encoder run (fraction 0..1 of
/// this pass) and `Stage::Encode` for the final write.
pub fn master_file_with_plan(
    input: &Path,
    output: &Path,
    profile: &Profile,
    plan: &Plan,
    intensity: f32,
    mut progress: impl FnMut(Progress),
) -> Result<MasterSummary, RenderError> {
    let started = Instant::now();
    check_intensity(input, intensity)?;
    let mut source = Source::open(input)?;
    let info = source.info().clone();
    let total = info.frames;
    if total == 0 {
        return Err(RenderError::Empty {
            path: input.to_path_buf(),
        });
    }
    let rate = info.rate;
    if profile.sample_rate != rate || profile.frames != total || plan.sample_rate() != rate {
        return Err(RenderError::ProfileMismatch {
            path: input.to_path_buf(),
            detail: format!(
                "profile of {} frames at {} Hz, file of {total} frames at {rate} Hz",
                profile.frames, profile.sample_rate
            ),
        });
    }
    let depth = bit_depth_for(info.bits_per_sample);
    progress(Progress {
        stage: Stage::Master,
        fraction: 0.0,
    });
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_err = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| RenderError::Io {
            path,
            action,
            source,
        }
    };
    let tmp = tempfile::Builder::new()
        .prefix(".auralis-master-")
        .suffix(".flac.tmp")
        .tempfile_in(&dir)
        .map_err(io_err(
            "cannot create a temporary file in the output directory",
            output,
        ))?;
    let file = tmp
        .as_file()
        .try_clone()
        .map_err(io_err("cannot write", output))?;

    let (after, bytes) = std::thread::scope(|s| -> Result<(Profile, u64), RenderError> {
        // Decoder thread → chain thread → this thread (meter, encoder dispatch, writes).
        // Four blocks (3 s) of slack between stages: on a busy machine a stage that loses its
        // core for a moment does not stall the others.
        let (in_tx, in_rx) = mpsc::sync_channel::<Result<Vec<[f32; 2]>, RenderError>>(PIPE_DEPTH);
        let (out_tx, out_rx) = mpsc::sync_channel::<Vec<[f32; 2]>>(PIPE_DEPTH);
        let source = &mut source;
        s.spawn(move || {
            let mut pos = 0;
            while pos < total {
                let end = (pos + PIPE_BLOCK).min(total);
                let block = source.read(pos..end).map_err(RenderError::from);
                let failed = block.is_err();
                if in_tx.send(block).is_err() || failed {
                    return;
                }
                pos = end;
            }
        });
        let chain = s.spawn(move || -> Result<(), RenderError> {
            let mut stream = MasterStream::new(plan);
            let mut originals: VecDeque<[f32; 2]> = VecDeque::new();
            let mut processed = Vec::with_capacity(PIPE_BLOCK as usize);
            let send =
                |processed: &mut Vec<[f32; 2]>, originals: &mut VecDeque<[f32; 2]>| -> bool {
                    let n = processed.len();
                    let out = if intensity < 1.0 {
                        let orig: Vec<[f32; 2]> = originals.drain(..n).collect();
                        mix(&orig, processed, intensity)
                    } else {
                        std::mem::take(processed)
                    };
                    processed.clear();
                    out_tx.send(out).is_ok()
                };
            for block in in_rx {
                let block = block?;
                if intensity < 1.0 {
                    originals.extend(block.iter().copied());
                }
                stream.process(&block, &mut processed);
                if !send(&mut processed, &mut originals) {
                    return Ok(());
                }
            }
            stream.finish(&mut processed);
            send(&mut processed, &mut originals);
            Ok(())
        });

        let mut writer = ParallelFlacWriter::new(
            BufWriter::with_capacity(1 << 20, file),
            rate,
            depth,
            0,
            intensity > 0.0,
            &EncoderSettings::fast(),
            ENCODE_THREADS,
        )
        .map_err(|e| RenderError::encode(output, e))?;
        let mut meter = Analyzer::loudness_only(rate);
        let mut done = 0u64;
        for block in out_rx {
            meter.push(&block);
            writer
                .write(&block)
                .map_err(|e| RenderError::encode(output, e))?;
            done += block.len() as u64;
            progress(Progress {
                stage: Stage::Master,
                fraction: 0.97 * done as f64 / total as f64,
            });
        }
        // The chain thread's error (a decode error) wins over a short output.
        match chain.join() {
            Ok(r) => r?,
            Err(_) => {
                return Err(RenderError::Other {
                    path: input.to_path_buf(),
                    detail: "mastering thread panicked".into(),
                })
            }
        }
        if done != total {
            return Err(RenderError::Other {
                path: input.to_path_buf(),
                detail: format!("mastered {done} of {total} frames"),
            });
        }
        progress(Progress {
            stage: Stage::Encode,
            fraction: 0.97,
        });
        let buf = writer
            .finish()
            .map_err(|e| RenderError::encode(output, e))?;
        let file = buf.into_inner().map_err(|e| RenderError::Io {
            path: output.to_path_buf(),
            action: "cannot write",
            source: e.into_error(),
        })?;
        let bytes = file
            .metadata()
            .map_err(io_err("cannot write", output))?
            .len();
        Ok((meter.finish(), bytes))
    })?;
    tmp.as_file()
        .sync_all()
        .map_err(io_err("cannot write", output))?;
    tmp.persist(output).map_err(|e| RenderError::Io {
        path: output.to_path_buf(),
        action: "cannot move the finished file into place",
        source: e.error,
    })?;
    progress(Progress {
        stage: Stage::Encode,
        fraction: 1.0,
    });

    Ok(MasterSummary {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        preset: plan.preset(),
        intensity,
        gain_db: plan.gain_db(),
        predicted_lufs: plan.predicted_lufs(),
        level_match_db: plan.level_match_db(profile),
        sample_rate: rate,
        frames: total,
        duration_seconds: total as f64 / rate as f64,
        bits_per_sample: depth.bits(),
        before: LoudnessSummary::of(profile),
        after: LoudnessSummary::of(&after),
        output_bytes: bytes,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The whole track through the chain, split into `parts` ranges mastered on parallel
/// threads (each with its own pre-roll; equal to one pass by the chunking invariant).
pub fn master_parallel(plan: &Plan, frames: &[[f32; 2]], parts: usize) -> Vec<[f32; 2]> {
    let total = frames.len() as u64;
    let parts = parts.max(1) as u64;
    if parts == 1 || total < 4 * plan.preroll_frames().max(1) {
        return auralis_master::master_all(plan, frames);
    }
    let bounds: Vec<u64> = (0..=parts).map(|i| total * i / parts).collect();
    let pieces: Vec<Vec<[f32; 2]>> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let range = w[0]..w[1];
                s.spawn(move || {
                    let r: Result<_, std::convert::Infallible> =
                        auralis_master::master_range(plan, total, range, |r| {
                            Ok(frames[r.start as usize..r.end as usize].to_vec())
                        });
                    match r {
                        Ok(v) => v,
                        Err(e) => match e {},
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(v) => v,
                Err(p) => std::panic::resume_unwind(p),
            })
            .collect()
    });
    let mut out = Vec::with_capacity(frames.len());
    for p in pieces {
        out.extend_from_slice(&p);
    }
    out
}
