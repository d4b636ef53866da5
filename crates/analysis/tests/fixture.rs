use auralis_analysis::{analyze, fast_profile, ProfileKind};
use std::time::Instant;

fn read_wav(path: &str) -> (Vec<[f32; 2]>, u32) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    assert_eq!(spec.channels, 2);
    let scale = 1.0 / (1u32 << (spec.bits_per_sample - 1)) as f32;
    let s: Vec<f32> = r
        .samples::<i32>()
        .map(|x| x.unwrap() as f32 * scale)
        .collect();
    (
        s.chunks(2).map(|c| [c[0], c[1]]).collect(),
        spec.sample_rate,
    )
}

const WAV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/drascula-track1-8s.wav"
);

#[test]
fn fixture_wav_profile() {
    let (x, rate) = read_wav(WAV);
    let p = analyze(&x, rate);
    eprintln!("{p:?}");
    // Cross-checked with ffmpeg ebur128=peak=true during development.
    assert!(p.integrated_lufs > -40.0 && p.integrated_lufs < -5.0);
    assert!(p.true_peak_dbtp >= p.sample_peak_dbfs);
    assert!(p.crest_db > 3.0 && p.crest_db < 30.0);
    assert_eq!(p.blocks.loudness.len(), x.len() / (rate as usize / 10));
    assert_eq!(p.kind, ProfileKind::Full);
}

#[test]
fn fast_profile_of_long_track_is_close_and_fast() {
    // A 10-minute track made of the fixture repeated, with slowly varying gain.
    let (x, rate) = read_wav(WAV);
    let total = rate as usize * 600;
    let long: Vec<[f32; 2]> = (0..total)
        .map(|i| {
            let g = 0.7 + 0.3 * (i as f32 / total as f32);
            let f = x[i % x.len()];
            [f[0] * g, f[1] * g]
        })
        .collect();
    let full = analyze(&long, rate);
    let mut read_time = std::time::Duration::ZERO;
    let t = Instant::now();
    let fast = fast_profile::<()>(long.len() as u64, rate, |r| {
        let t = Instant::now();
        let v = long[r.start as usize..r.end as usize].to_vec();
        read_time += t.elapsed();
        Ok(v)
    })
    .unwrap();
    let ours = t.elapsed() - read_time;
    eprintln!(
        "fast_profile: {ours:?} (excluding reads); fast I {} full I {}",
        fast.integrated_lufs, full.integrated_lufs
    );
    assert_eq!(fast.kind, ProfileKind::Fast);
    assert_eq!(fast.frames, long.len() as u64);
    assert!((fast.integrated_lufs - full.integrated_lufs).abs() < 1.0);
    assert!(fast.true_peak_dbtp <= full.true_peak_dbtp + 0.01);
    assert!((fast.spectrum.tilt_db_per_octave - full.spectrum.tilt_db_per_octave).abs() < 1.0);
}
