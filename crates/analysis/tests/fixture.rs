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

/// Our meter against the `ebur128` crate (libebur128's algorithm) on real music and on
/// synthetic signals: integrated loudness and loudness range to 0.001 LU, true peak to 0.1 dB.
#[test]
fn meter_agrees_with_ebur128() {
    use ebur128::{EbuR128, Mode};
    let flac = |name: &str| -> (Vec<[f32; 2]>, u32) {
        let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut r = claxon::FlacReader::open(path).unwrap();
        let info = r.streaminfo();
        let scale = 1.0 / (1u32 << (info.bits_per_sample - 1)) as f32;
        let s: Vec<f32> = r.samples().map(|x| x.unwrap() as f32 * scale).collect();
        (
            s.chunks(2).map(|c| [c[0], c[1]]).collect(),
            info.sample_rate,
        )
    };
    let mut cases = vec![
        ("track1 wav".to_string(), read_wav(WAV)),
        ("track2".into(), flac("drascula-track2-20s.flac")),
        ("track11".into(), flac("drascula-track11-20s.flac")),
    ];
    // A quiet passage followed by a loud one (gating matters), and a 48 kHz signal.
    let (t2, _) = flac("drascula-track2-20s.flac");
    let mixed: Vec<[f32; 2]> = t2
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let g = if i < t2.len() / 3 { 0.02 } else { 1.0 };
            [f[0] * g, f[1] * g]
        })
        .collect();
    cases.push(("quiet then loud".into(), (mixed, 44_100)));
    let sweep: Vec<[f32; 2]> = (0..48_000 * 12)
        .map(|i| {
            let t = i as f64 / 48_000.0;
            let f = 50.0 * (t * 0.6).exp();
            let x = (0.4 * (std::f64::consts::TAU * f * t).sin()) as f32;
            [x, x * (t / 12.0) as f32]
        })
        .collect();
    cases.push(("sweep 48k".into(), (sweep, 48_000)));
    for (name, (x, rate)) in cases {
        let ours = analyze(&x, rate);
        let mut m = EbuR128::new(2, rate, Mode::I | Mode::LRA | Mode::TRUE_PEAK).unwrap();
        let flat: Vec<f32> = x.iter().flatten().copied().collect();
        m.add_frames_f32(&flat).unwrap();
        let i = m.loudness_global().unwrap();
        let lra = m.loudness_range().unwrap();
        let tp = 20.0
            * (0..2)
                .map(|c| m.true_peak(c).unwrap())
                .fold(0.0, f64::max)
                .log10();
        eprintln!(
            "{name}: I {:.4} / {i:.4}, LRA {:.3} / {lra:.3}, TP {:.3} / {tp:.3}",
            ours.integrated_lufs, ours.loudness_range_lu, ours.true_peak_dbtp
        );
        assert!((ours.integrated_lufs - i).abs() < 0.001, "{name}: I");
        assert!((ours.loudness_range_lu - lra).abs() < 0.001, "{name}: LRA");
        assert!((ours.true_peak_dbtp - tp).abs() < 0.1, "{name}: TP");
    }
}
