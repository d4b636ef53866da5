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
