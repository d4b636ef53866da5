//! Decode speed per format, open time and seek + 10 s read latency.
//!
//! `cargo bench -p auralis-source --bench decode`
//! Extra files (e.g. a 10-minute FLAC) can be added with `AURALIS_BENCH_FILES=a.flac:b.mp3`.
use std::path::PathBuf;
use std::time::Duration;

use auralis_source::Source;
use criterion::{criterion_group, criterion_main, Criterion};

fn files() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"));
    let mut v: Vec<PathBuf> = [
        "drascula-track1-8s.wav",
        "drascula-track1-8s.flac",
        "drascula-track1-8s.aiff",
        "drascula-track1-8s.alac.m4a",
        "drascula-track1-8s.mp3",
        "drascula-track1-8s.m4a",
        "drascula-track1-8s.ogg",
        "drascula-track1-8s.opus",
        "drascula-track1-8s-96k-24bit.flac",
        "drascula-track2-20s.flac",
    ]
    .iter()
    .map(|n| dir.join(n))
    .collect();
    if let Ok(extra) = std::env::var("AURALIS_BENCH_FILES") {
        v.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    v
}

fn bench(c: &mut Criterion) {
    for path in files() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(src) = Source::open(&path) else {
            eprintln!("skipping {name}: cannot open");
            continue;
        };
        let info = src.info().clone();
        let secs = info.frames as f64 / info.rate as f64;
        let mut g = c.benchmark_group(name.clone());
        g.sample_size(10)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_millis(500));
        g.bench_function("open", |b| {
            b.iter(|| Source::open(&path).unwrap().info().frames)
        });
        g.bench_function(format!("read_all ({secs:.1} s of audio)"), |b| {
            b.iter(|| Source::open(&path).unwrap().read_all().unwrap().len())
        });
        let chunk = 10 * info.rate as u64;
        let mut s = Source::open(&path).unwrap();
        let mut k = 0u64;
        g.bench_function("seek + read 10 s", |b| {
            b.iter(|| {
                // Alternate far positions so every read seeks.
                k = k
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let a = (k >> 11) % info.frames.saturating_sub(chunk).max(1);
                s.read(a..a + chunk).unwrap().len()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
