//! Chunks rendered alone against the whole track, decoded back through auralis-source.

use std::path::{Path, PathBuf};

use auralis_encode::encode_flac;
use auralis_master::{master_all, Plan};
use auralis_render::{master_file, RenderError, TrackAudio, Variant};
use auralis_source::Source;
use auralis_timeline::Timeline;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// Decode FLAC bytes back to frames (and the file's bit depth) through auralis-source.
fn decode(bytes: &[u8], dir: &Path, name: &str) -> (Vec<[f32; 2]>, Option<u32>, u32) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let mut s = Source::open(&p).unwrap();
    let info = s.info().clone();
    (s.read_all().unwrap(), info.bits_per_sample, info.rate)
}

fn lsb_diff(a: &[[f32; 2]], b: &[[f32; 2]], bits: u32) -> (usize, f32) {
    let scale = (1u64 << (bits - 1)) as f32;
    let mut count = 0;
    let mut max = 0f32;
    for (x, y) in a.iter().zip(b) {
        for c in 0..2 {
            let d = ((x[c] - y[c]) * scale).abs();
            if d > 0.0 {
                count += 1;
            }
            max = max.max(d);
        }
    }
    (count, max)
}

#[test]
fn variant_names_round_trip() {
    assert_eq!(Variant::Original.name(), "original");
    for p in auralis_master::Preset::ALL {
        let v = Variant::Processed(p);
        assert_eq!(v.to_string().parse::<Variant>().unwrap(), v);
    }
    assert_eq!("original".parse::<Variant>().unwrap(), Variant::Original);
    assert!("loud".parse::<Variant>().is_err());
}

#[test]
fn chunks_tile_the_track_for_both_variants() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("drascula-track2-20s.flac");
    let mut track = TrackAudio::open_with_chunk_seconds(&path, 3.0).unwrap();
    let info = track.info().clone();
    assert_eq!(info.bits_per_sample, Some(16));
    let whole = track.read(0..info.frames).unwrap();
    let profile = track.fast_profile().unwrap();
    let preset = auralis_master::Preset::Adaptive;
    let plan = Plan::new(&profile, preset);
    let whole_processed = master_all(&plan, &whole);
    // The whole track through the same quantiser (dither seeded by absolute position).
    let whole_flac = encode_flac(&whole_processed, info.rate, track.bit_depth(), 0, true).unwrap();
    let (whole_decoded, _, _) = decode(&whole_flac, dir.path(), "whole.flac");

    let mut orig_cat = Vec::new();
    let mut proc_cat = Vec::new();
    let count = track.timeline().chunk_count();
    assert!(count >= 7);
    for chunk in 0..count {
        let range = track.timeline().chunk_range(chunk).unwrap();
        let out = track.render_variants(
            &profile,
            chunk,
            &[Variant::Original, Variant::Processed(preset)],
        );
        let mut out = out.into_iter();
        let orig = out.next().unwrap().unwrap();
        let processed = out.next().unwrap().unwrap();
        let (o, obits, orate) = decode(&orig, dir.path(), &format!("o{chunk}.flac"));
        let (p, pbits, prate) = decode(&processed, dir.path(), &format!("p{chunk}.flac"));
        assert_eq!((obits, orate), (Some(16), info.rate));
        assert_eq!((pbits, prate), (Some(16), info.rate));
        // Invariant 3: same length, sample-aligned.
        assert_eq!(o.len() as u64, range.end - range.start);
        assert_eq!(p.len(), o.len());
        // Invariant 4: the original is bit-exact.
        assert_eq!(
            o,
            whole[range.start as usize..range.end as usize],
            "chunk {chunk}"
        );
        // Same bytes when rendered alone (single variant, fresh track).
        if chunk == 2 {
            assert_eq!(
                track
                    .render_chunk(&profile, chunk, Variant::Processed(preset))
                    .unwrap(),
                processed
            );
            let tl = *track.timeline();
            assert_eq!(
                auralis_render::render_chunk(&path, &profile, &tl, chunk, Variant::Original)
                    .unwrap(),
                orig
            );
        }
        orig_cat.extend(o);
        proc_cat.extend(p);
    }
    assert_eq!(orig_cat, whole);
    assert_eq!(proc_cat.len(), whole_decoded.len());
    // Invariant 2 + 5: chunked == continuous. The chain agrees with the whole pass to far
    // below -90 dBFS and both go through the same position-seeded quantiser: the decoded
    // samples are identical (measured: 0 differing samples).
    let (differing, max) = lsb_diff(&proc_cat, &whole_decoded, 16);
    assert_eq!((differing, max), (0, 0.0), "chunked vs whole differ");
    assert!(proc_cat.iter().flatten().all(|x| x.is_finite()));
}

#[test]
fn hi_res_source_renders_24_bit_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("drascula-track1-8s-96k-24bit.flac");
    let mut track = TrackAudio::open(&path).unwrap();
    assert_eq!(track.info().rate, 48_000);
    let profile = track.fast_profile().unwrap();
    let whole = track.read(0..track.info().frames).unwrap();
    let bytes = track.render_chunk(&profile, 0, Variant::Original).unwrap();
    let (o, bits, rate) = decode(&bytes, dir.path(), "o.flac");
    assert_eq!((bits, rate), (Some(24), 48_000));
    assert_eq!(o.len(), whole.len());
    // Resampled output quantised to 24 bits: within half an LSB of the decoded stream.
    let (_, max) = lsb_diff(&o, &whole, 24);
    assert!(max <= 0.5 + 1e-3, "{max}");
    let p = track
        .render_chunk(
            &profile,
            0,
            Variant::Processed(auralis_master::Preset::Warm),
        )
        .unwrap();
    assert_eq!(decode(&p, dir.path(), "p.flac").0.len(), whole.len());
}

#[test]
fn missing_chunk_and_bad_profile_are_errors() {
    let path = fixture("drascula-track1-8s.flac");
    let mut track = TrackAudio::open(&path).unwrap();
    let profile = track.fast_profile().unwrap();
    let n = track.timeline().chunk_count();
    let err = track
        .render_chunk(&profile, n, Variant::Original)
        .unwrap_err();
    assert!(matches!(err, RenderError::NoSuchChunk { .. }));
    assert!(err.to_string().contains("drascula-track1-8s.flac"));
    let mut other = profile.clone();
    other.sample_rate = 48_000;
    let err = track
        .render_chunk(&other, 0, Variant::Processed(Default::default()))
        .unwrap_err();
    assert!(matches!(err, RenderError::ProfileMismatch { .. }));
    let tl = Timeline::new(5, 44_100, 1).unwrap();
    assert!(auralis_render::render_chunk(&path, &profile, &tl, 0, Variant::Original).is_err());
}

#[test]
fn master_file_writes_a_measured_flac() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.flac");
    let mut stages = Vec::new();
    let summary = master_file(
        &fixture("drascula-track1-8s.flac"),
        &out,
        auralis_master::Preset::Adaptive,
        1.0,
        |p| stages.push(p),
    )
    .unwrap();
    assert!(stages.windows(2).all(|w| w[0].fraction <= w[1].fraction));
    let mut s = Source::open(&out).unwrap();
    assert_eq!(s.info().frames, summary.frames);
    assert_eq!(s.info().bits_per_sample, Some(16));
    let decoded = s.read_all().unwrap();
    let measured = auralis_analysis::analyze(&decoded, s.info().rate);
    assert!((measured.integrated_lufs - summary.after.integrated_lufs).abs() < 0.05);
    assert!(summary.after.true_peak_dbtp <= -0.9, "{:?}", summary.after);
    assert!(std::fs::metadata(&out).unwrap().len() == summary.output_bytes);
    // Only the output is left in the directory (the temp file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn master_file_leaves_nothing_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.flac");
    let mut bytes = std::fs::read(fixture("drascula-track1-8s.flac")).unwrap();
    bytes.truncate(100);
    std::fs::write(&bad, &bytes).unwrap();
    let out = dir.path().join("out.flac");
    let err = master_file(&bad, &out, Default::default(), 1.0, |_| {}).unwrap_err();
    assert!(err.to_string().contains("bad.flac"), "{err}");
    assert!(!out.exists());
    // An existing output is not replaced either.
    std::fs::write(&out, b"keep").unwrap();
    assert!(master_file(&bad, &out, Default::default(), 1.0, |_| {}).is_err());
    assert!(master_file(
        &fixture("drascula-track1-8s.flac"),
        &out,
        Default::default(),
        1.5,
        |_| {}
    )
    .is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"keep");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// Digital silence in, digital silence out: the processed variant of a silent track is all
/// zeros, and music that fades to digital zero ends in zeros (no dither noise), in chunks and
/// through `master_file`.
#[test]
fn digital_silence_stays_digital_silence() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 44_100u32;
    // 5 s of music, a 2 s fade to exact zero, 6 s of digital silence.
    let music = Source::open(&fixture("drascula-track2-20s.flac"))
        .unwrap()
        .read(0..5 * rate as u64)
        .unwrap();
    let fade_len = 2 * rate as usize;
    let mut track: Vec<[f32; 2]> = music.clone();
    track.extend(music[..fade_len].iter().enumerate().map(|(i, f)| {
        let g = 1.0 - i as f32 / fade_len as f32;
        // On the 16-bit grid, like a real 16-bit file.
        [
            (f[0] * g * 32768.0).round() / 32768.0,
            (f[1] * g * 32768.0).round() / 32768.0,
        ]
    }));
    let silent_from = track.len();
    track.extend(std::iter::repeat_n([0.0f32; 2], 6 * rate as usize));
    let faded = dir.path().join("fade.flac");
    std::fs::write(
        &faded,
        encode_flac(&track, rate, auralis_encode::BitDepth::Sixteen, 0, false).unwrap(),
    )
    .unwrap();
    let silent = dir.path().join("silent.flac");
    std::fs::write(
        &silent,
        encode_flac(
            &vec![[0.0; 2]; 9 * rate as usize],
            rate,
            auralis_encode::BitDepth::Sixteen,
            0,
            false,
        )
        .unwrap(),
    )
    .unwrap();

    for preset in auralis_master::Preset::ALL {
        // Chunks (4 s), both tracks.
        for (path, zeros_from) in [(&silent, 0usize), (&faded, silent_from + rate as usize / 2)] {
            let mut t = TrackAudio::open_with_chunk_seconds(path, 4.0).unwrap();
            let profile = t.full_profile().unwrap();
            let mut out = Vec::new();
            for c in 0..t.timeline().chunk_count() {
                let bytes = t
                    .render_chunk(&profile, c, Variant::Processed(preset))
                    .unwrap();
                out.extend(decode(&bytes, dir.path(), "c.flac").0);
            }
            assert_eq!(out.len(), t.info().frames as usize);
            let last = out.iter().rposition(|f| *f != [0.0, 0.0]);
            assert!(
                last.is_none_or(|l| l < zeros_from),
                "{preset} {}: non-zero sample at {last:?}, silence from {zeros_from}",
                path.display()
            );
            if zeros_from > 0 {
                assert!(
                    last.is_some_and(|l| l > rate as usize),
                    "the music is there"
                );
            }
        }
        // The whole-file path.
        let out = dir.path().join("out.flac");
        master_file(&faded, &out, preset, 1.0, |_| {}).unwrap();
        let y = Source::open(&out).unwrap().read_all().unwrap();
        let last = y.iter().rposition(|f| *f != [0.0, 0.0]).unwrap();
        assert!(last < silent_from + rate as usize / 2, "{preset}: {last}");
    }
}

/// The streamed whole-file path applies the intensity mix to the right frames: the output at
/// intensity 0.5 is `0.5·original + 0.5·processed` (processed = the whole-track pass of the
/// same plan) within the dither's one LSB.
#[test]
fn master_file_mixes_intensity_on_aligned_frames() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("drascula-track2-20s.flac");
    let profile =
        auralis_render::analyse_file(&input, &[auralis_master::Preset::Warm], |_, _| {}).unwrap();
    let plan = Plan::new(&profile, auralis_master::Preset::Warm);
    let out = dir.path().join("half.flac");
    auralis_render::master_file_with_plan(&input, &out, &profile, &plan, 0.5, |_| {}).unwrap();
    let x = Source::open(&input).unwrap().read_all().unwrap();
    let want = auralis_master::mix(&x, &master_all(&plan, &x), 0.5);
    let got = Source::open(&out).unwrap().read_all().unwrap();
    assert_eq!(got.len(), want.len());
    let worst = got
        .iter()
        .zip(&want)
        .flat_map(|(g, w)| [(g[0] - w[0]).abs(), (g[1] - w[1]).abs()])
        .fold(0f32, f32::max);
    assert!(worst * 32768.0 <= 1.5, "{} LSB", worst * 32768.0);
}
