//! A track's full analysis, streamed and calibrated: one decode pass feeds the profile's
//! analyser and, beside it, the mastering chain of every requested preset, run with a
//! provisional plan from the track's fast profile (its excerpts are read first) and metered at
//! its output (every third 6 s segment, see `auralis_master::TrackChainMeter`). The offset
//! transfers from the provisional plan to the final one because the model's error changes
//! slowly with the settings (about 0.03 LU per dB of gain); a rougher provisional profile (4
//! excerpts) measured up to 0.24 LU off on a 10-minute track of loud, quiet and clipped
//! sections, the fast profile 0.09 LU. The difference
//! between what the chain really gave and what the plan's loudness model predicts for those
//! same settings is stored in the profile as each preset's [`Calibration`]; the final plans
//! (from the full profile) apply it, so the output lands on the target to a few hundredths of
//! a LU instead of a few tenths (see `auralis_master::Plan`).
//!
//! The fast profile of a never-seen track can be calibrated the same way on its own excerpts
//! ([`calibrate_fast`]): less exact (a few seconds per excerpt, each after a short warm-up),
//! and cheap enough to run before the first chunk if the caller wants it.
//!
//! Memory is bounded: blocks of [`READ_BLOCK`] frames are in flight, never the track.
//!
//! Not for: rendering chunks or files (see the crate root and `master_file`).

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;

use auralis_analysis::waveform::WaveformBuilder;
use auralis_analysis::{fast_excerpts, Analyzer, Profile};
use auralis_master::{calibrate, ChainMeter, MeasuredSegment, Plan, Preset, TrackChainMeter};
use auralis_source::Source;

use crate::{RenderError, READ_BLOCK};

/// Warm-up run through the chain before each fast-profile excerpt that is calibrated: the
/// compressor and limiter are in a steady state when the metered part starts.
pub const FAST_CALIBRATION_WARMUP_SECONDS: f64 = 1.0;

/// One consumer of the decoded stream.
enum Job {
    Analyse(Box<Analyzer>),
    Measure(Preset, Box<TrackChainMeter>),
    Waveform(Box<WaveformBuilder>),
}

enum JobResult {
    Profile(Profile),
    Measured(Preset, Vec<MeasuredSegment>),
    Waveform(Vec<u8>),
}

impl Job {
    fn cost(&self) -> u32 {
        match self {
            Job::Analyse(_) => 1,
            Job::Measure(..) => 2,
            Job::Waveform(_) => 0,
        }
    }

    fn push(&mut self, frames: &[[f32; 2]]) {
        match self {
            Job::Analyse(a) => a.push(frames),
            Job::Measure(_, m) => m.push(frames),
            Job::Waveform(w) => w.push(frames),
        }
    }

    fn finish(self) -> JobResult {
        match self {
            Job::Analyse(a) => JobResult::Profile(a.finish()),
            Job::Measure(p, m) => JobResult::Measured(p, m.finish()),
            Job::Waveform(w) => JobResult::Waveform(w.finish()),
        }
    }
}

/// The full profile of `source` (read from its start to its end), with a calibration for
/// each of `presets`, on up to `threads` worker threads beside the decoding one.
/// `progress(frames done, total)` is called after each decoded block.
pub fn analyse_source(
    path: &Path,
    source: &mut Source,
    presets: &[Preset],
    threads: usize,
    progress: impl FnMut(u64, u64),
) -> Result<Profile, RenderError> {
    analyse(path, source, presets, threads, false, progress).map(|(profile, _)| profile)
}

/// [`analyse_source`] that also builds the track's waveform (see
/// `auralis_analysis::waveform`) from the same decode pass.
pub fn analyse_source_with_waveform(
    path: &Path,
    source: &mut Source,
    presets: &[Preset],
    threads: usize,
    progress: impl FnMut(u64, u64),
) -> Result<(Profile, Vec<u8>), RenderError> {
    let (profile, waveform) = analyse(path, source, presets, threads, true, progress)?;
    Ok((profile, built(path, waveform)?))
}

/// The waveform of `source` alone, read from its start to its end (a track whose profile was
/// stored before waveforms were kept).
pub fn waveform_of(path: &Path, source: &mut Source) -> Result<Vec<u8>, RenderError> {
    let job = Job::Waveform(Box::new(WaveformBuilder::new(source.info().frames)));
    let waveform = run_jobs(path, source, vec![job], 1, &mut |_, _| {})?
        .into_iter()
        .find_map(|r| match r {
            JobResult::Waveform(w) => Some(w),
            _ => None,
        });
    built(path, waveform)
}

/// The waveform a run was asked for (its job always gives one).
fn built(path: &Path, waveform: Option<Vec<u8>>) -> Result<Vec<u8>, RenderError> {
    waveform.ok_or_else(|| RenderError::Other {
        path: path.to_path_buf(),
        detail: "the waveform was not built".into(),
    })
}

fn analyse(
    path: &Path,
    source: &mut Source,
    presets: &[Preset],
    threads: usize,
    with_waveform: bool,
    mut progress: impl FnMut(u64, u64),
) -> Result<(Profile, Option<Vec<u8>>), RenderError> {
    let info = source.info().clone();
    let (total, rate) = (info.frames, info.rate);
    let fast = auralis_analysis::fast_profile(total, rate, |r| source.read(r))?;
    // A short track's fast profile already covers every frame.
    let known = fast.kind == auralis_analysis::ProfileKind::Full;
    let plans: Vec<(Preset, Plan)> = presets.iter().map(|&p| (p, Plan::new(&fast, p))).collect();
    let mut jobs: Vec<Job> = Vec::new();
    if !known {
        jobs.push(Job::Analyse(Box::new(Analyzer::new(rate))));
    }
    for (p, plan) in &plans {
        jobs.push(Job::Measure(
            *p,
            Box::new(TrackChainMeter::new(plan, total)),
        ));
    }
    if with_waveform {
        jobs.push(Job::Waveform(Box::new(WaveformBuilder::new(total))));
    }
    let results = run_jobs(path, source, jobs, threads, &mut progress)?;
    let mut profile = fast;
    let mut measured = Vec::new();
    let mut waveform = None;
    for r in results {
        match r {
            JobResult::Profile(p) => profile = p,
            JobResult::Measured(p, m) => measured.push((p, m)),
            JobResult::Waveform(w) => waveform = Some(w),
        }
    }
    profile.frames = total;
    profile.calibration.clear();
    for (preset, m) in measured {
        let plan = plans
            .iter()
            .find(|(p, _)| *p == preset)
            .map(|(_, plan)| plan);
        if let Some(c) = plan.and_then(|plan| calibrate(plan, &profile, &m)) {
            profile.set_calibration(c);
        }
    }
    Ok((profile, waveform))
}

/// Decodes `source` from start to end once, feeding every job (spread over `threads` worker
/// threads by cost), and returns their results.
fn run_jobs(
    path: &Path,
    source: &mut Source,
    jobs: Vec<Job>,
    threads: usize,
    progress: &mut impl FnMut(u64, u64),
) -> Result<Vec<JobResult>, RenderError> {
    let total = source.info().frames;
    // Greedy: each job to the least loaded group.
    let groups = threads.clamp(1, jobs.len().max(1));
    let mut buckets: Vec<(u32, Vec<Job>)> = (0..groups).map(|_| (0, Vec::new())).collect();
    for job in jobs {
        if let Some(b) = buckets.iter_mut().min_by_key(|b| b.0) {
            b.0 += job.cost();
            b.1.push(job);
        }
    }
    std::thread::scope(|s| -> Result<Vec<JobResult>, RenderError> {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for (_, mut group) in buckets.into_iter().filter(|b| !b.1.is_empty()) {
            // Four blocks (12 s) of slack, so a worker that loses its core for a moment does
            // not stall the decoder.
            let (tx, rx) = mpsc::sync_channel::<Arc<Vec<[f32; 2]>>>(4);
            senders.push(tx);
            handles.push(s.spawn(move || {
                for block in rx {
                    for j in group.iter_mut() {
                        j.push(&block);
                    }
                }
                group.into_iter().map(Job::finish).collect::<Vec<_>>()
            }));
        }
        let mut pos = 0;
        let mut failed = None;
        while pos < total {
            let end = (pos + READ_BLOCK).min(total);
            match source.read(pos..end) {
                Ok(block) => {
                    let block = Arc::new(block);
                    if senders
                        .iter()
                        .any(|tx| tx.send(Arc::clone(&block)).is_err())
                    {
                        break; // a worker died: reported at join
                    }
                }
                Err(e) => {
                    failed = Some(RenderError::from(e));
                    break;
                }
            }
            pos = end;
            progress(pos, total);
        }
        drop(senders);
        let mut results = Vec::new();
        let mut panicked = false;
        for h in handles {
            match h.join() {
                Ok(r) => results.extend(r),
                Err(_) => panicked = true,
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if panicked {
            return Err(RenderError::Other {
                path: path.to_path_buf(),
                detail: "analysis thread panicked".into(),
            });
        }
        Ok(results)
    })
}

/// Calibrates a fast profile (one that `auralis_analysis::fast_profile` made from excerpts)
/// for `presets` on its own excerpts: each excerpt is re-read with
/// [`FAST_CALIBRATION_WARMUP_SECONDS`] of warm-up in front, run through each preset's chain
/// and metered; the excerpts' output blocks are gated together (as the profile's own blocks
/// are) and compared with the model. Replaces the profile's calibrations for those presets.
/// A short track's fast profile (read whole, kind `Full`) is calibrated on the whole track;
/// another `Full` profile of a longer track is left alone (see [`analyse_source`]).
pub fn calibrate_fast(
    path: &Path,
    source: &mut Source,
    profile: &mut Profile,
    presets: &[Preset],
) -> Result<(), RenderError> {
    let info = source.info().clone();
    let Some(excerpts) = fast_excerpts(info.frames, info.rate) else {
        // A short track's fast profile was read whole: measure the chain over all of it.
        let plans: Vec<(Preset, Plan)> = presets
            .iter()
            .map(|&p| (p, Plan::new(profile, p)))
            .collect();
        let jobs = plans
            .iter()
            .map(|(p, plan)| Job::Measure(*p, Box::new(TrackChainMeter::new(plan, info.frames))))
            .collect();
        for r in run_jobs(path, source, jobs, 2, &mut |_, _| {})? {
            if let JobResult::Measured(preset, m) = r {
                let plan = plans
                    .iter()
                    .find(|(p, _)| *p == preset)
                    .map(|(_, plan)| plan);
                if let Some(c) = plan.and_then(|plan| calibrate(plan, profile, &m)) {
                    profile.set_calibration(c);
                }
            }
        }
        return Ok(());
    };
    if profile.kind != auralis_analysis::ProfileKind::Fast {
        return Ok(());
    }
    let warm = (FAST_CALIBRATION_WARMUP_SECONDS * info.rate as f64) as u64;
    let plans: Vec<Plan> = presets.iter().map(|&p| Plan::new(profile, p)).collect();
    let mut measured: Vec<Vec<MeasuredSegment>> = vec![Vec::new(); plans.len()];
    // Excerpt j's blocks start after the previous excerpts' blocks (the profile's breaks).
    let starts: Vec<usize> = std::iter::once(0)
        .chain(profile.blocks.breaks.iter().map(|&b| b as usize))
        .collect();
    for (j, r) in excerpts.into_iter().enumerate() {
        let from = r.start.saturating_sub(warm);
        let latency = plans.first().map_or(0, |p| p.latency_frames() as u64);
        let input = source.read(from..(r.end + latency).min(info.frames))?;
        let first_block = starts.get(j).copied().unwrap_or(usize::MAX);
        let metered = std::thread::scope(|s| {
            let handles: Vec<_> = plans
                .iter()
                .map(|plan| {
                    let input = &input;
                    let r = r.clone();
                    s.spawn(move || {
                        let mut m =
                            ChainMeter::segment(plan, from, r.start - from, r.end - r.start);
                        m.push(input);
                        m.finish()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().ok())
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| RenderError::Other {
            path: path.to_path_buf(),
            detail: "calibration thread panicked".into(),
        })?;
        for (segs, m) in measured.iter_mut().zip(metered) {
            segs.push(MeasuredSegment {
                first_block,
                energy: m.energy,
            });
        }
    }
    for (plan, segs) in plans.iter().zip(&measured) {
        if let Some(c) = calibrate(plan, profile, segs) {
            profile.set_calibration(c);
        }
    }
    Ok(())
}
