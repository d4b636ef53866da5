//! Golden loudness tests: every preset lands within ±0.3 LU of its target after limiting and
//! FLAC encoding, measured by the `ebur128` crate (libebur128's algorithm, an independent
//! meter) on the decoded output, for the repo's fixtures and for synthetic loud,
//! brick-walled and very quiet inputs. Also: album mode on a three-track album, and
//! `level_match_db` against a measurement of the two rendered variants.

use std::path::{Path, PathBuf};

use auralis_analysis::Profile;
use auralis_encode::{BitDepth, FlacWriter};
use auralis_master::{album_loudness, Plan, Preset, MAX_GAIN_DB};
use auralis_render::{analyse_file, master_file_with_plan, TrackAudio, Variant};
use auralis_source::Source;
use ebur128::{EbuR128, Mode};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn read(path: &Path) -> (Vec<[f32; 2]>, u32) {
    let mut s = Source::open(path).unwrap();
    let rate = s.info().rate;
    (s.read_all().unwrap(), rate)
}

/// The project's meter: integrated loudness and true peak by `ebur128`.
fn meter(frames: &[[f32; 2]], rate: u32) -> EbuR128 {
    let mut m = EbuR128::new(2, rate, Mode::I | Mode::TRUE_PEAK).unwrap();
    let flat: Vec<f32> = frames.iter().flatten().copied().collect();
    m.add_frames_f32(&flat).unwrap();
    m
}

fn lufs(frames: &[[f32; 2]], rate: u32) -> f64 {
    meter(frames, rate).loudness_global().unwrap()
}

fn true_peak_db(m: &EbuR128) -> f64 {
    20.0 * (0..2)
        .map(|c| m.true_peak(c).unwrap())
        .fold(0.0, f64::max)
        .log10()
}

fn write_flac(path: &Path, frames: &[[f32; 2]], rate: u32) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = FlacWriter::new(file, rate, BitDepth::Sixteen, 0, false).unwrap();
    w.write(frames).unwrap();
    w.finish().unwrap();
}

/// Masters `path` with every preset (track mode) and checks loudness and true peak of the
/// decoded output.
fn assert_on_target(path: &Path, dir: &Path) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let profile = analyse_file(path, &Preset::ALL, |_, _| {}).unwrap();
    let mut report = Vec::new();
    for preset in Preset::ALL {
        let plan = Plan::new(&profile, preset);
        assert!(plan.calibrated(), "{name} {preset}: no calibration");
        let out = dir.join(format!("{preset}.flac"));
        master_file_with_plan(path, &out, &profile, &plan, 1.0, |_| {}).unwrap();
        let (y, rate) = read(&out);
        let m = meter(&y, rate);
        let measured = m.loudness_global().unwrap();
        let tp = true_peak_db(&m);
        let line = format!(
            "{name} {preset}: in {:.2} LUFS, gain {:+.2} dB, out {measured:.2} LUFS (target {}), {tp:.2} dBTP",
            profile.integrated_lufs,
            plan.gain_db(),
            plan.target_lufs()
        );
        if plan.gain_db() < MAX_GAIN_DB {
            assert!((measured - plan.target_lufs()).abs() <= 0.3, "{line}");
        } else {
            assert!(measured < plan.target_lufs() + 0.3, "{line}");
        }
        assert!(tp <= -1.0, "{line}");
        report.push(line);
    }
    report
}

#[test]
fn every_preset_lands_on_target_on_the_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "drascula-track1-8s.flac",
        "drascula-track2-20s.flac",
        "drascula-track11-20s.flac",
        "drascula-track1-8s-96k-24bit.flac",
        "drascula-track1-8s-mono.flac",
        "drascula-track1-8s.m4a",
        "drascula-track1-8s.mp3",
        "drascula-track1-8s.aiff",
        "drascula-track1-8s.alac.m4a",
        "drascula-track1-8s.ogg",
        "drascula-track1-8s.opus",
        "drascula-track1-8s.wav",
    ] {
        for line in assert_on_target(&fixture(name), dir.path()) {
            eprintln!("{line}");
        }
    }
}

/// A 16-bit PCM WAV of `channels` channels at `rate`; `sample(frame, channel)` in -1..1.
fn write_wav(
    path: &Path,
    rate: u32,
    channels: u16,
    frames: usize,
    sample: impl Fn(usize, u16) -> f32,
) {
    let data_len = (frames * channels as usize * 2) as u32;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    b.extend_from_slice(&(channels * 2).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        for c in 0..channels {
            let v = (sample(i, c).clamp(-1.0, 1.0) * 32767.0).round() as i16;
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(path, b).unwrap();
}

/// The other off-target inputs: 8 kHz mono (resampled to 48 kHz by the source) and
/// 5.1 (downmixed to stereo), made from the 20 s fixture.
#[test]
fn every_preset_lands_on_target_on_8khz_mono_and_5_1() {
    let dir = tempfile::tempdir().unwrap();
    let (x, rate) = read(&fixture("drascula-track2-20s.flac"));
    let mono8k = dir.path().join("mono-8k.wav");
    let n8 = x.len() * 8_000 / rate as usize;
    write_wav(&mono8k, 8_000, 1, n8, |i, _| {
        let f = x[(i * rate as usize / 8_000).min(x.len() - 1)];
        (f[0] + f[1]) / 2.0
    });
    let surround = dir.path().join("surround-5.1.wav");
    write_wav(&surround, rate, 6, x.len(), |i, c| {
        let [l, r] = x[i];
        match c {
            0 => l,
            1 => r,
            2 => 0.5 * (l + r),
            3 => 0.2 * (l + r),
            4 => 0.5 * l,
            _ => 0.5 * r,
        }
    });
    for path in [mono8k, surround] {
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        for line in assert_on_target(&path, &out) {
            eprintln!("{line}");
        }
    }
}

/// Synthetic inputs the issue found off target: loud (-4 LUFS, +1 dBTP), brick-walled (music
/// clipped square at full scale), and a very quiet master (-36 LUFS, needing ~+22 dB).
#[test]
fn every_preset_lands_on_target_on_loud_brickwalled_and_quiet_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (music, rate) = read(&fixture("drascula-track2-20s.flac"));
    let mut s = 1u64;
    let loud: Vec<[f32; 2]> = (0..rate as usize * 15)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let n = (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            let t = i as f64 / rate as f64;
            let x = 0.6 * (std::f64::consts::TAU * 60.0 * t).sin() + 0.4 * n;
            let y = ((x * 1.6).tanh() * 0.98) as f32;
            [y, y * 0.9]
        })
        .collect();
    let brick: Vec<[f32; 2]> = music
        .iter()
        .map(|f| {
            [
                (f[0] * 6.0).clamp(-0.999, 0.999),
                (f[1] * 6.0).clamp(-0.999, 0.999),
            ]
        })
        .collect();
    let quiet: Vec<[f32; 2]> = music
        .iter()
        .map(|f| [f[0] * 0.11, f[1] * 0.11]) // -19 dB
        .collect();
    for (name, x) in [("loud", loud), ("brickwalled", brick), ("quiet", quiet)] {
        let path = dir.path().join(format!("{name}.flac"));
        write_flac(&path, &x, rate);
        let input = lufs(&read(&path).0, rate);
        for line in assert_on_target(&path, dir.path()) {
            eprintln!("{line} (input by ebur128 {input:.2} LUFS)");
        }
    }
}

/// Album mode on a three-track album (three fixtures, the third a quiet interlude 8 dB
/// down): one gain for all, the album as a whole on the target, the tracks' relative
/// loudness kept within 1 LU except for what the limiter must take from a loud track pushed
/// past its own target (the album's prediction of that loss is taken out before comparing).
#[test]
fn album_mode_keeps_relative_loudness_and_hits_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let (interlude, rate) = read(&fixture("drascula-track11-20s.flac"));
    let interlude: Vec<[f32; 2]> = interlude.iter().map(|f| [f[0] * 0.4, f[1] * 0.4]).collect();
    let quiet = dir.path().join("interlude.flac");
    write_flac(&quiet, &interlude, rate);
    let tracks = [
        fixture("drascula-track2-20s.flac"),
        fixture("drascula-track1-8s.flac"),
        quiet,
    ];
    let profiles: Vec<Profile> = tracks
        .iter()
        .map(|p| analyse_file(p, &Preset::ALL, |_, _| {}).unwrap())
        .collect();
    let refs: Vec<&Profile> = profiles.iter().collect();
    let inputs: Vec<f64> = tracks
        .iter()
        .map(|p| {
            let (x, r) = read(p);
            lufs(&x, r)
        })
        .collect();
    for preset in [Preset::Adaptive, Preset::Gentle, Preset::Punchy] {
        let album = album_loudness(&refs, preset);
        let mut meters = Vec::new();
        let mut outs = Vec::new();
        for (i, (path, profile)) in tracks.iter().zip(&profiles).enumerate() {
            let plan = album.plan(profile);
            assert_eq!(plan.gain_db(), album.gain_db);
            let out = dir.path().join(format!("album-{preset}-{i}.flac"));
            master_file_with_plan(path, &out, profile, &plan, 1.0, |_| {}).unwrap();
            let (y, r) = read(&out);
            let m = meter(&y, r);
            outs.push(m.loudness_global().unwrap());
            assert!(true_peak_db(&m) <= -1.0, "{preset} track {i}");
            meters.push(m);
        }
        let whole = EbuR128::loudness_global_multiple(meters.iter()).unwrap();
        eprintln!(
            "{preset}: album gain {:+.2} dB, album {whole:.2} LUFS (predicted {:.2}), tracks in {inputs:.2?} out {outs:.2?} (predicted {:.2?}, limiter {:.2?})",
            album.gain_db, album.predicted_lufs, album.tracks_lufs, album.tracks_limiter_lu
        );
        assert!(
            (whole - album.target_lufs).abs() <= 0.3,
            "{preset}: album at {whole:.2}"
        );
        for i in 0..3 {
            for j in 0..3 {
                let limiter = album.tracks_limiter_lu[j] - album.tracks_limiter_lu[i];
                let kept = (outs[i] - outs[j]) - (inputs[i] - inputs[j]) - limiter;
                assert!(
                    kept.abs() <= 1.0,
                    "{preset}: tracks {i}/{j} moved {kept:.2} LU apart (limiter {limiter:+.2})"
                );
            }
            assert!(
                (outs[i] - album.tracks_lufs[i]).abs() <= 0.3,
                "{preset}: track {i} at {:.2}, predicted {:.2}",
                outs[i],
                album.tracks_lufs[i]
            );
        }
        // The quiet interlude stays quiet.
        assert!(outs[2] < outs[0] - 4.0, "{preset}: {outs:?}");
    }
}

/// `level_match_db` against a measurement of the two rendered variants (chunks of the
/// original and of the processed variant, decoded): within 0.3 dB, in track and album mode.
#[test]
fn level_match_matches_the_rendered_variants() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["drascula-track2-20s.flac", "drascula-track1-8s.flac"] {
        let path = fixture(name);
        let mut track = TrackAudio::open_with_chunk_seconds(&path, 5.0).unwrap();
        let profile = track.full_profile().unwrap();
        let rate = track.info().rate;
        for preset in Preset::ALL {
            let plan = Plan::new(&profile, preset);
            let mut orig = Vec::new();
            let mut proc = Vec::new();
            for c in 0..track.timeline().chunk_count() {
                let r = track.render_variants(
                    &profile,
                    c,
                    &[Variant::Original, Variant::Processed(preset)],
                );
                for (k, bytes) in r.into_iter().enumerate() {
                    let p = dir.path().join("chunk.flac");
                    std::fs::write(&p, bytes.unwrap()).unwrap();
                    let frames = read(&p).0;
                    if k == 0 {
                        orig.extend(frames)
                    } else {
                        proc.extend(frames)
                    }
                }
            }
            let measured = lufs(&proc, rate) - lufs(&orig, rate);
            let predicted = plan.level_match_db(&profile);
            eprintln!("{name} {preset}: level_match_db {predicted:+.2}, measured {measured:+.2}");
            assert!(
                (measured - predicted).abs() <= 0.3,
                "{name} {preset}: measured {measured:.2} dB, level_match_db {predicted:.2}"
            );
        }
        // Album mode: the album plan's level match (here a one-track "album" 3 dB down).
        let album_gain = Plan::new(&profile, Preset::Adaptive).gain_db() - 3.0;
        let plan = Plan::with_gain_db(&profile, Preset::Adaptive, album_gain);
        let out = dir.path().join("album.flac");
        master_file_with_plan(&path, &out, &profile, &plan, 1.0, |_| {}).unwrap();
        let measured = lufs(&read(&out).0, rate) - lufs(&read(&path).0, rate);
        assert!(
            (measured - plan.level_match_db(&profile)).abs() <= 0.3,
            "{name} album: measured {measured:.2}, level_match_db {:.2}",
            plan.level_match_db(&profile)
        );
    }
}
