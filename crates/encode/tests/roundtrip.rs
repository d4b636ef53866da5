//! Every encoded file is decoded back with symphonia (an independent FLAC decoder) and compared
//! sample by sample with the quantised input.

use std::io::Cursor;

use auralis_encode::{
    bit_depth_for, encode_flac, encode_flac_threads, encode_flac_with, quantize,
    write_flac_parallel, BitDepth, EncoderSettings, FlacWriter, ParallelFlacWriter, BLOCK_SIZE,
    SEGMENT_BLOCKS,
};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

struct Decoded {
    rate: u32,
    bits: u32,
    frames: Vec<[i32; 2]>,
    n_frames_header: Option<u64>,
}

fn decode(bytes: &[u8]) -> Decoded {
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("flac");
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .expect("probe");
    let track = format.default_track(TrackType::Audio).expect("track");
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .expect("audio params")
        .clone();
    let n_frames_header = track.num_frames;
    let track_id = track.id;
    let rate = params.sample_rate.expect("rate");
    let bits = params.bits_per_sample.expect("bits");
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .expect("decoder");
    let mut out = Vec::new();
    let mut buf: Vec<i32> = Vec::new();
    while let Some(packet) = format.next_packet().expect("packet") {
        if packet.track_id != track_id {
            continue;
        }
        let ab = decoder.decode(&packet).expect("decode");
        buf.resize(ab.samples_interleaved(), 0);
        ab.copy_to_slice_interleaved(&mut buf);
        let shift = 32 - bits;
        for f in buf.chunks_exact(2) {
            out.push([f[0] >> shift, f[1] >> shift]);
        }
    }
    Decoded {
        rate,
        bits,
        frames: out,
        n_frames_header,
    }
}

/// Real-ish music stand-in: a few detuned partials with a slow envelope and some noise.
fn music(n: usize, seed: u32) -> Vec<[f32; 2]> {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let noise = (s as f32 / u32::MAX as f32 - 0.5) * 0.02;
            let t = i as f32 / 44_100.0;
            let env = 0.5 + 0.4 * (t * 1.3).sin();
            let l = env
                * (0.3 * (t * 220.0 * std::f32::consts::TAU).sin()
                    + 0.2 * (t * 331.0 * std::f32::consts::TAU).sin())
                + noise;
            let r = env * 0.35 * (t * 221.5 * std::f32::consts::TAU).sin() + noise * 0.7;
            [l, r]
        })
        .collect()
}

fn on_grid(frames: &[[f32; 2]], bits: u32) -> Vec<[f32; 2]> {
    let scale = (1u64 << (bits - 1)) as f32;
    frames
        .iter()
        .map(|f| {
            [
                (f[0] * scale).round().clamp(-scale, scale - 1.0) / scale,
                (f[1] * scale).round().clamp(-scale, scale - 1.0) / scale,
            ]
        })
        .collect()
}

#[test]
fn bit_depth_choice() {
    assert_eq!(bit_depth_for(None), BitDepth::Sixteen);
    assert_eq!(bit_depth_for(Some(8)), BitDepth::Sixteen);
    assert_eq!(bit_depth_for(Some(16)), BitDepth::Sixteen);
    assert_eq!(bit_depth_for(Some(24)), BitDepth::TwentyFour);
    assert_eq!(bit_depth_for(Some(32)), BitDepth::TwentyFour);
}

#[test]
fn round_trip_16_bit_is_bit_exact() {
    let src = on_grid(&music(3 * BLOCK_SIZE + 1234, 1), 16);
    let bytes = encode_flac(&src, 44_100, BitDepth::Sixteen, 0, false).unwrap();
    let d = decode(&bytes);
    assert_eq!((d.rate, d.bits), (44_100, 16));
    assert_eq!(d.n_frames_header, Some(src.len() as u64));
    let expect: Vec<[i32; 2]> = src
        .iter()
        .map(|f| [(f[0] * 32768.0) as i32, (f[1] * 32768.0) as i32])
        .collect();
    assert_eq!(d.frames, expect);
    // Compressed, not verbatim.
    assert!(
        bytes.len() < src.len() * 4 * 7 / 10,
        "{} bytes",
        bytes.len()
    );
}

#[test]
fn round_trip_24_bit_is_bit_exact() {
    let src = on_grid(&music(2 * BLOCK_SIZE + 77, 2), 24);
    let bytes = encode_flac(&src, 48_000, BitDepth::TwentyFour, 0, false).unwrap();
    let d = decode(&bytes);
    assert_eq!((d.rate, d.bits), (48_000, 24));
    assert_eq!(d.n_frames_header, Some(src.len() as u64));
    assert_eq!(d.frames, quantize(&src, BitDepth::TwentyFour, 0, false));
    assert!(
        d.frames.iter().any(|f| f[0] % 256 != 0),
        "uses 24-bit resolution"
    );
}

#[test]
fn every_stereo_assignment_round_trips() {
    // Identical channels (mid/side wins), one silent channel (left/right-side), anti-phase and
    // unrelated channels, at both depths, through both stereo modes.
    let base = music(BLOCK_SIZE * 2, 3);
    let other = music(BLOCK_SIZE * 2, 4);
    let cases: Vec<Vec<[f32; 2]>> = vec![
        base.iter().map(|f| [f[0], f[0]]).collect(),
        base.iter().map(|f| [f[0], 0.0]).collect(),
        base.iter().map(|f| [0.0, f[0]]).collect(),
        base.iter().map(|f| [f[0], -f[0]]).collect(),
        base.iter()
            .zip(&other)
            .map(|(a, b)| [a[0], b[1] * 3.0])
            .collect(),
        vec![[0.999, -1.0]; 5000],
    ];
    for depth in [BitDepth::Sixteen, BitDepth::TwentyFour] {
        for settings in [EncoderSettings::fast(), EncoderSettings::flacenc_default()] {
            for (i, case) in cases.iter().enumerate() {
                let bytes = encode_flac_with(case, 44_100, depth, 99, true, &settings).unwrap();
                let d = decode(&bytes);
                assert_eq!(
                    d.frames,
                    quantize(case, depth, 99, true),
                    "case {i} {depth:?}"
                );
            }
        }
    }
}

#[test]
fn dithered_chunk_alone_equals_that_region_of_the_whole() {
    let whole = music(50_000, 5);
    let whole_dec = decode(&encode_flac(&whole, 44_100, BitDepth::Sixteen, 0, true).unwrap());
    for (start, end) in [
        (0usize, 10_000usize),
        (10_000, 20_000),
        (12_345, 49_999),
        (49_999, 50_000),
    ] {
        let chunk = encode_flac(
            &whole[start..end],
            44_100,
            BitDepth::Sixteen,
            start as u64,
            true,
        )
        .unwrap();
        // Same bytes every time.
        let again = encode_flac(
            &whole[start..end],
            44_100,
            BitDepth::Sixteen,
            start as u64,
            true,
        )
        .unwrap();
        assert_eq!(chunk, again);
        assert_eq!(decode(&chunk).frames, whole_dec.frames[start..end]);
    }
    // The dither actually does something, and differs with the position.
    let undithered = quantize(&whole, BitDepth::Sixteen, 0, false);
    assert_ne!(whole_dec.frames, undithered);
    let shifted = quantize(&whole[..1000], BitDepth::Sixteen, 1, true);
    assert_ne!(shifted, whole_dec.frames[..1000]);
}

#[test]
fn out_of_range_input_clamps() {
    let frames: Vec<[f32; 2]> = (0..3000)
        .map(|i| {
            let x = (i as f32 * 0.05).sin() * 4.0; // +12 dB over full scale
            [x, -x]
        })
        .collect();
    for dither in [false, true] {
        let d = decode(&encode_flac(&frames, 44_100, BitDepth::Sixteen, 0, dither).unwrap());
        for (f, q) in frames.iter().zip(&d.frames) {
            if f[0] >= 1.0 {
                assert_eq!(q[0], 32767);
                assert_eq!(q[1], -32768);
            }
            // Never wrapped: the sign follows the input.
            if f[0].abs() > 0.01 {
                assert_eq!(q[0].signum(), f[0].signum() as i32);
            }
        }
    }
}

#[test]
fn empty_and_one_frame_inputs() {
    let empty = encode_flac(&[], 44_100, BitDepth::Sixteen, 0, true).unwrap();
    assert_eq!(&empty[..4], b"fLaC");
    // STREAMINFO total samples (36 bits at byte offset 8+13.5) are zero.
    assert_eq!(empty.len(), 42);
    let one = encode_flac(&[[0.25, -0.5]], 44_100, BitDepth::Sixteen, 0, false).unwrap();
    let d = decode(&one);
    assert_eq!(d.frames, vec![[8192, -16384]]);
    assert_eq!(d.n_frames_header, Some(1));
    let one24 = encode_flac(&[[0.25, -0.5]], 48_000, BitDepth::TwentyFour, 7, true).unwrap();
    assert_eq!(decode(&one24).frames.len(), 1);
}

#[test]
fn streaming_writer_matches_one_shot() {
    let frames = music(BLOCK_SIZE * 5 + 17, 6);
    let one_shot = encode_flac(&frames, 44_100, BitDepth::Sixteen, 1000, true).unwrap();
    let mut w = FlacWriter::new(
        Cursor::new(Vec::new()),
        44_100,
        BitDepth::Sixteen,
        1000,
        true,
    )
    .unwrap();
    // Ragged pieces straddling block boundaries.
    let mut pos = 0;
    for (i, len) in [1usize, 4095, 4097, 3, 9000, 100_000]
        .iter()
        .cycle()
        .enumerate()
    {
        if pos >= frames.len() || i > 100 {
            break;
        }
        let end = (pos + len).min(frames.len());
        w.write(&frames[pos..end]).unwrap();
        pos = end;
    }
    assert_eq!(w.frames_written(), frames.len() as u64);
    let streamed = w.finish().unwrap().into_inner();
    assert_eq!(streamed, one_shot);
}

#[test]
fn md5_matches_the_samples() {
    let frames = on_grid(&music(10_000, 7), 16);
    let bytes = encode_flac(&frames, 44_100, BitDepth::Sixteen, 0, false).unwrap();
    // STREAMINFO: 4 ("fLaC") + 4 (block header) + 18 bytes before the MD5.
    let md5_in_file = &bytes[26..42];
    assert_ne!(md5_in_file, &[0u8; 16]);
    // Re-encoding the same samples through the exhaustive config gives the same MD5 (it is
    // a function of the samples, not of the coding).
    let other = encode_flac_with(
        &frames,
        44_100,
        BitDepth::Sixteen,
        0,
        false,
        &EncoderSettings::flacenc_default(),
    )
    .unwrap();
    assert_eq!(&other[26..42], md5_in_file);
}

#[test]
fn rejects_unsupported_rate() {
    assert!(encode_flac(&[[0.0, 0.0]], 0, BitDepth::Sixteen, 0, false).is_err());
    assert!(encode_flac(&[[0.0, 0.0]], 1_000_000, BitDepth::Sixteen, 0, false).is_err());
}

#[test]
fn parallel_writer_matches_sequential_and_decodes() {
    // Several segments plus a short tail; both depths, dithered, several thread counts.
    let n = BLOCK_SIZE * SEGMENT_BLOCKS * 3 + BLOCK_SIZE * 2 + 321;
    let frames = music(n, 11);
    for depth in [BitDepth::Sixteen, BitDepth::TwentyFour] {
        let seq = encode_flac(&frames, 48_000, depth, 5_000, true).unwrap();
        for threads in [1, 2, 3] {
            let mut last = 0;
            let par = write_flac_parallel(
                Cursor::new(Vec::new()),
                &frames,
                48_000,
                depth,
                5_000,
                true,
                &EncoderSettings::fast(),
                threads,
                |done| {
                    assert!(done > last);
                    last = done;
                },
            )
            .unwrap()
            .into_inner();
            assert_eq!(last, n as u64);
            assert_eq!(par, seq, "{threads} threads, {depth:?}");
        }
        let d = decode(&seq);
        assert_eq!(d.frames, quantize(&frames, depth, 5_000, true));
    }
    let empty = write_flac_parallel(
        Cursor::new(Vec::new()),
        &[],
        44_100,
        BitDepth::Sixteen,
        0,
        false,
        &EncoderSettings::fast(),
        2,
        |_| {},
    )
    .unwrap()
    .into_inner();
    assert_eq!(
        empty,
        encode_flac(&[], 44_100, BitDepth::Sixteen, 0, false).unwrap()
    );
}

#[test]
fn streaming_parallel_writer_matches_sequential() {
    // Pieces of odd sizes (smaller and larger than a segment), several thread counts.
    let n = BLOCK_SIZE * SEGMENT_BLOCKS * 4 + 777;
    let frames = music(n, 5);
    for depth in [BitDepth::Sixteen, BitDepth::TwentyFour] {
        let seq = encode_flac(&frames, 44_100, depth, 1_234, true).unwrap();
        for (threads, piece) in [(1, 1000), (2, 50_000), (3, 300_000), (2, n)] {
            let mut w = ParallelFlacWriter::new(
                Cursor::new(Vec::new()),
                44_100,
                depth,
                1_234,
                true,
                &EncoderSettings::fast(),
                threads,
            )
            .unwrap();
            for p in frames.chunks(piece) {
                w.write(p).unwrap();
            }
            assert_eq!(w.frames_written(), n as u64);
            let par = w.finish().unwrap().into_inner();
            assert_eq!(par, seq, "{threads} threads, pieces of {piece}, {depth:?}");
        }
    }
    let empty = ParallelFlacWriter::new(
        Cursor::new(Vec::new()),
        44_100,
        BitDepth::Sixteen,
        0,
        false,
        &EncoderSettings::fast(),
        2,
    )
    .unwrap()
    .finish()
    .unwrap()
    .into_inner();
    assert_eq!(
        empty,
        encode_flac(&[], 44_100, BitDepth::Sixteen, 0, false).unwrap()
    );
    // Dropped unfinished (an error upstream): the workers stop, nothing hangs.
    let mut w = ParallelFlacWriter::new(
        Cursor::new(Vec::new()),
        44_100,
        BitDepth::Sixteen,
        0,
        false,
        &EncoderSettings::fast(),
        2,
    )
    .unwrap();
    w.write(&frames).unwrap();
    drop(w);
}

/// A chunk's processed variant is encoded on two threads: byte for byte what one thread writes,
/// for a 10 s chunk at both depths, dithered or not, from a chunk's first sample; and a
/// buffer shorter than one segment takes the one-thread path.
#[test]
fn chunk_encoded_on_threads_is_the_same_file() {
    let frames = music(441_000, 7);
    for depth in [BitDepth::Sixteen, BitDepth::TwentyFour] {
        for dither in [false, true] {
            let one = encode_flac(&frames, 44_100, depth, 882_000, dither).unwrap();
            let two = encode_flac_threads(&frames, 44_100, depth, 882_000, dither, 2).unwrap();
            assert!(one == two, "{depth:?} dither {dither}: the files differ");
        }
    }
    let short = music(4_000, 3);
    assert_eq!(
        encode_flac_threads(&short, 48_000, BitDepth::Sixteen, 0, true, 2).unwrap(),
        encode_flac(&short, 48_000, BitDepth::Sixteen, 0, true).unwrap()
    );
}
