//! Write the three stream formats of an audio file, built the way the server builds them (the
//! file cut into 10 s FLAC chunk files, then concatenated or encoded), for manual checks with
//! other decoders (ffmpeg, flac, opusdec).
//!
//! `cargo run -p auralis-transcode --example stream_files -- IN OUT_DIR [START_SAMPLE
//! [OPUS_KBPS [MP3_KBPS]]]` writes OUT_DIR/stream.flac, stream.opus (default 128 kbps),
//! stream.mp3 (default 192 kbps) and OUT_DIR/chunks.raw (the chunks' samples from START_SAMPLE,
//! s16le or s32le by depth).

use std::path::PathBuf;

use auralis_encode::{bit_depth_for, encode_flac, BitDepth};
use auralis_source::Source;
use auralis_transcode::{decode_chunk, ChunkTranscoder, StreamFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, dir) = match (args.first(), args.get(1)) {
        (Some(i), Some(d)) => (PathBuf::from(i), PathBuf::from(d)),
        _ => return Err("usage: stream_files IN OUT_DIR [START_SAMPLE]".into()),
    };
    let start: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(0);
    let opus_kbps: u32 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(128);
    let mp3_kbps: u32 = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(192);
    std::fs::create_dir_all(&dir)?;
    let mut src = Source::open(&input)?;
    let info = src.info().clone();
    let depth = bit_depth_for(info.bits_per_sample);
    let frames = src.read_all()?;
    let chunk_len = info.rate as usize * 10;
    let chunks: Vec<Vec<u8>> = frames
        .chunks(chunk_len)
        .enumerate()
        .map(|(i, c)| encode_flac(c, info.rate, depth, (i * chunk_len) as u64, false))
        .collect::<Result<_, _>>()?;
    let first = (start as usize) / chunk_len;
    let skip = start % chunk_len as u64;
    let total = frames.len() as u64 - start;

    let mut raw = Vec::new();
    for (i, c) in chunks[first..].iter().enumerate() {
        let d = decode_chunk(c)?;
        let from = if i == 0 { skip as usize } else { 0 };
        for f in &d.frames[from..] {
            for x in f {
                match depth {
                    BitDepth::Sixteen => {
                        raw.extend_from_slice(&((x * 32768.0) as i16).to_le_bytes())
                    }
                    BitDepth::TwentyFour => {
                        raw.extend_from_slice(&(((x * 8_388_608.0) as i32) << 8).to_le_bytes())
                    }
                }
            }
        }
    }
    std::fs::write(dir.join("chunks.raw"), raw)?;

    for (format, name) in [
        (StreamFormat::Flac, "stream.flac"),
        (StreamFormat::Opus { kbps: opus_kbps }, "stream.opus"),
        (StreamFormat::Mp3 { kbps: mp3_kbps }, "stream.mp3"),
    ] {
        let mut t = ChunkTranscoder::new(format, info.rate, depth, total, skip)?;
        let mut out = Vec::new();
        for c in &chunks[first..] {
            t.push_chunk(c, &mut out)?;
        }
        t.finish(&mut out)?;
        std::fs::write(dir.join(name), &out)?;
        println!(
            "{name}: {} bytes, {} samples decoded at {} Hz",
            out.len(),
            t.decoded_len(),
            t.output_rate()
        );
    }
    println!(
        "chunks.raw: {total} samples, {} bits, {} Hz",
        depth.bits(),
        info.rate
    );
    Ok(())
}
