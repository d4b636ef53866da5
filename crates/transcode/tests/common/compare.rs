//! Sample comparisons shared by the transcode tests and the server's Subsonic tests (which
//! include this file by path): exact bits, and the click check at chunk joins. Plain stereo
//! f32 frames, no crate of the project needed.
#![allow(dead_code)]

/// The frames' exact bit patterns (compare with `assert_eq!` for bit-exactness).
pub fn bits(frames: &[[f32; 2]]) -> Vec<[u32; 2]> {
    frames
        .iter()
        .map(|f| [f[0].to_bits(), f[1].to_bits()])
        .collect()
}

/// Per window of `win` frames: the largest |decoded - input| over both channels.
pub fn window_errors(input: &[[f32; 2]], decoded: &[[f32; 2]], win: usize) -> Vec<f32> {
    input
        .chunks(win)
        .zip(decoded.chunks(win))
        .map(|(a, b)| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x[0] - y[0]).abs().max((x[1] - y[1]).abs()))
                .fold(0.0, f32::max)
        })
        .collect()
}

/// Click check at chunk joins: the error of the windows touching a join is no larger than the
/// largest error of the windows away from joins. Returns (worst at joins, worst elsewhere).
pub fn join_vs_elsewhere(
    input: &[[f32; 2]],
    decoded: &[[f32; 2]],
    joins: &[usize],
    win: usize,
) -> (f32, f32) {
    let e = window_errors(input, decoded, win);
    let near = |w: usize| joins.iter().any(|&j| (j / win).abs_diff(w) <= 1);
    // Leave out the first and last windows (codec start-up and end).
    let inner = 2..e.len().saturating_sub(2);
    let at = inner
        .clone()
        .filter(|&w| near(w))
        .map(|w| e[w])
        .fold(0.0, f32::max);
    let away = inner
        .filter(|&w| !near(w))
        .map(|w| e[w])
        .fold(0.0, f32::max);
    (at, away)
}

/// The normalised correlation of `b[..len]` with `reference[at + lag..][..len]` (1 = the same
/// shape; both channels count).
pub fn correlation(
    reference: &[[f32; 2]],
    at: usize,
    b: &[[f32; 2]],
    len: usize,
    lag: isize,
) -> f64 {
    let start = usize::try_from(at as isize + lag).expect("the lag leaves the reference");
    let r = &reference[start..][..len];
    let b = &b[..len];
    let energy = |x: &[[f32; 2]]| -> f64 {
        x.iter()
            .map(|f| f64::from(f[0]).powi(2) + f64::from(f[1]).powi(2))
            .sum()
    };
    let dot: f64 = r
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(x[0]) * f64::from(y[0]) + f64::from(x[1]) * f64::from(y[1]))
        .sum();
    dot / (energy(r) * energy(b)).sqrt().max(f64::MIN_POSITIVE)
}

/// Where `b` starts in `reference`, measured by cross-correlation: over the lags
/// `-max_lag..=max_lag` around `at`, the lag at which `b[..len]` best matches
/// `reference[at + lag..][..len]`, refined below a sample (a parabola through the
/// correlations at the best whole lag and its neighbours), and the correlation there. A stream
/// that starts at sample `at` of `reference` gives a lag near 0.
pub fn best_lag(
    reference: &[[f32; 2]],
    at: usize,
    b: &[[f32; 2]],
    len: usize,
    max_lag: usize,
) -> (f64, f64) {
    assert!(
        b.len() >= len,
        "{} frames to correlate, {len} asked",
        b.len()
    );
    assert!(
        at > max_lag && at + len + max_lag < reference.len(),
        "the lags leave the reference"
    );
    let c = |lag: isize| correlation(reference, at, b, len, lag);
    let (lag, peak) = (-(max_lag as isize)..=max_lag as isize)
        .map(|lag| (lag, c(lag)))
        .fold((0, f64::MIN), |best, x| if x.1 > best.1 { x } else { best });
    let (before, after) = (c(lag - 1), c(lag + 1));
    let curve = before - 2.0 * peak + after;
    let frac = if curve < 0.0 {
        0.5 * (before - after) / curve
    } else {
        0.0
    };
    (lag as f64 + frac, peak)
}

/// `frames` at `rate_in` read at another rate by linear interpolation: a reference to
/// correlate a resampled stream against (whole-sample lags only; not a resampler to listen to).
pub fn interpolate(frames: &[[f32; 2]], rate_in: u32, rate_out: u32) -> Vec<[f32; 2]> {
    let n = (frames.len() as u64 * u64::from(rate_out) / u64::from(rate_in)) as usize;
    (0..n)
        .map(|k| {
            let t = k as f64 * f64::from(rate_in) / f64::from(rate_out);
            let i = t.floor() as usize;
            let f = (t - i as f64) as f32;
            let a = frames[i];
            let b = frames[(i + 1).min(frames.len() - 1)];
            [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
        })
        .collect()
}
