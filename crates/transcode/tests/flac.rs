//! Continuous FLAC from chunk files: decoded back through `auralis_source::Source` (symphonia),
//! it must be exactly the concatenation of the chunks' samples, from any start sample.

mod common;

use auralis_encode::BitDepth;
use auralis_transcode::{
    chunk_info, decode_chunk, flac_header, FlacConcat, TranscodeError, FLAC_HEADER_LEN,
};
use common::*;

/// Build the continuous stream of `chunks` from sample `offset`, pushing chunk by chunk.
fn concat(
    chunks: &[Vec<u8>],
    rate: u32,
    depth: BitDepth,
    chunk_len: usize,
    offset: usize,
) -> Vec<u8> {
    let total: usize = chunks
        .iter()
        .map(|c| chunk_info(c).unwrap().samples as usize)
        .sum();
    let first = offset / chunk_len;
    let mut f = FlacConcat::new(
        rate,
        depth,
        (total - offset) as u64,
        (offset % chunk_len) as u64,
    )
    .unwrap();
    let mut out = Vec::new();
    f.begin(&mut out).unwrap();
    assert_eq!(out.len(), FLAC_HEADER_LEN);
    for c in &chunks[first..] {
        f.push_chunk(c, &mut out).unwrap();
    }
    f.finish(&mut out).unwrap();
    out
}

struct Case {
    name: &'static str,
    file: &'static str,
    depth: BitDepth,
    chunk_len: usize,
}

const CASES: [Case; 4] = [
    Case {
        name: "44.1 kHz 16-bit",
        file: "drascula-track2-20s.flac",
        depth: BitDepth::Sixteen,
        chunk_len: 132_300, // 3 s: 20 s = 6 chunks + a 2 s one
    },
    Case {
        name: "44.1 kHz 24-bit",
        file: "drascula-track11-20s.flac",
        depth: BitDepth::TwentyFour,
        chunk_len: 400_000, // 9.07 s: 2 chunks + a shorter one
    },
    Case {
        name: "48 kHz 16-bit",
        file: "drascula-track1-8s-96k-24bit.flac",
        depth: BitDepth::Sixteen,
        chunk_len: 96_000, // 2 s: 3 chunks + a shorter one
    },
    Case {
        name: "48 kHz 24-bit",
        file: "drascula-track1-8s-96k-24bit.flac",
        depth: BitDepth::TwentyFour,
        chunk_len: 100_001, // odd length: every chunk ends on an odd frame
    },
];

#[test]
fn the_stream_is_bit_exact_to_the_chunks() {
    for case in &CASES {
        let (frames, rate) = load(case.file);
        let chunks = chunks(&frames, rate, case.depth, case.chunk_len);
        let last = chunk_info(chunks.last().unwrap()).unwrap().samples as usize;
        assert!(
            last < case.chunk_len,
            "{}: the last chunk is shorter",
            case.name
        );
        let truth = chunk_truth(&chunks);
        assert_eq!(truth.len(), frames.len());

        let stream = concat(&chunks, rate, case.depth, case.chunk_len, 0);
        let (decoded, info) = decode(&stream, "flac");
        assert_eq!(info.rate, rate);
        assert_eq!(info.bits_per_sample, Some(case.depth.bits()));
        assert_eq!(info.frames, frames.len() as u64, "{}", case.name);
        assert_eq!(first_difference(&truth, &decoded), None, "{}", case.name);
        // Every frame but the last is at least 16 samples (FLAC's minimum block).
        let durs = flac_packet_durations(&stream);
        assert_eq!(durs.iter().sum::<u64>(), frames.len() as u64);
        assert!(
            durs[..durs.len() - 1].iter().all(|&d| d >= 16),
            "{}",
            case.name
        );
        // The header is the advertised one.
        let header = flac_header(rate, case.depth, frames.len() as u64).unwrap();
        assert_eq!(&stream[..FLAC_HEADER_LEN], &header[..]);
    }
}

#[test]
fn a_16_bit_source_comes_back_unchanged() {
    let (frames, rate) = load("drascula-track2-20s.flac");
    let chunks = chunks(&frames, rate, BitDepth::Sixteen, 441_000);
    let stream = concat(&chunks, rate, BitDepth::Sixteen, 441_000, 0);
    let (decoded, _) = decode(&stream, "flac");
    assert_eq!(first_difference(&frames, &decoded), None);
}

#[test]
fn any_start_sample_is_exact() {
    let case = &CASES[0];
    let (frames, rate) = load(case.file);
    let chunks = chunks(&frames, rate, case.depth, case.chunk_len);
    let truth = chunk_truth(&chunks);
    let n = truth.len();
    let c = case.chunk_len;
    let offsets = [
        1,
        4095,
        4096,
        4096 * 3 - 5, // the cut frame keeps 5 samples: merged with the next frame
        5000,
        c - 3,        // 3 samples left in the first chunk: carried into the next chunk
        c - 2728 + 7, // inside the chunk's short last frame
        c,            // exactly on a chunk boundary
        c + 17,
        3 * c + 123_456,
        n - 4000, // inside the last chunk
        n - 5,    // a 5-sample stream: its only frame is also its last
        n,        // an empty stream
    ];
    for &offset in &offsets {
        let stream = concat(&chunks, rate, case.depth, c, offset);
        if offset == n {
            // No frames: STREAMINFO says 0 samples.
            assert_eq!(stream.len(), FLAC_HEADER_LEN);
            continue;
        }
        let (decoded, info) = decode(&stream, "flac");
        assert_eq!(info.frames, (n - offset) as u64, "offset {offset}");
        assert_eq!(
            first_difference(&truth[offset..], &decoded),
            None,
            "offset {offset}"
        );
        let durs = flac_packet_durations(&stream);
        assert!(
            durs[..durs.len() - 1].iter().all(|&d| d >= 16),
            "offset {offset}: {:?}",
            &durs[..3.min(durs.len())]
        );
    }
}

#[test]
fn chunks_ending_on_tiny_frames_are_joined_legally() {
    // 4096·10 + 5: every chunk ends on a 5-sample frame, which must not sit mid-stream.
    let (frames, rate) = load("drascula-track1-8s.flac");
    let len = 4096 * 10 + 5;
    let chunks = chunks(&frames, rate, BitDepth::Sixteen, len);
    let truth = chunk_truth(&chunks);
    for offset in [0, 3, len - 2] {
        let stream = concat(&chunks, rate, BitDepth::Sixteen, len, offset);
        let (decoded, _) = decode(&stream, "flac");
        assert_eq!(
            first_difference(&truth[offset..], &decoded),
            None,
            "offset {offset}"
        );
        let durs = flac_packet_durations(&stream);
        assert!(
            durs[..durs.len() - 1].iter().all(|&d| d >= 16),
            "offset {offset}"
        );
    }
}

#[test]
fn only_one_frame_is_reencoded_for_an_offset() {
    let (frames, rate) = load("drascula-track2-20s.flac");
    let chunks = chunks(&frames, rate, BitDepth::Sixteen, 441_000);
    let mut f = FlacConcat::new(
        rate,
        BitDepth::Sixteen,
        (frames.len() - 10_000) as u64,
        10_000,
    )
    .unwrap();
    let mut out = Vec::new();
    for c in &chunks {
        f.push_chunk(c, &mut out).unwrap();
    }
    f.finish(&mut out).unwrap();
    let (passed, reencoded) = f.frame_counts();
    assert_eq!(reencoded, 1);
    // 108 frames per 10 s chunk; frames 0 and 1 dropped, frame 2 cut and re-encoded.
    assert_eq!(passed as usize, 2 * 441_000usize.div_ceil(4096) - 3);
}

#[test]
fn decode_chunk_matches_the_file_decoder() {
    let (frames, rate) = load("drascula-track1-8s.flac");
    let chunks = chunks(&frames, rate, BitDepth::TwentyFour, 100_000);
    let d = decode_chunk(&chunks[1]).unwrap();
    assert_eq!(d.info.rate, rate);
    assert_eq!(d.info.bits, 24);
    assert_eq!(first_difference(&frames[100_000..200_000], &d.frames), None);
}

#[test]
fn bad_chunks_are_errors_not_panics() {
    let (frames, rate) = load("drascula-track1-8s.flac");
    let good = chunks(&frames, rate, BitDepth::Sixteen, 100_000);
    let total = frames.len() as u64;
    let push = |bytes: &[u8]| {
        let mut f = FlacConcat::new(rate, BitDepth::Sixteen, total, 0).unwrap();
        f.push_chunk(bytes, &mut Vec::new())
    };
    assert!(push(&good[0]).is_ok());
    // Garbage, empty, a header only.
    assert!(matches!(
        push(b""),
        Err(TranscodeError::InvalidChunk { .. })
    ));
    assert!(matches!(
        push(&[0x5a; 5000]),
        Err(TranscodeError::InvalidChunk { .. })
    ));
    assert!(matches!(
        push(&good[0][..42]),
        Err(TranscodeError::InvalidChunk { .. })
    ));
    // Truncated anywhere.
    for cut in [43, 100, 1000, good[0].len() / 2, good[0].len() - 1] {
        assert!(
            matches!(
                push(&good[0][..cut]),
                Err(TranscodeError::InvalidChunk { .. })
            ),
            "cut at {cut}"
        );
    }
    // One flipped bit anywhere in the audio.
    for pos in [60, 500, good[0].len() / 3, good[0].len() - 3] {
        let mut bad = good[0].clone();
        bad[pos] ^= 0x10;
        assert!(push(&bad).is_err(), "flip at {pos}");
        assert!(decode_chunk(&bad).is_err(), "flip at {pos}");
    }
    // Pseudo-random garbage after a valid header never panics.
    let mut x = 12345u64;
    for _ in 0..200 {
        let mut bad = good[0][..42].to_vec();
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            bad.push((x >> 56) as u8);
        }
        assert!(push(&bad).is_err());
    }

    // Valid chunks that do not fit the stream.
    let mut f = FlacConcat::new(48_000, BitDepth::Sixteen, total, 0).unwrap();
    assert!(matches!(
        f.push_chunk(&good[0], &mut Vec::new()),
        Err(TranscodeError::Mismatch { .. })
    ));
    let mut f = FlacConcat::new(rate, BitDepth::TwentyFour, total, 0).unwrap();
    assert!(matches!(
        f.push_chunk(&good[0], &mut Vec::new()),
        Err(TranscodeError::Mismatch { .. })
    ));
    // More samples than announced; fewer than announced; an offset past the first chunk.
    let mut f = FlacConcat::new(rate, BitDepth::Sixteen, 1000, 0).unwrap();
    assert!(matches!(
        f.push_chunk(&good[0], &mut Vec::new()),
        Err(TranscodeError::Mismatch { .. })
    ));
    let mut f = FlacConcat::new(rate, BitDepth::Sixteen, total, 0).unwrap();
    f.push_chunk(&good[0], &mut Vec::new()).unwrap();
    assert!(matches!(
        f.finish(&mut Vec::new()),
        Err(TranscodeError::Length { .. })
    ));
    assert!(matches!(
        f.push_chunk(&good[1], &mut Vec::new()),
        Err(TranscodeError::Finished)
    ));
    let mut f = FlacConcat::new(rate, BitDepth::Sixteen, total, 200_000).unwrap();
    assert!(matches!(
        f.push_chunk(&good[0], &mut Vec::new()),
        Err(TranscodeError::Mismatch { .. })
    ));
    // Impossible streams.
    assert!(FlacConcat::new(0, BitDepth::Sixteen, 1, 0).is_err());
    assert!(FlacConcat::new(44_100, BitDepth::Sixteen, 1 << 36, 0).is_err());
}
