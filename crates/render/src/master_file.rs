//! Whole-file mastering to FLAC (`auralis master`).
//!
//! decode ‖ analyse (pipelined on two threads) → plan → master the two halves in parallel
//! (`master_range` makes the split exact) → intensity mix → encode (block-aligned segments on
//! two threads, written in order with one sequential MD5 pass) ‖ analyse the result.
//! The output is written to a temporary file in the output's directory and renamed over
//! `output` only when everything succeeded, so a failure never leaves a half-written file.
//!
//! Memory: the decoded track and its mastered version are held in memory (f32 stereo,
//! ~10.6 MB per minute at 44.1 kHz each); encoding works in ~3 s segments (a few in flight).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use auralis_analysis::{Analyzer, Profile};
use auralis_encode::{bit_depth_for, write_flac_parallel, EncoderSettings};
use auralis_master::{master_range, mix, Plan, Preset};
use auralis_source::Source;

use crate::{RenderError, READ_BLOCK};

/// Encoder threads for the output (the output analysis runs beside them).
const ENCODE_THREADS: usize = 2;

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
/// `output` (same rate as the stream; 24-bit for hi-res sources, else 16-bit; dithered).
pub fn master_file(
    input: &Path,
    output: &Path,
    preset: Preset,
    intensity: f32,
    mut progress: impl FnMut(Progress),
) -> Result<MasterSummary, RenderError> {
    let started = Instant::now();
    if !(0.0..=1.0).contains(&intensity) {
        return Err(RenderError::Other {
            path: input.to_path_buf(),
            detail: format!("intensity must be between 0 and 1, got {intensity}"),
        });
    }
    let mut source = Source::open(input)?;
    let info = source.info().clone();
    let total = info.frames;
    if total == 0 {
        return Err(RenderError::Empty {
            path: input.to_path_buf(),
        });
    }
    let rate = info.rate;
    let depth = bit_depth_for(info.bits_per_sample);

    // 1. Decode (this thread) ‖ analyse (helper thread).
    progress(Progress {
        stage: Stage::Analyse,
        fraction: 0.0,
    });
    let mut original: Vec<[f32; 2]> = Vec::with_capacity(total.min(1 << 28) as usize);
    let before: Profile = std::thread::scope(|s| -> Result<Profile, RenderError> {
        let (tx, rx) = mpsc::sync_channel::<Vec<[f32; 2]>>(4);
        let analyser = s.spawn(move || {
            let mut a = Analyzer::new(rate);
            for block in rx {
                a.push(&block);
            }
            a.finish()
        });
        let mut pos = 0;
        let mut result = Ok(());
        while pos < total {
            let end = (pos + READ_BLOCK).min(total);
            match source.read(pos..end) {
                Ok(block) => {
                    original.extend_from_slice(&block);
                    if tx.send(block).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    result = Err(RenderError::from(e));
                    break;
                }
            }
            pos = end;
            progress(Progress {
                stage: Stage::Analyse,
                fraction: 0.4 * pos as f64 / total as f64,
            });
        }
        drop(tx);
        let profile = analyser.join().map_err(|_| RenderError::Other {
            path: input.to_path_buf(),
            detail: "analysis thread panicked".into(),
        })?;
        result.map(|()| profile)
    })?;

    // 2. Master: the two halves in parallel.
    progress(Progress {
        stage: Stage::Master,
        fraction: 0.4,
    });
    let plan = Plan::new(&before, preset);
    let processed = master_parallel(&plan, &original, 2);
    let out_frames = if intensity < 1.0 {
        mix(&original, &processed, intensity)
    } else {
        processed
    };
    drop(original);

    // 3. Encode (this thread, to a temp file) ‖ analyse the result (helper thread).
    progress(Progress {
        stage: Stage::Encode,
        fraction: 0.6,
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
    let (after, bytes) = std::thread::scope(|s| -> Result<(Profile, u64), RenderError> {
        let frames = &out_frames;
        let analyser = s.spawn(move || {
            let mut a = Analyzer::new(rate);
            for block in frames.chunks(READ_BLOCK as usize) {
                a.push(block);
            }
            a.finish()
        });
        let file = tmp
            .as_file()
            .try_clone()
            .map_err(io_err("cannot write", output))?;
        // Block-aligned segments encoded on two threads, written in order (with the MD5)
        // by this one; the analyser above takes the remaining CPU time.
        let n = out_frames.len();
        let mut buf = write_flac_parallel(
            BufWriter::with_capacity(1 << 20, file),
            &out_frames,
            rate,
            depth,
            0,
            true,
            &EncoderSettings::fast(),
            ENCODE_THREADS,
            |done| {
                progress(Progress {
                    stage: Stage::Encode,
                    fraction: 0.6 + 0.4 * done as f64 / n.max(1) as f64,
                })
            },
        )
        .map_err(|e| RenderError::encode(output, e))?;
        buf.flush().map_err(io_err("cannot write", output))?;
        let file = buf.into_inner().map_err(|e| RenderError::Io {
            path: output.to_path_buf(),
            action: "cannot write",
            source: e.into_error(),
        })?;
        let bytes = file
            .metadata()
            .map_err(io_err("cannot write", output))?
            .len();
        let after = analyser.join().map_err(|_| RenderError::Other {
            path: input.to_path_buf(),
            detail: "analysis thread panicked".into(),
        })?;
        Ok((after, bytes))
    })?;
    tmp.as_file()
        .sync_all()
        .map_err(io_err("cannot write", output))?;
    tmp.persist(output).map_err(|e| RenderError::Io {
        path: output.to_path_buf(),
        action: "cannot move the finished file into place",
        source: e.error,
    })?;

    Ok(MasterSummary {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        preset,
        intensity,
        sample_rate: rate,
        frames: total,
        duration_seconds: total as f64 / rate as f64,
        bits_per_sample: depth.bits(),
        before: LoudnessSummary::of(&before),
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
                        master_range(plan, total, range, |r| {
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
