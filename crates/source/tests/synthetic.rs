//! Generated files: odd rates, channel layouts, bit depths, tiny files and bad inputs.
mod common;
use std::io::Write;
use std::path::{Path, PathBuf};

use auralis_source::{Source, SourceError};
use common::*;
use rand::{Rng, SeedableRng};

fn write_wav_i16(
    path: &Path,
    rate: u32,
    channels: u16,
    frames: usize,
    f: impl Fn(usize, u16) -> i16,
) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..frames {
        for c in 0..channels {
            w.write_sample(f(i, c)).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn tone(i: usize, c: u16, rate: u32) -> i16 {
    let t = i as f64 / rate as f64;
    let x = 0.5 * (2.0 * std::f64::consts::PI * (440.0 + 110.0 * c as f64) * t).sin()
        + 0.2 * (2.0 * std::f64::consts::PI * 3001.0 * t * t).sin();
    (x * 32767.0) as i16
}

fn tmp(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn check_random_access(path: &Path, seed: u64) -> Vec<[f32; 2]> {
    let mut s = Source::open(path).unwrap();
    let all = s.read_all().unwrap();
    assert_eq!(all.len() as u64, s.info().frames);
    let n = all.len() as u64;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for _ in 0..50 {
        let a = rng.gen_range(0..n);
        let b = (a + rng.gen_range(1..20_000)).min(n + 3);
        let got = s.read(a..b).unwrap();
        assert!(
            bits(&got) == bits(&all[a as usize..b.min(n) as usize]),
            "{path:?} {a}..{b}"
        );
    }
    all
}

#[test]
fn odd_rates_are_resampled_to_48k_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for (rate, channels, frames) in [
        (8000u32, 1u16, 20_000usize),
        (22_050, 2, 60_000),
        (192_000, 2, 250_000),
        (11_025, 2, 7),
        (88_200, 2, 100_001),
    ] {
        let p = tmp(&dir, &format!("r{rate}.wav"));
        write_wav_i16(&p, rate, channels, frames, |i, c| tone(i, c, rate));
        let s = Source::open(&p).unwrap();
        assert_eq!(s.info().rate, 48_000, "{rate}");
        assert_eq!(s.info().source_rate, rate);
        let expect = (frames as u64 * 48_000).div_ceil(rate as u64);
        assert_eq!(s.info().frames, expect, "{rate}");
        let all = check_random_access(&p, rate as u64);
        // The 440 Hz tone survives: compare with an ideal tone at 48 kHz (after the start).
        if frames > 10_000 {
            let mut err = 0.0f64;
            let mut cnt = 0;
            for (n, f) in all.iter().enumerate().skip(4800).take(20_000) {
                let t = n as f64 / 48_000.0;
                let want = 0.5 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                    + 0.2 * (2.0 * std::f64::consts::PI * 3001.0 * t * t).sin();
                if rate >= 22_050 || want.abs() < 2.0 {
                    err += (f[0] as f64 - want).powi(2);
                    cnt += 1;
                }
            }
            let rms = (err / cnt as f64).sqrt();
            // 8 kHz cannot carry the 3 kHz chirp's upper part faithfully; allow more there.
            let limit = if rate == 8000 { 0.1 } else { 0.01 };
            assert!(rms < limit, "{rate}: rms error {rms}");
        }
    }
}

#[test]
fn keeps_44k_and_48k() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [44_100u32, 48_000] {
        let p = tmp(&dir, &format!("k{rate}.wav"));
        write_wav_i16(&p, rate, 2, 1000, |i, c| tone(i, c, rate));
        let s = Source::open(&p).unwrap();
        assert_eq!((s.info().rate, s.info().frames), (rate, 1000));
    }
    assert_eq!(auralis_source::output_rate_for(96_000), 48_000);
    assert_eq!(auralis_source::output_rate_for(44_100), 44_100);
    assert_eq!(auralis_source::output_rate_for(8_000), 48_000);
}

#[test]
fn six_channels_downmix_with_itu_coefficients() {
    let dir = tempfile::tempdir().unwrap();
    let p = tmp(&dir, "51.wav");
    let vals = [0.1f32, 0.2, 0.3, 0.9, 0.4, 0.5];
    write_wav_i16(&p, 48_000, 6, 100, |_, c| {
        (vals[c as usize] * 32768.0) as i16
    });
    let mut s = Source::open(&p).unwrap();
    assert_eq!(s.info().source_channels, 6);
    let all = s.read_all().unwrap();
    assert_eq!(all.len(), 100);
    let q = |x: f32| (x * 32768.0).trunc() / 32768.0;
    let c = std::f32::consts::FRAC_1_SQRT_2;
    let l = q(0.1) + c * q(0.3) + c * q(0.4);
    let r = q(0.2) + c * q(0.3) + c * q(0.5);
    for f in &all {
        assert!(
            (f[0] - l).abs() < 1e-6 && (f[1] - r).abs() < 1e-6,
            "{f:?} vs {l} {r}"
        );
    }
}

#[test]
fn wav_24_bit_and_float_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let p24 = tmp(&dir, "24.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&p24, spec).unwrap();
    let vals: Vec<i32> = (0..2000)
        .map(|i| ((i * 7919) % 16_777_216) - 8_388_608)
        .collect();
    for v in &vals {
        w.write_sample(*v).unwrap();
    }
    w.finalize().unwrap();
    let mut s = Source::open(&p24).unwrap();
    assert_eq!(s.info().bits_per_sample, Some(24));
    let all = s.read_all().unwrap();
    let flat: Vec<f32> = all.iter().flat_map(|f| f.iter().copied()).collect();
    for (x, v) in flat.iter().zip(&vals) {
        assert_eq!(*x * 8_388_608.0, *v as f32);
    }

    let pf = tmp(&dir, "f32.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&pf, spec).unwrap();
    let vals: Vec<f32> = (0..2000).map(|i| ((i as f32) * 0.37).sin() * 1.2).collect();
    for v in &vals {
        w.write_sample(*v).unwrap();
    }
    w.finalize().unwrap();
    let mut s = Source::open(&pf).unwrap();
    assert_eq!(s.info().codec, "pcm_f32le");
    let all = s.read_all().unwrap();
    let flat: Vec<f32> = all.iter().flat_map(|f| f.iter().copied()).collect();
    assert_eq!(flat, vals);
}

#[test]
fn one_and_zero_frame_files() {
    let dir = tempfile::tempdir().unwrap();
    let p1 = tmp(&dir, "one.wav");
    write_wav_i16(
        &p1,
        44_100,
        2,
        1,
        |_, c| if c == 0 { 16384 } else { -16384 },
    );
    let mut s = Source::open(&p1).unwrap();
    assert_eq!(s.info().frames, 1);
    assert_eq!(s.read_all().unwrap(), vec![[0.5, -0.5]]);
    assert_eq!(s.read(0..100).unwrap(), vec![[0.5, -0.5]]);
    assert!(s.read(1..5).unwrap().is_empty());

    let p0 = tmp(&dir, "zero.wav");
    write_wav_i16(&p0, 44_100, 2, 0, |_, _| 0);
    match Source::open(&p0) {
        Ok(mut s) => {
            assert_eq!(s.info().frames, 0);
            assert!(s.read_all().unwrap().is_empty());
            assert!(s.read(0..10).unwrap().is_empty());
        }
        Err(e) => panic!("0-frame WAV should open as an empty track: {e}"),
    }
    // One frame at an odd rate: still one output frame (ceil).
    let p = tmp(&dir, "one96.wav");
    write_wav_i16(&p, 96_000, 2, 1, |_, _| 1000);
    let mut s = Source::open(&p).unwrap();
    assert_eq!(s.info().frames, 1);
    assert_eq!(s.read_all().unwrap().len(), 1);
}

fn write_bytes(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = tmp(dir, name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

#[test]
fn zero_length_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_bytes(&dir, "empty.flac", &[]);
    let e = Source::open(&p).unwrap_err();
    assert!(matches!(e, SourceError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("empty.flac"), "{e}");
}

#[test]
fn missing_file() {
    let e = Source::open(Path::new("/nonexistent/dir/x.flac")).unwrap_err();
    assert!(matches!(e, SourceError::Io { .. }), "{e}");
    assert!(e.to_string().contains("x.flac"));
}

#[test]
fn text_file_named_flac() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_bytes(
        &dir,
        "notes.flac",
        "This is not audio, just some text.\n"
            .repeat(200)
            .as_bytes(),
    );
    let e = Source::open(&p).unwrap_err();
    assert!(matches!(e, SourceError::NotAudio { .. }), "{e}");
    assert!(e.to_string().contains("notes.flac"), "{e}");
}

#[test]
fn mp3_named_flac_still_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("drascula-track1-8s.mp3")).unwrap();
    let p = write_bytes(&dir, "really-mp3.flac", &bytes);
    let mut s = Source::open(&p).unwrap();
    assert_eq!(s.info().codec, "mp3");
    assert_eq!(s.read_all().unwrap().len(), 352336);
}

#[test]
fn truncated_files_open_with_what_is_there_or_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "drascula-track1-8s.flac",
        "drascula-track1-8s.wav",
        "drascula-track1-8s.mp3",
        "drascula-track1-8s.ogg",
        "drascula-track1-8s.opus",
        "drascula-track1-8s.m4a",
        "drascula-track1-8s.aiff",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let full = open(name).info().frames;
        for cut in [bytes.len() / 2, bytes.len() - 1, 40] {
            let p = write_bytes(&dir, &format!("cut{cut}-{name}"), &bytes[..cut]);
            match Source::open(&p) {
                Ok(mut s) => {
                    let n = s.info().frames;
                    assert!(n <= full, "{name} cut {cut}: {n} > {full}");
                    // The count is consistent with what read returns (or read reports an error).
                    match s.read_all() {
                        Ok(all) => assert_eq!(all.len() as u64, n, "{name} cut {cut}"),
                        Err(e) => assert!(matches!(e, SourceError::Decode { .. }), "{e}"),
                    }
                    if cut == bytes.len() / 2 && !name.ends_with("m4a") {
                        assert!(n > full / 4 && n < full, "{name} half: {n} of {full}");
                    }
                }
                Err(e) => {
                    assert!(e.to_string().contains("cut"), "{e}");
                    assert!(!matches!(e, SourceError::Io { .. }), "{e}");
                }
            }
        }
    }
}

/// A canonical 44-byte WAV header.
fn wav_header(channels: u16, rate: u32, bits: u16, data_len: u32, format: u16) -> Vec<u8> {
    let block = channels.wrapping_mul(bits / 8);
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36u32.wrapping_add(data_len)).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&format.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate.wrapping_mul(block as u32)).to_le_bytes());
    h.extend_from_slice(&block.to_le_bytes());
    h.extend_from_slice(&bits.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

#[test]
fn wav_header_claiming_more_data_than_exists() {
    let dir = tempfile::tempdir().unwrap();
    // As written by a streaming encoder that never patched the sizes: RIFF and data = ~4 GiB.
    let mut bytes = wav_header(2, 44_100, 16, 0xFFFF_FFF0, 1);
    bytes[4..8].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    let body: Vec<u8> = (0..4000u32)
        .flat_map(|i| ((i % 2000) as i16 * 10).to_le_bytes())
        .collect();
    bytes.extend_from_slice(&body);
    let p = write_bytes(&dir, "liar.wav", &bytes);
    let mut s = Source::open(&p).unwrap();
    assert_eq!(s.info().frames, 2000);
    let all = s.read_all().unwrap();
    assert_eq!(all.len(), 2000);
    let again = s.read(1500..1600).unwrap();
    assert!(bits(&again) == bits(&all[1500..1600]));
}

#[test]
fn wav_header_absurd_claims() {
    let dir = tempfile::tempdir().unwrap();
    let body = vec![0u8; 4000];
    for (name, h) in [
        ("zero-channels.wav", wav_header(0, 44_100, 16, 4000, 1)),
        ("zero-rate.wav", wav_header(2, 0, 16, 4000, 1)),
        ("huge-rate.wav", wav_header(2, 2_000_000_000, 16, 4000, 1)),
        ("zero-bits.wav", wav_header(2, 44_100, 0, 4000, 1)),
        ("many-channels.wav", wav_header(60_000, 44_100, 16, 4000, 1)),
    ] {
        let mut bytes = h;
        bytes.extend_from_slice(&body);
        let p = write_bytes(&dir, name, &bytes);
        let e = Source::open(&p).unwrap_err();
        assert!(
            matches!(
                e,
                SourceError::InvalidHeader { .. }
                    | SourceError::NotAudio { .. }
                    | SourceError::UnsupportedCodec { .. }
            ),
            "{name}: {e:?}"
        );
        assert!(e.to_string().contains(name), "{e}");
    }
}

#[test]
fn unsupported_codec_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = wav_header(2, 44_100, 16, 4000, 0x1234);
    bytes.extend_from_slice(&vec![0u8; 4000]);
    let p = write_bytes(&dir, "weird-codec.wav", &bytes);
    let e = Source::open(&p).unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::UnsupportedCodec { .. } | SourceError::NotAudio { .. }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("weird-codec.wav"));
}
