//! Shared helpers: real fixtures cut into FLAC chunk files as the cache stores them, and every
//! output decoded back through `auralis_source::Source` (symphonia, the libopus adapter) from a
//! temporary file.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

use auralis_encode::{encode_flac, BitDepth};
use auralis_source::Source;
use auralis_transcode::Frame;

mod compare;
pub use compare::*;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures")).join(name)
}

/// A fixture's frames at its output rate (44.1 kHz kept, 96 kHz resampled to 48 kHz).
pub fn load(name: &str) -> (Vec<Frame>, u32) {
    let mut s = Source::open(&fixture(name)).unwrap_or_else(|e| panic!("open {name}: {e}"));
    let rate = s.info().rate;
    (s.read_all().unwrap(), rate)
}

/// The track as the cache stores it: standalone FLAC files of `chunk_len` frames (the last
/// shorter), no dither.
pub fn chunks(frames: &[Frame], rate: u32, depth: BitDepth, chunk_len: usize) -> Vec<Vec<u8>> {
    frames
        .chunks(chunk_len)
        .enumerate()
        .map(|(i, c)| encode_flac(c, rate, depth, (i * chunk_len) as u64, false).unwrap())
        .collect()
}

/// Decode `bytes` (a file with this extension) through `auralis_source::Source`.
pub fn decode(bytes: &[u8], ext: &str) -> (Vec<Frame>, auralis_source::SourceInfo) {
    let mut f = tempfile::Builder::new()
        .suffix(&format!(".{ext}"))
        .tempfile()
        .unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    let mut s = Source::open(f.path()).unwrap_or_else(|e| panic!("decode .{ext}: {e}"));
    let info = s.info().clone();
    let frames = s.read_all().unwrap();
    assert_eq!(frames.len() as u64, info.frames, "Source's length claim");
    (frames, info)
}

/// The concatenation of the chunks' own decodes: the ground truth of a continuous stream.
pub fn chunk_truth(chunks: &[Vec<u8>]) -> Vec<Frame> {
    chunks.iter().flat_map(|c| decode(c, "flac").0).collect()
}

/// Index of the first differing frame, if any (with the lengths) — readable failures.
pub fn first_difference(a: &[Frame], b: &[Frame]) -> Option<(usize, usize, usize)> {
    if bits(a) == bits(b) {
        return None;
    }
    let i = a
        .iter()
        .zip(b)
        .position(|(x, y)| x[0].to_bits() != y[0].to_bits() || x[1].to_bits() != y[1].to_bits())
        .unwrap_or(a.len().min(b.len()));
    Some((i, a.len(), b.len()))
}

pub fn lufs(frames: &[Frame], rate: u32) -> f64 {
    auralis_analysis::analyze(frames, rate).integrated_lufs
}

/// Durations of the packets (FLAC frames) of a FLAC stream, read by symphonia's demuxer.
pub fn flac_packet_durations(bytes: &[u8]) -> Vec<u64> {
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    let mss = MediaSourceStream::new(
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        Default::default(),
    );
    let mut hint = Hint::new();
    hint.with_extension("flac");
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .unwrap();
    let mut out = Vec::new();
    while let Some(p) = format.next_packet().unwrap() {
        out.push(p.dur.get());
    }
    out
}
