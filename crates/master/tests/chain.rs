//! Invariants of the chain on real fixtures and synthetic signals.
use auralis_analysis::{analyze, Profile};
use auralis_master::{master_all, master_range, mix, Plan, Preset, DSP_VERSION};
use ebur128::{EbuR128, Mode};

fn fixture_path(name: &str) -> String {
    format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read_wav(name: &str) -> (Vec<[f32; 2]>, u32) {
    let mut r = hound::WavReader::open(fixture_path(name)).unwrap();
    let rate = r.spec().sample_rate;
    let s: Vec<f32> = r
        .samples::<i16>()
        .map(|x| x.unwrap() as f32 / 32768.0)
        .collect();
    (s.chunks(2).map(|c| [c[0], c[1]]).collect(), rate)
}

fn read_flac(name: &str) -> (Vec<[f32; 2]>, u32) {
    let mut r = claxon::FlacReader::open(fixture_path(name)).unwrap();
    let info = r.streaminfo();
    let scale = 1.0 / (1u32 << (info.bits_per_sample - 1)) as f32;
    let s: Vec<f32> = r.samples().map(|x| x.unwrap() as f32 * scale).collect();
    (
        s.chunks(2).map(|c| [c[0], c[1]]).collect(),
        info.sample_rate,
    )
}

fn fixtures() -> Vec<(&'static str, Vec<[f32; 2]>, u32)> {
    let (a, ra) = read_wav("drascula-track1-8s.wav");
    let (b, rb) = read_flac("drascula-track2-20s.flac");
    let (c, rc) = read_flac("drascula-track11-20s.flac");
    vec![
        ("track1-8s", a, ra),
        ("track2-20s", b, rb),
        ("track11-20s", c, rc),
    ]
}

/// Integrated loudness and true peak (dBTP) measured with ebur128 on the f32 output.
fn measure(x: &[[f32; 2]], rate: u32) -> (f64, f64) {
    let mut m = EbuR128::new(2, rate, Mode::I | Mode::TRUE_PEAK).unwrap();
    let flat: Vec<f32> = x.iter().flat_map(|f| *f).collect();
    m.add_frames_f32(&flat).unwrap();
    let tp = (0..2).map(|c| m.true_peak(c).unwrap()).fold(0.0, f64::max);
    (m.loudness_global().unwrap(), 20.0 * tp.max(1e-12).log10())
}

fn check_output(x: &[[f32; 2]], y: &[[f32; 2]]) {
    assert_eq!(x.len(), y.len());
    assert!(y.iter().flatten().all(|s| s.is_finite() && s.abs() < 1.0));
}

fn whole(plan: &Plan, x: &[[f32; 2]]) -> Vec<[f32; 2]> {
    master_all(plan, x)
}

fn chunked(plan: &Plan, x: &[[f32; 2]], chunk: usize) -> Vec<[f32; 2]> {
    let total = x.len() as u64;
    let mut out = Vec::with_capacity(x.len());
    let mut a = 0;
    while a < x.len() {
        let b = (a + chunk).min(x.len());
        let r: Result<_, ()> = master_range(plan, total, a as u64..b as u64, |r| {
            assert!(r.end <= total);
            Ok(x[r.start as usize..r.end as usize].to_vec())
        });
        let part = r.unwrap();
        assert_eq!(part.len(), b - a);
        out.extend(part);
        a = b;
    }
    out
}

fn max_diff_db(a: &[[f32; 2]], b: &[[f32; 2]]) -> f64 {
    let d = a
        .iter()
        .zip(b)
        .flat_map(|(p, q)| [(p[0] - q[0]).abs(), (p[1] - q[1]).abs()])
        .fold(0.0f32, f32::max);
    20.0 * (d as f64).max(1e-12).log10()
}

#[test]
fn quality_on_fixtures_all_presets() {
    let mut report = String::new();
    for (name, x, rate) in fixtures() {
        let profile = analyze(&x, rate);
        for preset in Preset::ALL {
            let plan = Plan::new(&profile, preset);
            let y = whole(&plan, &x);
            check_output(&x, &y);
            let (lufs, tp) = measure(&y, rate);
            report += &format!(
                "{name:12} {preset:8} in {:6.2} LUFS {:6.2} dBTP -> out {lufs:6.2} LUFS {tp:6.2} dBTP (predicted {:6.2}, gain {:5.2} dB)\n",
                profile.integrated_lufs, profile.true_peak_dbtp, plan.predicted_lufs(), plan.gain_db()
            );
            assert!((lufs - plan.target_lufs()).abs() <= 0.5, "{report}");
            assert!(tp <= -1.0, "{report}");
        }
    }
    eprintln!("{report}");
}

#[test]
fn chunked_equals_whole_on_fixtures() {
    for (name, x, rate) in fixtures() {
        let profile = analyze(&x, rate);
        for (preset, chunk_s) in [
            (Preset::Adaptive, 1.0),
            (Preset::Punchy, 2.5),
            (Preset::Gentle, 10.0),
        ] {
            let plan = Plan::new(&profile, preset);
            let w = whole(&plan, &x);
            let c = chunked(&plan, &x, (chunk_s * rate as f64) as usize);
            let d = max_diff_db(&w, &c);
            assert!(d < -90.0, "{name} {preset} {chunk_s}s: {d} dB");
        }
    }
}

/// Synthetic transients exactly at chunk joins.
#[test]
fn chunked_equals_whole_with_transients_at_joins() {
    let rate = 44100;
    let chunk = rate as usize; // 1 s chunks
    let n = rate as usize * 8;
    let mut x = vec![[0.0f32; 2]; n];
    let mut s = 7u64;
    for (i, f) in x.iter_mut().enumerate() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let noise = ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32 * 0.05;
        *f = [noise, -noise];
        let t = i % chunk;
        // A click on the last sample before the join and the first after.
        if t == 0 || t == chunk - 1 {
            *f = [0.99, -0.99];
        }
    }
    // A burst straddling the join at 3 s and a full-scale square wave from 5 s to 6.5 s.
    for f in &mut x[3 * chunk - 2000..3 * chunk + 2000] {
        f[0] = (f[0] * 18.0).clamp(-1.0, 1.0);
    }
    for (i, f) in x[5 * chunk..5 * chunk + chunk * 3 / 2]
        .iter_mut()
        .enumerate()
    {
        let v = if (i / 50) % 2 == 0 { 1.0 } else { -1.0 };
        *f = [v, v];
    }
    let profile = analyze(&x, rate);
    for preset in Preset::ALL {
        let plan = Plan::new(&profile, preset);
        let w = whole(&plan, &x);
        check_output(&x, &w);
        for len in [chunk, chunk / 2 + 17, 3 * chunk] {
            let d = max_diff_db(&w, &chunked(&plan, &x, len));
            assert!(d < -90.0, "{preset} chunk {len}: {d} dB");
        }
    }
}

#[test]
fn deterministic_and_aligned() {
    let (x, rate) = read_wav("drascula-track1-8s.wav");
    let profile = analyze(&x, rate);
    let plan = Plan::new(&profile, Preset::Adaptive);
    let a = whole(&plan, &x);
    let b = whole(&plan, &x);
    assert!(a
        .iter()
        .zip(&b)
        .all(|(p, q)| p[0].to_bits() == q[0].to_bits() && p[1].to_bits() == q[1].to_bits()));
    // Alignment: a gentle preset on a quiet click train keeps clicks in place.
    let mut c = vec![[0.0f32; 2]; rate as usize * 2];
    for i in (1000..c.len()).step_by(10000) {
        c[i] = [0.1, 0.1];
    }
    let pc = analyze(&c, rate);
    let y = whole(&Plan::new(&pc, Preset::Gentle), &c);
    let argmax = |v: &[[f32; 2]], from: usize| {
        (from..from + 2000)
            .max_by(|&i, &j| v[i][0].abs().total_cmp(&v[j][0].abs()))
            .unwrap()
    };
    for i in (1000..c.len() - 3000).step_by(10000) {
        let k = argmax(&y, i - 500);
        assert!(
            (k as i64 - i as i64).abs() <= 1,
            "click at {i} moved to {k}"
        );
    }
}

fn sine(rate: u32, secs: f64, freq: f64, dbfs: f64) -> Vec<[f32; 2]> {
    let a = 10f64.powf(dbfs / 20.0);
    (0..(rate as f64 * secs) as usize)
        .map(|i| {
            let s = (a * (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin()) as f32;
            [s, s]
        })
        .collect()
}

fn pink_noise(rate: u32, secs: f64) -> Vec<[f32; 2]> {
    // Paul Kellet's filter on seeded white noise.
    let mut s = 12345u64;
    let mut b = [0.0f64; 7];
    (0..(rate as f64 * secs) as usize)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let w = (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            b[0] = 0.99886 * b[0] + w * 0.0555179;
            b[1] = 0.99332 * b[1] + w * 0.0750759;
            b[2] = 0.96900 * b[2] + w * 0.1538520;
            b[3] = 0.86650 * b[3] + w * 0.3104856;
            b[4] = 0.55000 * b[4] + w * 0.5329522;
            b[5] = -0.7616 * b[5] - w * 0.0168980;
            let p = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
            b[6] = w * 0.115926;
            let v = (p * 0.05) as f32;
            [v, v]
        })
        .collect()
}

#[test]
fn synthetic_signals() {
    let rate = 48000;
    let square: Vec<[f32; 2]> = (0..rate as usize * 5)
        .map(|i| {
            if (i / 110) % 2 == 0 {
                [1.0, 1.0]
            } else {
                [-1.0, -1.0]
            }
        })
        .collect();
    for (name, x) in [
        ("pink", pink_noise(rate, 8.0)),
        ("square 0 dBFS", square),
        ("sine -20", sine(rate, 5.0, 440.0, -20.0)),
    ] {
        let profile = analyze(&x, rate);
        for preset in Preset::ALL {
            let plan = Plan::new(&profile, preset);
            let y = whole(&plan, &x);
            check_output(&x, &y);
            let (lufs, tp) = measure(&y, rate);
            assert!(
                (lufs - plan.target_lufs()).abs() <= 0.5,
                "{name} {preset}: {lufs} (pred {})",
                plan.predicted_lufs()
            );
            assert!(tp <= -1.0, "{name} {preset}: {tp} dBTP");
        }
    }
}

#[test]
fn quiet_sine_gets_capped_gain() {
    let rate = 44100;
    let x = sine(rate, 5.0, 1000.0, -40.0);
    let profile = analyze(&x, rate);
    let plan = Plan::new(&profile, Preset::Adaptive);
    assert_eq!(plan.gain_db(), auralis_master::MAX_GAIN_DB);
    assert!(!plan.target_reachable());
    let y = whole(&plan, &x);
    check_output(&x, &y);
    let (lufs, _) = measure(&y, rate);
    // Raised by the cap (plus the small EQ/compressor change), below the target.
    assert!(
        (lufs - (profile.integrated_lufs + 24.0)).abs() < 1.0,
        "{lufs}"
    );
    assert!(lufs < plan.target_lufs());
}

#[test]
fn silence_stays_silence() {
    let x = vec![[0.0f32; 2]; 44100 * 2];
    let profile = analyze(&x, 44100);
    for preset in Preset::ALL {
        let plan = Plan::new(&profile, preset);
        assert_eq!(plan.gain_db(), 0.0);
        let y = whole(&plan, &x);
        assert!(y.iter().flatten().all(|&s| s == 0.0));
    }
}

#[test]
fn mix_is_dry_wet() {
    let (x, rate) = read_wav("drascula-track1-8s.wav");
    let plan = Plan::new(&analyze(&x, rate), Preset::Warm);
    let y = whole(&plan, &x);
    let m0 = mix(&x, &y, 0.0);
    assert!(m0
        .iter()
        .zip(&x)
        .all(|(a, b)| a[0].to_bits() == b[0].to_bits() && a[1].to_bits() == b[1].to_bits()));
    assert_eq!(mix(&x, &y, 1.0), y);
    let h = mix(&x, &y, 0.5);
    assert!((h[1000][0] - 0.5 * (x[1000][0] + y[1000][0])).abs() < 1e-7);
}

#[test]
fn presets_parse_and_print() {
    assert_eq!(Preset::default(), Preset::Adaptive);
    for p in Preset::ALL {
        assert_eq!(p.to_string().parse::<Preset>().unwrap(), p);
        assert_eq!(p.to_string(), p.to_string().to_lowercase());
    }
    let e = "loud".parse::<Preset>().unwrap_err().to_string();
    assert!(
        e.contains("loud") && e.contains("adaptive") && e.contains("punchy"),
        "{e}"
    );
    const { assert!(DSP_VERSION >= 1) };
}

#[test]
fn plan_is_cheap_and_profile_only() {
    let (x, rate) = read_flac("drascula-track2-20s.flac");
    let profile: Profile = analyze(&x, rate);
    let t = std::time::Instant::now();
    let n = 50;
    for _ in 0..n {
        for p in Preset::ALL {
            std::hint::black_box(Plan::new(&profile, p));
        }
    }
    let per = t.elapsed() / (n * 5);
    eprintln!("Plan::new: {per:?}");
    assert!(per.as_millis() < 5);
    assert_eq!(
        Plan::new(&profile, Preset::Bright),
        Plan::new(&profile, Preset::Bright)
    );
}

/// The streamed whole-track pass (`MasterStream`, what `auralis master` runs) is bit for bit
/// `master_range` over the whole track, whatever sizes the input arrives in; so are the
/// chain's outputs whatever the caller's block sizes (its fast paths are exact).
#[test]
fn streamed_pass_is_bit_identical_to_master_range() {
    use auralis_master::MasterStream;
    let bits = |v: &[[f32; 2]]| -> Vec<[u32; 2]> {
        v.iter().map(|f| [f[0].to_bits(), f[1].to_bits()]).collect()
    };
    for (name, x, rate) in fixtures() {
        let profile = analyze(&x, rate);
        for preset in [Preset::Adaptive, Preset::Punchy] {
            let plan = Plan::new(&profile, preset);
            let want = bits(&whole(&plan, &x));
            for piece in [1usize, 63, 1000, 4096, 100_003] {
                let mut s = MasterStream::new(&plan);
                let mut out = Vec::new();
                for p in x.chunks(piece) {
                    s.process(p, &mut out);
                }
                s.finish(&mut out);
                assert_eq!(out.len(), x.len(), "{name} {preset} {piece}");
                assert!(
                    bits(&out) == want,
                    "{name} {preset}: pieces of {piece} differ"
                );
            }
        }
    }
}

/// Album gain: one track alone is its own album (same gain as track mode, within the
/// bisection's precision); a silent album gets no gain; louder tracks keep their lead.
#[test]
fn album_gain_basics() {
    use auralis_master::album_loudness;
    let (x, rate) = read_flac("drascula-track2-20s.flac");
    let p = analyze(&x, rate);
    for preset in Preset::ALL {
        let a = album_loudness(&[&p], preset);
        let t = Plan::new(&p, preset);
        assert!((a.gain_db - t.gain_db()).abs() < 0.01, "{preset}");
        assert!((a.tracks_lufs[0] - t.predicted_lufs()).abs() < 0.01);
    }
    let silence = analyze(&vec![[0.0; 2]; rate as usize * 5], rate);
    let a = album_loudness(&[&silence, &silence], Preset::Adaptive);
    assert_eq!(a.gain_db, 0.0);
    assert_eq!(album_loudness(&[], Preset::Adaptive).gain_db, 0.0);
    // The same music 10 dB apart: one gain, the quiet one stays about 10 LU down.
    let quiet: Vec<[f32; 2]> = x.iter().map(|f| [f[0] * 0.316, f[1] * 0.316]).collect();
    let q = analyze(&quiet, rate);
    let a = album_loudness(&[&p, &q], Preset::Gentle);
    let lead = a.tracks_lufs[0] - a.tracks_lufs[1];
    assert!(
        (lead - 10.0).abs() < 1.0 + a.tracks_limiter_lu[0],
        "{lead} {a:?}"
    );
    assert!(a.tracks_lufs[1] < a.target_lufs - 4.0);
    // Silence in an album takes no part: the album gain equals the music's alone.
    let with_silence = album_loudness(&[&p, &silence], Preset::Adaptive);
    assert!((with_silence.gain_db - Plan::new(&p, Preset::Adaptive).gain_db()).abs() < 0.01);
}

#[test]
fn level_match_is_output_minus_input_and_zero_for_silence() {
    let (x, rate) = read_flac("drascula-track2-20s.flac");
    let p = analyze(&x, rate);
    let plan = Plan::new(&p, Preset::Adaptive);
    assert!((plan.level_match_db(&p) - (plan.predicted_lufs() - p.integrated_lufs)).abs() < 1e-9);
    let silence = analyze(&vec![[0.0; 2]; rate as usize], rate);
    assert_eq!(
        Plan::new(&silence, Preset::Adaptive).level_match_db(&silence),
        0.0
    );
    let fixed = Plan::with_gain_db(&p, Preset::Adaptive, -3.0);
    assert_eq!(fixed.gain_db(), -3.0);
    assert!(fixed.level_match_db(&p) < plan.level_match_db(&p) - 2.0);
}
