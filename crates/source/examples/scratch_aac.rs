use auralis_source::Source;
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let pre: u64 = 0;
    let _ = pre;
    let path = std::path::PathBuf::from(&p);
    let mut s = Source::open(&path).unwrap();
    let all = s.read_all().unwrap();
    for a in [13_000_017u64, 26_000_003, 7_777_777] {
        let got = Source::open(&path).unwrap().read(a..a + 5000).unwrap();
        let mut best = (f32::MAX, 0i64);
        for lag in 0i64..1 {
            let mut d = 0f32;
            for (i, g) in got.iter().enumerate() {
                let j = a as i64 + i as i64 + lag;
                if j < 0 || j as usize >= all.len() {
                    d = f32::MAX;
                    break;
                }
                d = d.max((g[0] - all[j as usize][0]).abs());
            }
            if d < best.0 {
                best = (d, lag);
            }
        }
        let d0 = got
            .iter()
            .enumerate()
            .map(|(i, g)| (g[0] - all[a as usize + i][0]).abs())
            .fold(0f32, f32::max);
        let firstbad = got
            .iter()
            .enumerate()
            .position(|(i, g)| g != &all[a as usize + i]);
        let lastbad = got
            .iter()
            .enumerate()
            .rposition(|(i, g)| g != &all[a as usize + i]);
        println!(
            "a={a} maxdiff@0 {d0:e} best lag {} diff {:e} bad {:?}..{:?}",
            best.1, best.0, firstbad, lastbad
        );
    }
}
