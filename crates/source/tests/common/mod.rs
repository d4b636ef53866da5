#![allow(dead_code)]
use std::path::PathBuf;

use auralis_source::{Frame, Source};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures")).join(name)
}

pub fn open(name: &str) -> Source {
    Source::open(&fixture(name)).unwrap_or_else(|e| panic!("open {name}: {e}"))
}

/// The reference WAV as integer stereo samples.
pub fn wav_i16(name: &str) -> Vec<[i32; 2]> {
    let mut r = hound::WavReader::open(fixture(name)).unwrap();
    let s: Vec<i32> = r.samples::<i16>().map(|x| x.unwrap() as i32).collect();
    s.chunks_exact(2).map(|c| [c[0], c[1]]).collect()
}

pub fn bits(frames: &[Frame]) -> Vec<[u32; 2]> {
    frames
        .iter()
        .map(|f| [f[0].to_bits(), f[1].to_bits()])
        .collect()
}

/// Normalised cross-correlation of `a` (reference) with `b` shifted by `lag` (b[i + lag] ~ a[i]).
pub fn ncc(a: &[f32], b: &[f32], lag: i64) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &x) in a.iter().enumerate() {
        let j = i as i64 + lag;
        if j < 0 || j >= b.len() as i64 {
            continue;
        }
        let y = b[j as usize] as f64;
        ab += x as f64 * y;
        aa += x as f64 * x as f64;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    ab / (aa.sqrt() * bb.sqrt())
}

/// Best (lag, correlation) over lags in `-max..=max`, using the left channel.
pub fn best_lag(reference: &[Frame], test: &[Frame], max: i64) -> (i64, f64) {
    let a: Vec<f32> = reference.iter().map(|f| f[0]).collect();
    let b: Vec<f32> = test.iter().map(|f| f[0]).collect();
    // Coarse search on a decimated excerpt, then refine.
    let mut best = (0i64, f64::MIN);
    let ex = &a[a.len() / 4..a.len() / 4 + 44100.min(a.len() / 2)];
    let off = (a.len() / 4) as i64;
    for lag in -max..=max {
        let c = ncc(ex, &b, lag + off);
        if c > best.1 {
            best = (lag, c);
        }
    }
    (best.0, ncc(&a, &b, best.0))
}
