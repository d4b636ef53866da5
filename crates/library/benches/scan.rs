//! Scan throughput on a generated library of 2,000 tagged FLAC files (warm disk cache):
//! `cargo bench -p auralis-library --bench scan`. Set AURALIS_BENCH_FILES to change the size.

use std::time::{Duration, Instant};

use auralis_library::bench::generate_library;
use auralis_library::{Library, ScanProgress};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn files() -> usize {
    std::env::var("AURALIS_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn scan_benches(c: &mut Criterion) {
    let n = files();
    let dir = tempfile::tempdir().expect("temp dir");
    let music = dir.path().join("music");
    generate_library(&music, n).expect("generate library");

    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(n as u64));

    // First scan: a fresh database every iteration; only the scan is timed.
    let mut round = 0u64;
    group.bench_function(format!("first_scan_{n}_files"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                let lib =
                    Library::open(dir.path().join(format!("first-{round}.db"))).expect("open");
                let started = Instant::now();
                let report = lib.scan(&music, &ScanProgress::default()).expect("scan");
                total += started.elapsed();
                assert_eq!(report.added as usize, n);
            }
            total
        })
    });

    // Rescan with nothing changed.
    let lib = Library::open(dir.path().join("rescan.db")).expect("open");
    lib.scan(&music, &ScanProgress::default()).expect("scan");
    group.bench_function(format!("rescan_unchanged_{n}_files"), |b| {
        b.iter(|| {
            let report = lib.scan(&music, &ScanProgress::default()).expect("scan");
            assert_eq!(report.unchanged as usize, n);
        })
    });
    group.finish();
}

criterion_group!(benches, scan_benches);
criterion_main!(benches);
