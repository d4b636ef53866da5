//! Speed of the Subsonic stream encoders, on one core, from cached 10 s FLAC chunk files of the
//! 20 s fixture (44.1 kHz, 16 bit; and 24 bit for FLAC):
//!
//! - FLAC: the continuous stream from the chunks (frames passed through), from the start and
//!   from a start offset (one frame re-encoded), against what it replaces: decoding every chunk
//!   and encoding it again with `auralis_encode`;
//! - decoding a chunk (what the lossy formats pay per chunk before encoding);
//! - Opus (128 kbps, 44.1 kHz input: resampling included; and the same frames taken as 48 kHz
//!   input, to show what resampling costs) and MP3 (128, 192, 320 kbps).
//!
//! Throughput is in elements = sample frames per second: divide by 44,100 for × real time.
//! `cargo bench -p auralis-transcode --bench encoders`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use auralis_encode::{encode_flac, BitDepth};
use auralis_source::Source;
use auralis_transcode::{decode_chunk, FlacConcat, FrameEncoder, Mp3Encoder, OpusEncoder};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn track() -> (Vec<[f32; 2]>, u32) {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"))
        .join("drascula-track2-20s.flac");
    let mut s = Source::open(&path).expect("fixture");
    let rate = s.info().rate;
    (s.read_all().expect("decode"), rate)
}

fn chunks(frames: &[[f32; 2]], rate: u32, depth: BitDepth) -> Vec<Vec<u8>> {
    let len = rate as usize * 10;
    frames
        .chunks(len)
        .enumerate()
        .map(|(i, c)| encode_flac(c, rate, depth, (i * len) as u64, false).expect("encode"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let (frames, rate) = track();
    let n = frames.len() as u64;
    let mut g = c.benchmark_group("stream");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(n));

    for depth in [BitDepth::Sixteen, BitDepth::TwentyFour] {
        let chunks = chunks(&frames, rate, depth);
        let bits = depth.bits();
        g.bench_function(format!("flac concat {bits}-bit"), |b| {
            b.iter(|| {
                let mut f = FlacConcat::new(rate, depth, n, 0).expect("new");
                let mut out = Vec::with_capacity(4 << 20);
                for c in &chunks {
                    f.push_chunk(c, &mut out).expect("push");
                }
                f.finish(&mut out).expect("finish");
                black_box(out.len())
            })
        });
        g.bench_function(
            format!("flac decode + re-encode {bits}-bit (the alternative)"),
            |b| {
                b.iter(|| {
                    let mut out = 0;
                    for (i, c) in chunks.iter().enumerate() {
                        let d = decode_chunk(c).expect("decode");
                        let first = (i * rate as usize * 10) as u64;
                        out += encode_flac(&d.frames, rate, depth, first, false)
                            .expect("encode")
                            .len();
                    }
                    black_box(out)
                })
            },
        );
    }

    let chunks16 = chunks(&frames, rate, BitDepth::Sixteen);
    let skip = 123_457u64;
    g.bench_function(
        "flac concat from a start offset (1 frame re-encoded)",
        |b| {
            b.iter(|| {
                let mut f = FlacConcat::new(rate, BitDepth::Sixteen, n - skip, skip).expect("new");
                let mut out = Vec::with_capacity(4 << 20);
                for c in &chunks16 {
                    f.push_chunk(c, &mut out).expect("push");
                }
                f.finish(&mut out).expect("finish");
                black_box(out.len())
            })
        },
    );
    g.bench_function("decode chunks (lossy input)", |b| {
        b.iter(|| {
            let mut total = 0;
            for c in &chunks16 {
                total += decode_chunk(c).expect("decode").frames.len();
            }
            black_box(total)
        })
    });

    let step = rate as usize * 10;
    g.bench_function("opus 128 kbps (44.1 kHz in: resampled)", |b| {
        b.iter(|| {
            let mut e = OpusEncoder::new(rate, 128).expect("new");
            let mut out = Vec::with_capacity(1 << 20);
            for c in frames.chunks(step) {
                e.push(c, &mut out).expect("push");
            }
            e.finish(&mut out).expect("finish");
            black_box(out.len())
        })
    });
    g.bench_function(
        "opus 128 kbps (the same frames as 48 kHz input: no resampling)",
        |b| {
            b.iter(|| {
                let mut e = OpusEncoder::new(48_000, 128).expect("new");
                let mut out = Vec::with_capacity(1 << 20);
                for c in frames.chunks(step) {
                    e.push(c, &mut out).expect("push");
                }
                e.finish(&mut out).expect("finish");
                black_box(out.len())
            })
        },
    );
    for kbps in [128, 192, 320] {
        g.bench_function(format!("mp3 {kbps} kbps"), |b| {
            b.iter(|| {
                let mut e = Mp3Encoder::new(rate, kbps, n).expect("new");
                let mut out = Vec::with_capacity(1 << 20);
                for c in frames.chunks(step) {
                    e.push(c, &mut out).expect("push");
                }
                e.finish(&mut out).expect("finish");
                black_box(out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
