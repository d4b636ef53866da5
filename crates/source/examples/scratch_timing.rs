use auralis_source::Source;
use std::time::Instant;
fn main() {
    for p in std::env::args().skip(1) {
        let path = std::path::PathBuf::from(&p);
        let t = Instant::now();
        let mut s = Source::open(&path).unwrap();
        let open = t.elapsed();
        let info = s.info().clone();
        let chunk = 10 * info.rate as u64;
        let mut k = 1u64;
        let mut seek = std::time::Duration::ZERO;
        let n = 8;
        for _ in 0..n {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = (k >> 11) % info.frames.saturating_sub(chunk).max(1);
            let t = Instant::now();
            s.read(a..a + chunk).unwrap();
            seek += t.elapsed();
        }
        let t = Instant::now();
        let all = if std::env::var("NOALL").is_ok() {
            0
        } else {
            s.read_all().unwrap().len()
        };
        let ra = t.elapsed();
        println!(
            "{p}: frames {} open {:.1} ms, seek+read10s {:.1} ms, read_all {:.0} ms ({all})",
            info.frames,
            open.as_secs_f64() * 1e3,
            seek.as_secs_f64() * 1e3 / n as f64,
            ra.as_secs_f64() * 1e3
        );
    }
}
