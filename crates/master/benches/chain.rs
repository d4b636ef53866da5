//! Mastering chain throughput: 10 s of 44.1 kHz stereo (the fixture, looped).
//! `cargo bench -p auralis-master --bench chain`; prints × real time.
use auralis_analysis::analyze;
use auralis_master::{master_range, Plan, Preset};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn fixture() -> (Vec<[f32; 2]>, u32) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/drascula-track1-8s.wav"
    );
    let mut r = hound::WavReader::open(path).unwrap();
    let rate = r.spec().sample_rate;
    let s: Vec<f32> = r
        .samples::<i16>()
        .map(|x| x.unwrap() as f32 / 32768.0)
        .collect();
    let x: Vec<[f32; 2]> = s.chunks(2).map(|c| [c[0], c[1]]).collect();
    let n = rate as usize * 10;
    ((0..n).map(|i| x[i % x.len()]).collect(), rate)
}

fn bench(c: &mut Criterion) {
    let (x, rate) = fixture();
    let profile = analyze(&x, rate);
    let plan = Plan::new(&profile, Preset::Adaptive);
    let mut g = c.benchmark_group("chain");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.sample_size(10);
    g.bench_function("master_10s_44k1", |b| {
        b.iter(|| {
            let total = x.len() as u64;
            let out: Result<_, ()> = master_range(&plan, total, 0..total, |r| {
                Ok(x[r.start as usize..r.end as usize].to_vec())
            });
            out.unwrap()
        })
    });
    g.bench_function("plan_new", |b| {
        b.iter(|| Plan::new(&profile, Preset::Punchy))
    });
    g.finish();
    let t = std::time::Instant::now();
    let total = x.len() as u64;
    let _: Result<_, ()> = master_range(&plan, total, 0..total, |r| {
        Ok(x[r.start as usize..r.end as usize].to_vec())
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "chain: {:.0}x real time ({:.1} ms for 10 s)",
        10.0 / secs,
        secs * 1e3
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
