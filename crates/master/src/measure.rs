//! Streaming the chain over a whole track: [`MasterStream`] (the whole-track pass in bounded
//! memory, equal to `master_range` over the track), [`ChainMeter`] (the same, metering the
//! output's loudness instead of keeping it), and [`calibrate`], which turns such a measurement
//! into the profile's [`Calibration`] for the preset.
//!
//! Not for: one chunk (see [`crate::master_range`]), choosing the plan.

use auralis_analysis::{gated_loudness, BlockMeter, Calibration, Profile, LOUDNESS_FLOOR_LUFS};

use crate::{Chain, Plan, DSP_VERSION};

/// Frames run through the chain per step.
const STEP: usize = 4096;

/// The whole-track pass, streamed: feed a track's frames in order (from its first frame, or
/// from any `position` for an excerpt), get the processed frames back aligned with the
/// input (the limiter's delay is compensated; [`MasterStream::finish`] flushes the end with
/// silence, as `master_range` does past the end of a track). Fed a whole track from frame 0,
/// the output is exactly `master_range(plan, total, 0..total, ..)`.
pub struct MasterStream {
    chain: Chain,
    /// Output frames still to drop (the limiter's delay).
    skip: usize,
    buf: Vec<[f32; 2]>,
}

impl MasterStream {
    /// A stream whose first input frame is track frame 0.
    pub fn new(plan: &Plan) -> MasterStream {
        MasterStream::at(plan, 0)
    }

    /// A stream whose first input frame is track frame `position`.
    pub fn at(plan: &Plan, position: u64) -> MasterStream {
        let chain = Chain::at(plan, position);
        MasterStream {
            skip: chain.latency(),
            chain,
            buf: vec![[0.0; 2]; STEP],
        }
    }

    /// Processes `input` and appends the processed frames that are complete to `output`
    /// (fewer than `input.len()` at first; the rest comes out later or at `finish`).
    pub fn process(&mut self, input: &[[f32; 2]], output: &mut Vec<[f32; 2]>) {
        for part in input.chunks(STEP) {
            let n = part.len();
            self.chain.process(part, &mut self.buf[..n]);
            let drop = self.skip.min(n);
            self.skip -= drop;
            output.extend_from_slice(&self.buf[drop..n]);
        }
    }

    /// The last processed frames (the track's end, run out with silence).
    pub fn finish(mut self, output: &mut Vec<[f32; 2]>) {
        let zeros = [[0.0f32; 2]; 256];
        let mut left = self.chain.latency();
        while left > 0 {
            let n = left.min(zeros.len());
            self.process(&zeros[..n], output);
            left -= n;
        }
    }
}

/// A plan's chain fed a track's frames in order, metering its output per 100 ms block
/// (aligned with the input's blocks when started at frame 0): the chain's real output
/// loudness, exactly as `master_range` would produce the audio.
pub struct ChainMeter {
    stream: Option<MasterStream>,
    /// Output frames not to meter (warm-up before an excerpt).
    warmup: u64,
    /// Output frames still to meter after the warm-up.
    limit: u64,
    meter: BlockMeter,
    out: Vec<[f32; 2]>,
    gain_db: f64,
}

/// What a [`ChainMeter`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Loudness gain of the plan that ran (dB).
    pub gain_db: f64,
    /// Integrated loudness of the output (LUFS, floored at -70).
    pub integrated_lufs: f64,
    /// Per-100 ms K-weighted energies of the output.
    pub energy: Vec<f64>,
    /// Frames metered.
    pub frames: u64,
}

impl ChainMeter {
    /// A meter for a run that starts at track frame 0.
    pub fn new(plan: &Plan) -> ChainMeter {
        ChainMeter::at(plan, 0, 0)
    }

    /// A meter for a run whose first input frame is track frame `position`, metering only
    /// from `position + warmup` (an excerpt with a warm-up in front).
    pub fn at(plan: &Plan, position: u64, warmup: u64) -> ChainMeter {
        ChainMeter::segment(plan, position, warmup, u64::MAX)
    }

    /// As [`ChainMeter::at`], metering at most `len` frames after the warm-up (feed the
    /// chain's latency in frames beyond them, so their limiter sees what follows).
    pub fn segment(plan: &Plan, position: u64, warmup: u64, len: u64) -> ChainMeter {
        ChainMeter {
            stream: Some(MasterStream::at(plan, position)),
            warmup,
            limit: len,
            meter: BlockMeter::new(plan.sample_rate(), false),
            out: Vec::with_capacity(STEP),
            gain_db: plan.gain_db(),
        }
    }

    /// Feeds the next frames of the track.
    pub fn push(&mut self, frames: &[[f32; 2]]) {
        self.out.clear();
        if let Some(s) = self.stream.as_mut() {
            s.process(frames, &mut self.out);
        }
        self.meter_out();
    }

    fn meter_out(&mut self) {
        let drop = (self.warmup.min(self.out.len() as u64)) as usize;
        self.warmup -= drop as u64;
        let take = ((self.out.len() - drop) as u64).min(self.limit) as usize;
        self.limit -= take as u64;
        self.meter.push(&self.out[drop..drop + take]);
    }

    /// Flushes the chain (silence past the end) and returns the measurement.
    pub fn finish(mut self) -> Measured {
        self.out.clear();
        if let Some(stream) = self.stream.take() {
            stream.finish(&mut self.out);
        }
        self.meter_out();
        let mut m = self.meter;
        m.finish();
        Measured {
            gain_db: self.gain_db,
            integrated_lufs: gated_loudness(&m.energy, &[], &mut Vec::new()),
            energy: m.energy,
            frames: m.frames,
        }
    }
}

/// Blocks (100 ms) per calibration segment, and the warm-up run before each measured one.
const SEGMENT_BLOCKS: u64 = 60;
const WARMUP_BLOCKS: u64 = 10;
/// One segment in this many is measured.
const MEASURE_EVERY: u64 = 3;
/// Tracks up to this long are measured whole.
pub const FULL_COVERAGE_SECONDS: f64 = 60.0;

/// The chain's output, metered per 100 ms block over one stretch of a track.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasuredSegment {
    /// Index of the stretch's first block in the track's block grid.
    pub first_block: usize,
    /// K-weighted energy of each full block of the stretch.
    pub energy: Vec<f64>,
}

/// The chain of one plan measured over a whole track during a sequential pass (the analysis
/// pass): fed every frame of the track in order, it runs the chain over every third 6 s
/// segment (each after a 1 s warm-up, with the limiter's lookahead after it) and meters those
/// segments' output; tracks up to [`FULL_COVERAGE_SECONDS`] are measured whole. A third of
/// the track, spread over all of it, is plenty to calibrate the model (its error changes
/// slowly along a track: measured within 0.1 LU of a whole-track measurement), and the chain
/// then costs about 40 % of a full run.
pub struct TrackChainMeter {
    plan: Plan,
    total: u64,
    block_len: u64,
    /// Measured stretches `[start, end)` (block-aligned, in order).
    segments: Vec<std::ops::Range<u64>>,
    next: usize,
    current: Option<(usize, ChainMeter)>,
    pos: u64,
    done: Vec<MeasuredSegment>,
}

impl TrackChainMeter {
    pub fn new(plan: &Plan, total: u64) -> TrackChainMeter {
        let rate = plan.sample_rate();
        let block_len = u64::from(rate.div_ceil(10).max(1));
        let full = total as f64 <= FULL_COVERAGE_SECONDS * rate as f64;
        let seg = SEGMENT_BLOCKS * block_len;
        let segments = if full {
            std::iter::once(0..total).collect()
        } else {
            (0..total.div_ceil(seg))
                .step_by(MEASURE_EVERY as usize)
                .map(|k| k * seg..((k + 1) * seg).min(total))
                .collect()
        };
        TrackChainMeter {
            plan: plan.clone(),
            total,
            block_len,
            segments,
            next: 0,
            current: None,
            pos: 0,
            done: Vec::new(),
        }
    }

    /// Where segment `i`'s chain starts (its warm-up), and where its input ends.
    fn span(&self, i: usize) -> (u64, u64) {
        let r = &self.segments[i];
        let warm = if r.start == 0 {
            0
        } else {
            WARMUP_BLOCKS * self.block_len
        };
        let latency = self.plan.latency_frames() as u64;
        (
            r.start - warm.min(r.start),
            (r.end + latency).min(self.total),
        )
    }

    /// Feeds the next frames of the track (in order, from frame 0).
    pub fn push(&mut self, mut frames: &[[f32; 2]]) {
        while !frames.is_empty() {
            if self.current.is_none() {
                if self.next >= self.segments.len() {
                    self.pos += frames.len() as u64;
                    return;
                }
                let (from, _) = self.span(self.next);
                if self.pos + frames.len() as u64 <= from {
                    self.pos += frames.len() as u64;
                    return;
                }
                let skip = from.saturating_sub(self.pos) as usize;
                frames = &frames[skip..];
                self.pos += skip as u64;
                let r = self.segments[self.next].clone();
                let m = ChainMeter::segment(&self.plan, from, r.start - from, r.end - r.start);
                self.current = Some((self.next, m));
                self.next += 1;
            }
            let Some(i) = self.current.as_ref().map(|c| c.0) else {
                return;
            };
            let (_, until) = self.span(i);
            let take = (until.saturating_sub(self.pos) as usize).min(frames.len());
            if let Some((_, m)) = self.current.as_mut() {
                m.push(&frames[..take]);
            }
            frames = &frames[take..];
            self.pos += take as u64;
            if self.pos >= until {
                self.close();
            }
        }
    }

    fn close(&mut self) {
        if let Some((i, m)) = self.current.take() {
            let measured = m.finish();
            self.done.push(MeasuredSegment {
                first_block: (self.segments[i].start / self.block_len) as usize,
                energy: measured.energy,
            });
        }
    }

    /// The measured segments (call after the last frame of the track).
    pub fn finish(mut self) -> Vec<MeasuredSegment> {
        self.close();
        self.done
    }
}

/// The calibration of `plan`'s preset for the track described by `profile`, from the chain's
/// output measured over `segments` when it ran with `plan`'s settings. The model's prediction
/// for those same settings on those same blocks is gated exactly like the measurement
/// (segments never share a gating block), and the offset is their difference. `plan` may
/// come from another profile of the same track (a provisional plan from its fast profile):
/// the final plan applies the offset to the model of its own settings. `None` for silence.
pub fn calibrate(
    plan: &Plan,
    profile: &Profile,
    segments: &[MeasuredSegment],
) -> Option<Calibration> {
    let mut model_all = Vec::new();
    plan.model(profile)
        .block_energies(plan.gain_db(), &mut model_all);
    let (mut measured, mut model, mut breaks) = (Vec::new(), Vec::new(), Vec::new());
    for seg in segments {
        let n = seg
            .energy
            .len()
            .min(model_all.len().saturating_sub(seg.first_block));
        if n == 0 {
            continue;
        }
        if !measured.is_empty() {
            breaks.push(measured.len() as u32);
        }
        measured.extend_from_slice(&seg.energy[..n]);
        model.extend_from_slice(&model_all[seg.first_block..seg.first_block + n]);
    }
    let mut scratch = Vec::new();
    let measured_lufs = gated_loudness(&measured, &breaks, &mut scratch);
    let model_lufs = gated_loudness(&model, &breaks, &mut scratch);
    if measured_lufs <= LOUDNESS_FLOOR_LUFS
        || model_lufs <= LOUDNESS_FLOOR_LUFS
        || profile.integrated_lufs <= LOUDNESS_FLOOR_LUFS
    {
        return None;
    }
    Some(Calibration {
        preset: plan.preset().name().to_string(),
        dsp_version: DSP_VERSION,
        offset_lu: measured_lufs - model_lufs,
        measured_gain_db: plan.gain_db(),
        measured_lufs,
    })
}
