//! MP3: decoded back through `auralis_source::Source` (symphonia), the LAME tag sent first trims
//! the stream to exactly the input length; the tag is LAME's own but for the music CRC; the
//! length is known up front; loudness is kept; the bitrate is the standard one under the limit.

mod common;

use auralis_encode::BitDepth;
use auralis_transcode::{
    ChunkTranscoder, FrameEncoder, Mp3Encoder, StreamFormat, TranscodeError, MP3_BITRATES,
};
use common::*;

fn encode(frames: &[[f32; 2]], rate: u32, kbps: u32, step: usize) -> Vec<u8> {
    let mut enc = Mp3Encoder::new(rate, kbps, frames.len() as u64).unwrap();
    let mut out = Vec::new();
    for c in frames.chunks(step.max(1)) {
        enc.push(c, &mut out).unwrap();
    }
    // `finish` also checks the tag sent first against LAME's final tag.
    enc.finish(&mut out).unwrap();
    out
}

/// LAME's own output for the same input: its blank Info frame replaced by its final tag.
fn lame_reference(frames: &[[f32; 2]], rate: u32, kbps: u32) -> Vec<u8> {
    use mp3lame_encoder::*;
    let mut b = Builder::new().unwrap();
    b.set_num_channels(2).unwrap();
    b.set_sample_rate(rate).unwrap();
    b.set_output_sample_rate(std::num::NonZeroU32::new(rate))
        .unwrap();
    b.set_vbr_mode(VbrMode::Off).unwrap();
    b.set_brate(Bitrate::Kbps128).unwrap();
    assert_eq!(kbps, 128);
    // As the encoder does: undo LAME's 128 kbps preset scale of 0.95.
    // SAFETY: the builder's own live pointer.
    assert_eq!(unsafe { ffi::lame_set_scale(b.as_ptr(), 1.0 / 0.95) }, 0);
    b.set_mode(Mode::JointStereo).unwrap();
    b.set_quality(Quality::VeryNice).unwrap();
    b.set_to_write_vbr_tag(true).unwrap();
    let mut e = b.build().unwrap();
    let mut out = Vec::with_capacity(max_required_buffer_size(frames.len()));
    e.encode_to_vec(InterleavedPcm(frames.as_flattened()), &mut out)
        .unwrap();
    out.reserve(20_000);
    e.flush_to_vec::<FlushGap>(&mut out).unwrap();
    let mut tag = Vec::with_capacity(e.lame_tag_size());
    e.lame_tag_encode_to_vec(&mut tag).unwrap();
    out[..tag.len()].copy_from_slice(&tag);
    out
}

#[test]
fn the_tag_trims_to_the_exact_length() {
    for (file, rate) in [
        ("drascula-track2-20s.flac", 44_100),
        ("drascula-track1-8s-96k-24bit.flac", 48_000),
    ] {
        let (frames, r) = load(file);
        assert_eq!(r, rate);
        for n in [frames.len(), 100_000, 1152 * 9 - 576, 1153, 1] {
            let input = &frames[..n];
            let bytes = encode(input, rate, 128, 44_100);
            assert_eq!(
                bytes.len() as u64,
                Mp3Encoder::stream_len(rate, 128, n as u64).unwrap()
            );
            let (decoded, info) = decode(&bytes, "mp3");
            assert_eq!(info.rate, rate);
            assert_eq!(decoded.len(), n, "{file}: {n} frames");
        }
    }
}

#[test]
fn the_tag_sent_first_is_lames_own_but_the_music_crc() {
    let (frames, rate) = load("drascula-track2-20s.flac");
    let ours = encode(&frames, rate, 128, 10_000);
    let lame = lame_reference(&frames, rate, 128);
    assert_eq!(ours.len(), lame.len());
    // Tag frame: 36 bytes of header and side info, Info tag, LAME extension; bytes 188-189 are
    // the music CRC, 190-191 the tag CRC.
    // Byte 3 holds the header's mode extension, which LAME copies from its last frame.
    assert_eq!(&ours[..3], &lame[..3]);
    assert_eq!(ours[3] & 0xcf, lame[3] & 0xcf);
    assert_eq!(&ours[4..188], &lame[4..188]);
    assert_eq!(&ours[188..190], &[0, 0]);
    assert_ne!(&lame[188..190], &[0, 0]);
    // The audio frames are LAME's, byte for byte.
    assert!(ours[417..] == lame[417..], "the audio frames differ");
}

#[test]
fn lengths_rates_and_bitrates_all_hold_their_plan() {
    // `finish` fails if any field of the predicted tag differs from LAME's, or the byte count
    // from `stream_len`: run it over every standard bitrate, both rates, awkward lengths.
    let (frames, _) = load("drascula-track1-8s.flac");
    for rate in [44_100, 48_000] {
        for &kbps in &MP3_BITRATES {
            for n in [0, 1, 575, 576, 577, 1151, 1152, 1153, 50_000, 200_001] {
                let bytes = encode(&frames[..n], rate, kbps, 7_777);
                let expected = Mp3Encoder::stream_len(rate, kbps, n as u64).unwrap();
                assert_eq!(bytes.len() as u64, expected, "{rate} Hz {kbps} kbps {n}");
            }
        }
    }
}

#[test]
fn loudness_is_kept_and_the_bitrate_is_the_standard_one() {
    let (frames, rate) = load("drascula-track2-20s.flac");
    let input_lufs = lufs(&frames, rate);
    let mut failures = Vec::new();
    for &kbps in &MP3_BITRATES {
        let bytes = encode(&frames, rate, kbps, 441_000);
        let (decoded, _) = decode(&bytes, "mp3");
        assert_eq!(decoded.len(), frames.len());
        // CBR: every audio frame is at the nominal rate, so the bytes per second of MPEG time
        // (1152 samples a frame) are the bitrate; under 64 kbps the Info frame is at 64.
        let tag_kbps = kbps.max(64);
        let mpeg_frames = (frames.len() as u64 + 576).div_ceil(1152) + 1;
        let tag_bytes = 144_000 * u64::from(tag_kbps) / u64::from(rate);
        let audio_bytes = bytes.len() as u64 - tag_bytes;
        let per_sec =
            audio_bytes as f64 * 8.0 / ((mpeg_frames - 1) as f64 * 1152.0 / f64::from(rate));
        let out_lufs = lufs(&decoded, rate);
        eprintln!(
            "mp3 {kbps} kbps: {:.2} kbps of MPEG time, {out_lufs:.2} LUFS (input {input_lufs:.2})",
            per_sec / 1000.0
        );
        if per_sec > f64::from(kbps) * 1000.0 * 1.001 {
            failures.push(format!("{kbps} kbps: {per_sec} bit/s"));
        }
        if (out_lufs - input_lufs).abs() > 0.5 {
            failures.push(format!("{kbps} kbps: {out_lufs} LUFS vs {input_lufs}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn chunk_joins_leave_no_click_and_push_sizes_do_not_matter() {
    let (frames, rate) = load("drascula-track2-20s.flac");
    let chunk_len = 132_300;
    let chunks = chunks(&frames, rate, BitDepth::Sixteen, chunk_len);
    let input = chunk_truth(&chunks);
    let format = StreamFormat::Mp3 { kbps: 192 };
    let mut t =
        ChunkTranscoder::new(format, rate, BitDepth::Sixteen, input.len() as u64, 0).unwrap();
    let mut out = Vec::new();
    for c in &chunks {
        t.push_chunk(c, &mut out).unwrap();
    }
    t.finish(&mut out).unwrap();
    assert_eq!(Some(out.len() as u64), t.exact_len());
    assert_eq!(out, encode(&input, rate, 192, input.len()));
    let (decoded, _) = decode(&out, "mp3");
    assert_eq!(decoded.len(), input.len());
    let joins: Vec<usize> = (1..chunks.len()).map(|i| i * chunk_len).collect();
    let (at, away) = join_vs_elsewhere(&input, &decoded, &joins, 441);
    eprintln!("mp3 error at joins {at:.4}, elsewhere up to {away:.4}");
    assert!(at <= away, "join error {at} > elsewhere {away}");
}

#[test]
fn a_start_offset_through_chunks() {
    let (frames, rate) = load("drascula-track1-8s-96k-24bit.flac");
    let chunks = chunks(&frames, rate, BitDepth::TwentyFour, 100_000);
    let offset = 100_000 + 4_321;
    let total = (frames.len() - offset) as u64;
    let format = StreamFormat::Mp3 { kbps: 128 };
    let mut t = ChunkTranscoder::new(format, rate, BitDepth::TwentyFour, total, 4_321).unwrap();
    let mut out = Vec::new();
    for c in &chunks[1..] {
        t.push_chunk(c, &mut out).unwrap();
    }
    t.finish(&mut out).unwrap();
    let (decoded, _) = decode(&out, "mp3");
    assert_eq!(decoded.len() as u64, total);
    // It starts at that very sample: LAME's delay trimmed, the skip inside the chunk exact.
    let input = chunk_truth(&chunks);
    let (lag, c) = best_lag(&input, offset, &decoded, 48_000, 960);
    eprintln!("mp3 from {offset}: lag {lag:.3}, correlation {c:.4}");
    assert!(lag.abs() < 0.1 && c > 0.95, "lag {lag}, correlation {c}");
}

#[test]
fn bad_parameters_and_misuse_are_errors() {
    assert!(matches!(
        Mp3Encoder::new(96_000, 128, 10),
        Err(TranscodeError::Unsupported(_))
    ));
    assert!(matches!(
        Mp3Encoder::new(44_100, 130, 10),
        Err(TranscodeError::Unsupported(_))
    ));
    assert!(Mp3Encoder::new(44_100, 16, 10).is_err());
    // More or fewer samples than announced.
    let mut e = Mp3Encoder::new(44_100, 128, 10).unwrap();
    assert!(matches!(
        e.push(&[[0.0; 2]; 11], &mut Vec::new()),
        Err(TranscodeError::Length { .. })
    ));
    let mut e = Mp3Encoder::new(44_100, 128, 10).unwrap();
    e.push(&[[0.0; 2]; 9], &mut Vec::new()).unwrap();
    assert!(matches!(
        e.finish(&mut Vec::new()),
        Err(TranscodeError::Length { .. })
    ));
    assert!(matches!(
        e.finish(&mut Vec::new()),
        Err(TranscodeError::Finished)
    ));
    // NaN and out-of-range samples are encoded, not fatal.
    let mut e = Mp3Encoder::new(48_000, 64, 5000).unwrap();
    e.push(&vec![[f32::NAN, 8.0]; 5000], &mut Vec::new())
        .unwrap();
    e.finish(&mut Vec::new()).unwrap();
    // Raw cannot be made from chunks; garbage chunks are errors.
    assert!(ChunkTranscoder::new(StreamFormat::Raw, 44_100, BitDepth::Sixteen, 1, 0).is_err());
    let format = StreamFormat::Mp3 { kbps: 128 };
    let mut t = ChunkTranscoder::new(format, 44_100, BitDepth::Sixteen, 1000, 0).unwrap();
    assert!(matches!(
        t.push_chunk(b"not flac", &mut Vec::new()),
        Err(TranscodeError::InvalidChunk { .. })
    ));
}

/// The server sends a stream's first chunk a second at a time (`push_chunk_in_parts`): the
/// parts, joined, are the bytes of the whole push, and there is more than one of them.
#[test]
fn a_chunk_pushed_in_parts_is_the_same_stream() {
    let (frames, rate) = load("drascula-track2-20s.flac");
    let chunks = chunks(&frames, rate, BitDepth::Sixteen, 441_000);
    let total = chunk_truth(&chunks).len() as u64;
    let format = StreamFormat::Mp3 { kbps: 320 };
    let mut whole = ChunkTranscoder::new(format, rate, BitDepth::Sixteen, total, 0).unwrap();
    let mut parts = ChunkTranscoder::new(format, rate, BitDepth::Sixteen, total, 0).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for c in &chunks {
        whole.push_chunk(c, &mut a).unwrap();
        let mut calls = 0;
        let mut out = Vec::new();
        parts
            .push_chunk_in_parts(c, &mut out, rate as usize, |o| {
                calls += 1;
                b.append(o);
            })
            .unwrap();
        b.append(&mut out);
        assert_eq!(calls, 10, "a 10 s chunk in 1 s parts");
    }
    whole.finish(&mut a).unwrap();
    parts.finish(&mut b).unwrap();
    assert_eq!(a, b);
}
