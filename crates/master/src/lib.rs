//! The mastering chain: EQ → compressor → loudness gain → lookahead true-peak limiter.
//!
//! Everything track-level lives in a [`Plan`], built from the track's
//! [`Profile`](auralis_analysis::Profile) and a [`Preset`]; a [`Chain`] runs the four stages
//! ([`Eq`], [`Compressor`], [`LoudnessGain`], [`Limiter`]) over stereo frames. [`master_range`]
//! renders any range of a track so that chunks equal the whole-track pass (pre-roll before the
//! range, limiter lookahead after it); [`MasterStream`] is that whole-track pass in bounded
//! memory; [`mix`] is the intensity dry/wet mix.
//!
//! Presets (target loudness; tonal tilt; dynamics):
//! - `adaptive` (default): -14 LUFS; shelves close half the gap to a reference balance
//!   (±3 dB, 120 Hz / 6 kHz); 2:1 soft-knee compression from 4 LU above the track's loudness.
//! - `gentle`: -16 LUFS; 30 % adaptive correction; 1.5:1 from 6 LU above, slow (30/200 ms).
//! - `warm`: -14 LUFS; adaptive + low shelf +2 dB, high shelf -1.5 dB; 2:1 from +4 LU.
//! - `bright`: -14 LUFS; adaptive + low shelf -0.5 dB, high shelf +2.5 dB; 2:1 from +4 LU, 15 ms attack.
//! - `punchy`: -13 LUFS; adaptive + low +1.5 dB, high +1 dB; 3:1 from +1 LU, 30 ms attack
//!   (lets transients through), 100 ms release.
//!
//! All presets: 20 Hz subsonic high-pass, limiter ceiling -1.2 dBTP (4× oversampled detection,
//! 2 ms lookahead, 80 ms release), loudness gain capped at +24 dB: a track that would need
//! more (e.g. a -40 dBFS sine) is raised by 24 dB and stays below the target. Silence stays
//! silence (no gain).
//!
//! Loudness: the plan picks the gain with a block-level model of the compressor and limiter
//! ([`LoudnessModel`], a few tenths of a LU off on loud or heavily limited tracks) plus the
//! profile's measured [`Calibration`](auralis_analysis::Calibration) for the preset: the real
//! chain's output loudness against the model ([`TrackChainMeter`], [`calibrate`]; run by
//! `auralis-render` during the analysis pass). A calibrated plan lands within a few
//! hundredths of a LU of the target. Album mode ([`album_loudness`], [`Plan::with_gain_db`])
//! gives every track of an album one gain; [`Plan::level_match_db`] is the gain that makes the
//! original as loud as the processed variant.
//!
//! Not for: decoding, analysis (see `auralis-analysis`), encoding.

mod album;
mod dsp;
mod measure;
mod plan;
mod preset;
mod stages;

pub use album::{album_loudness, AlbumLoudness};
pub use measure::{
    calibrate, ChainMeter, MasterStream, Measured, MeasuredSegment, TrackChainMeter,
    FULL_COVERAGE_SECONDS,
};
pub use plan::{
    GainMode, LoudnessModel, Plan, CEILING_DBTP, LIMITER_RELEASE_SECONDS, LOOKAHEAD_SECONDS,
    MAX_GAIN_DB, PREROLL_SECONDS,
};
pub use preset::{Preset, UnknownPreset};
pub use stages::{Compressor, Eq, Limiter, LoudnessGain, CONTROL_PERIOD};

use std::ops::Range;

/// Bump on any change that alters output samples (used in cache keys).
pub const DSP_VERSION: u32 = 2;

/// Frames processed per internal block.
const BLOCK: usize = 64;

/// The four stages, ready to run. Output is delayed by [`Chain::latency`] frames.
pub struct Chain {
    eq: Eq,
    compressor: Compressor,
    gain: LoudnessGain,
    limiter: Limiter,
}

impl Chain {
    /// A chain whose first input frame is track frame 0.
    pub fn new(plan: &Plan) -> Chain {
        Chain::at(plan, 0)
    }

    /// A chain whose first input frame is track frame `position` (the compressor's control
    /// steps sit on the track's absolute sample grid).
    pub fn at(plan: &Plan, position: u64) -> Chain {
        Chain {
            eq: Eq::new(&plan.eq),
            compressor: Compressor::new(&plan.compressor, position),
            gain: LoudnessGain::new(plan.gain_db),
            limiter: Limiter::new(
                plan::CEILING_DBTP,
                plan.lookahead,
                plan.limiter_release_coef,
            ),
        }
    }

    /// Delay (frames) from input to output.
    pub fn latency(&self) -> usize {
        self.limiter.latency()
    }

    /// Processes `input` into `output` (same length; the shorter one bounds the work).
    /// Output frame `i` belongs to input frame `i - latency()` of the stream so far.
    pub fn process(&mut self, input: &[[f32; 2]], output: &mut [[f32; 2]]) {
        let mut buf = [[0.0f64; 2]; BLOCK];
        for (inp, out) in input.chunks(BLOCK).zip(output.chunks_mut(BLOCK)) {
            let n = inp.len().min(out.len());
            let block = &mut buf[..n];
            for (b, x) in block.iter_mut().zip(inp) {
                *b = [x[0] as f64, x[1] as f64];
            }
            self.eq.process(block);
            self.compressor.process(block);
            self.gain.process(block);
            self.limiter.process(block);
            for (o, b) in out.iter_mut().zip(block.iter()) {
                *o = [b[0] as f32, b[1] as f32];
            }
        }
    }
}

/// Processed frames `range` (clamped to `0..total`) of a track of `total` frames, reading the
/// input through `read`. Reads [`Plan::preroll_frames`] before `range.start` (from 0 if the
/// range starts earlier, exactly like the whole pass) and the limiter's lookahead after
/// `range.end`; past the end of the track the chain is fed silence. Equal to the whole-track
/// pass (`0..total`) to far below -90 dBFS. Missing frames from `read` count as silence.
pub fn master_range<E>(
    plan: &Plan,
    total: u64,
    range: Range<u64>,
    mut read: impl FnMut(Range<u64>) -> Result<Vec<[f32; 2]>, E>,
) -> Result<Vec<[f32; 2]>, E> {
    let end = range.end.min(total);
    let start = range.start.min(end);
    let from = start.saturating_sub(plan.preroll_frames());
    let mut chain = Chain::at(plan, from);
    let latency = chain.latency() as u64;
    let read_end = (end + latency).min(total);
    let mut input = if read_end > from {
        read(from..read_end)?
    } else {
        Vec::new()
    };
    // The stream is fed up to end + latency (silence past the track's end).
    input.resize((end + latency - from) as usize, [0.0; 2]);
    let mut output = vec![[0.0f32; 2]; input.len()];
    chain.process(&input, &mut output);
    let skip = (start - from + latency) as usize;
    output.drain(..skip);
    output.truncate((end - start) as usize);
    Ok(output)
}

/// The whole track in one pass: `master_range(plan, len, 0..len, ..)` over a slice.
pub fn master_all(plan: &Plan, frames: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let r: Result<_, std::convert::Infallible> =
        master_range(plan, frames.len() as u64, 0..frames.len() as u64, |r| {
            Ok(frames[r.start as usize..r.end as usize].to_vec())
        });
    match r {
        Ok(v) => v,
        Err(e) => match e {},
    }
}

/// Intensity dry/wet mix: `(1 - i) * original + i * processed`, `i` clamped to 0..1.
/// `i = 0` returns `original` exactly and `i = 1` returns `processed` exactly. The result
/// has the length of the shorter input (the two are equal by contract).
pub fn mix(original: &[[f32; 2]], processed: &[[f32; 2]], intensity: f32) -> Vec<[f32; 2]> {
    let n = original.len().min(processed.len());
    let i = if intensity.is_nan() {
        0.0
    } else {
        intensity.clamp(0.0, 1.0)
    };
    if i == 0.0 {
        return original[..n].to_vec();
    }
    if i == 1.0 {
        return processed[..n].to_vec();
    }
    original
        .iter()
        .zip(processed)
        .map(|(o, p)| [(1.0 - i) * o[0] + i * p[0], (1.0 - i) * o[1] + i * p[1]])
        .collect()
}
