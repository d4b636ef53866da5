//! `auralis bench [--quick]`: speed of every stage on the fixtures (figures go to
//! BENCHMARKS.md). Timings are the best of a few runs; "x RT" is audio seconds per second of
//! one core's work unless stated otherwise.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use auralis_encode::{
    encode_flac_with, write_flac_parallel, BitDepth, EncoderSettings, FlacWriter,
};
use auralis_master::{master_all, Plan, Preset};
use auralis_render::{master_file, master_parallel, Stage, TrackAudio, Variant};
use auralis_source::Source;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Fewer repetitions and a 1-minute (instead of 5-minute) whole-file run.
    #[arg(long)]
    pub quick: bool,
    /// Folder with the drascula-* fixtures.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))]
    pub fixtures: PathBuf,
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(f64, T)> {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let v = f()?;
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    match last {
        Some(v) => Ok((best, v)),
        None => bail!("no run"),
    }
}

fn ms(s: f64) -> String {
    format!("{:8.1} ms", s * 1000.0)
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let runs = if args.quick { 2 } else { 5 };
    let fx = |name: &str| args.fixtures.join(name);
    if !fx("drascula-track2-20s.flac").exists() {
        bail!(
            "{}: fixtures not found (pass --fixtures DIR)",
            args.fixtures.display()
        );
    }
    println!(
        "auralis bench ({} mode, best of {runs})",
        if args.quick { "quick" } else { "full" }
    );

    // 1. Decode speed per format.
    println!("\n== decode (open + read_all, one core)");
    let mut names: Vec<_> = std::fs::read_dir(&args.fixtures)
        .with_context(|| format!("cannot list {}", args.fixtures.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("drascula-") && !n.ends_with(".md"))
        })
        .collect();
    names.sort();
    for p in &names {
        let (t, (frames, info)) = best_of(runs, || {
            let mut s = Source::open(p)?;
            let info = s.info().clone();
            Ok((s.read_all()?.len(), info))
        })?;
        let secs = frames as f64 / info.rate as f64;
        println!(
            "  {:40} {:>5}/{:<9} {:6.1} s  {}  {:7.0}x RT",
            p.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            info.format,
            info.codec,
            secs,
            ms(t),
            secs / t
        );
    }

    // Reference audio: track 2 (20 s, 44.1 kHz, 16-bit).
    let ref_path = fx("drascula-track2-20s.flac");
    let mut track = TrackAudio::open(&ref_path)?;
    let rate = track.info().rate;
    let all = track.read(0..track.info().frames)?;
    let secs = all.len() as f64 / rate as f64;

    println!("\n== analysis (drascula-track2-20s.flac, {secs:.0} s)");
    let (t_full, profile) = best_of(runs, || Ok(auralis_analysis::analyze(&all, rate)))?;
    println!(
        "  full profile (in memory)            {}  {:7.0}x RT",
        ms(t_full),
        secs / t_full
    );
    let (t_fast, _) = best_of(runs, || Ok(TrackAudio::open(&ref_path)?.fast_profile()?))?;
    println!("  fast profile (open + excerpts)      {}", ms(t_fast));
    // A never-seen long track: the fast profile reads sparse excerpts, never the whole file.
    let long_minutes = if args.quick { 2.0 } else { 10.0 };
    let long_dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let long_path = long_dir.path().join("long.flac");
    looped_flac(&args.fixtures, &long_path, long_minutes)?;
    let (t_fast_long, _) = best_of(runs, || Ok(TrackAudio::open(&long_path)?.fast_profile()?))?;
    println!(
        "  fast profile, {long_minutes:.0}-minute FLAC (open + sparse reads) {}",
        ms(t_fast_long)
    );
    // The calibrated full profile: one decode, the analyser ‖ each preset's chain (2 threads).
    let long_secs = long_minutes * 60.0;
    let (t_cal1, _) = best_of(runs.min(2), || {
        Ok(TrackAudio::open(&long_path)?.full_profile_for(&[Preset::Adaptive], |_, _| {})?)
    })?;
    let (t_cal5, long_profile) = best_of(runs.min(2), || {
        Ok(TrackAudio::open(&long_path)?.full_profile()?)
    })?;
    // Plan::new runs per chunk request: its cost grows with the track's block count.
    let mut two_hours = long_profile.clone();
    let reps = (7200.0 / long_secs).ceil().max(1.0) as usize;
    two_hours.blocks.loudness = two_hours.blocks.loudness.repeat(reps);
    two_hours.blocks.true_peak = two_hours.blocks.true_peak.repeat(reps);
    let (t_plan, _) = best_of(runs, || Ok(Plan::new(&profile, Preset::Adaptive)))?;
    let (t_plan_2h, _) = best_of(runs, || Ok(Plan::new(&two_hours, Preset::Adaptive)))?;
    println!(
        "  Plan::new: 20 s track {:.1} µs, 2-hour track {:.2} ms",
        t_plan * 1e6,
        t_plan_2h * 1e3
    );
    println!(
        "  calibrated full profile, {long_minutes:.0}-minute FLAC: 1 preset {} ({:.0}x RT), all 5 {} ({:.0}x RT)",
        ms(t_cal1),
        long_secs / t_cal1,
        ms(t_cal5),
        long_secs / t_cal5
    );
    let (t_fastcal, _) = best_of(runs, || {
        let mut t = TrackAudio::open(&long_path)?;
        let mut p = t.fast_profile()?;
        t.calibrate_fast_profile(&mut p, &[Preset::Adaptive])?;
        Ok(p)
    })?;
    println!(
        "  fast profile calibrated for 1 preset on its excerpts        {}",
        ms(t_fastcal)
    );

    println!("\n== mastering chain (one core)");
    for preset in [Preset::Adaptive, Preset::Punchy] {
        let plan = Plan::new(&profile, preset);
        let (t, _) = best_of(runs, || Ok(master_all(&plan, &all)))?;
        println!(
            "  {:10} whole track                {}  {:7.0}x RT",
            preset.name(),
            ms(t),
            secs / t
        );
    }

    println!("\n== FLAC encode (one core, 16-bit stereo; speed and compressed/PCM ratio)");
    for name in [
        "drascula-track1-8s.flac",
        "drascula-track2-20s.flac",
        "drascula-track11-20s.flac",
    ] {
        let frames = Source::open(&fx(name))?.read_all()?;
        let s = frames.len() as f64 / 44_100.0;
        let pcm = frames.len() as f64 * 4.0;
        let mut line = format!("  {name:28}");
        for (label, settings) in [
            ("auralis", EncoderSettings::fast()),
            ("flacenc-fast", EncoderSettings::flacenc_fast()),
            ("flacenc-default", EncoderSettings::flacenc_default()),
        ] {
            let (t, bytes) = best_of(runs, || {
                Ok(encode_flac_with(
                    &frames,
                    44_100,
                    BitDepth::Sixteen,
                    0,
                    false,
                    &settings,
                )?)
            })?;
            line += &format!(
                "  {label} {:5.0}x RT {:.4}",
                s / t,
                bytes.len() as f64 / pcm
            );
        }
        println!("{line}");
    }

    // 2. One 10 s chunk, cold: open + decode + master + encode, both variants, profile given.
    println!("\n== one 10 s chunk, cold (chunk 1 of drascula-track2-20s.flac, profile given)");
    let variants = [Variant::Original, Variant::Processed(Preset::Adaptive)];
    let (t_chunk, sizes) = best_of(runs, || {
        let mut t = TrackAudio::open(&ref_path)?;
        let out = t.render_variants(&profile, 1, &variants);
        let mut sizes = Vec::new();
        for r in out {
            sizes.push(r?.len());
        }
        Ok(sizes)
    })?;
    println!(
        "  both variants, 2 threads              {}  ({} + {} bytes)",
        ms(t_chunk),
        sizes[0],
        sizes[1]
    );
    let (t_one, _) = best_of(runs, || {
        let mut t = TrackAudio::open(&ref_path)?;
        Ok(t.render_chunk(&profile, 1, variants[1])?)
    })?;
    println!("  processed only                        {}", ms(t_one));
    // Per-stage costs of that chunk.
    let tl = *track.timeline();
    let range = tl.chunk_range(1).context("chunk 1")?;
    let plan = Plan::new(&profile, Preset::Adaptive);
    let from = range.start.saturating_sub(plan.preroll_frames());
    let to = (range.end + plan.latency_frames() as u64).min(tl.total_samples());
    let (t_open, _) = best_of(runs, || Ok(Source::open(&ref_path)?))?;
    let (t_dec, input) = best_of(runs, || {
        let mut s = Source::open(&ref_path)?;
        Ok(s.read(from..to)?)
    })?;
    let (t_master, processed) = best_of(runs, || {
        let r: Result<_, std::convert::Infallible> =
            auralis_master::master_range(&plan, tl.total_samples(), range.clone(), |r| {
                Ok(input[(r.start - from) as usize..(r.end - from) as usize].to_vec())
            });
        Ok(r.unwrap_or_default())
    })?;
    let orig = &all[range.start as usize..range.end as usize];
    let fast = EncoderSettings::fast();
    let (t_enc_o, _) = best_of(runs, || {
        Ok(encode_flac_with(
            orig,
            rate,
            BitDepth::Sixteen,
            range.start,
            false,
            &fast,
        )?)
    })?;
    let (t_enc_p, _) = best_of(runs, || {
        Ok(encode_flac_with(
            &processed,
            rate,
            BitDepth::Sixteen,
            range.start,
            true,
            &fast,
        )?)
    })?;
    println!("  stage: open                           {}", ms(t_open));
    println!(
        "  stage: open + decode {:.1} s (pre-roll) {}",
        (to - from) as f64 / rate as f64,
        ms(t_dec)
    );
    println!("  stage: master_range (13 s in, 10 out) {}", ms(t_master));
    println!("  stage: encode original (no dither)    {}", ms(t_enc_o));
    println!("  stage: encode processed (dither)      {}", ms(t_enc_p));

    // 3. Whole-file mastering of a long FLAC made from looped fixture audio.
    let minutes = if args.quick { 1.0 } else { 5.0 };
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let long = dir.path().join("long.flac");
    looped_flac(&args.fixtures, &long, minutes)?;
    println!(
        "\n== whole-file master ({minutes:.0}-minute 44.1 kHz 16-bit FLAC, `auralis master`, all cores)"
    );
    let out = dir.path().join("out.flac");
    let mut best = f64::MAX;
    let mut stage_times = Vec::new();
    let mut summary = None;
    for _ in 0..if args.quick { 1 } else { 3 } {
        let t0 = Instant::now();
        let mut marks: Vec<(Stage, f64)> = Vec::new();
        let s = master_file(&long, &out, Preset::Adaptive, 1.0, |p| {
            if marks.last().map(|m| m.0) != Some(p.stage) {
                marks.push((p.stage, t0.elapsed().as_secs_f64()));
            }
        })?;
        let total = t0.elapsed().as_secs_f64();
        if total < best {
            best = total;
            stage_times = marks
                .iter()
                .enumerate()
                .map(|(i, (st, start))| {
                    let end = marks.get(i + 1).map_or(total, |m| m.1);
                    (st.name(), end - start)
                })
                .collect();
            summary = Some(s);
        }
    }
    let s = summary.context("no run")?;
    println!(
        "  total                                 {}  {:7.0}x RT  ({:.1} -> {:.1} LUFS, TP {:.1} -> {:.1} dBTP)",
        ms(best),
        s.duration_seconds / best,
        s.before.integrated_lufs,
        s.after.integrated_lufs,
        s.before.true_peak_dbtp,
        s.after.true_peak_dbtp
    );
    for (name, t) in stage_times {
        let detail = match name {
            "analyse" => "fast profile, decode ‖ analyse ‖ calibrate",
            "master" => "decode ‖ chain ‖ encode + meter output",
            _ => "last segments, STREAMINFO, rename",
        };
        println!("  stage: {name:8} ({detail:36}) {}", ms(t));
    }
    let plan = Plan::new(&profile, Preset::Adaptive);
    let long_frames = Source::open(&long)?.read_all()?;
    let (t1, _) = best_of(1, || Ok(master_parallel(&plan, &long_frames, 1)))?;
    let (t2, _) = best_of(1, || Ok(master_parallel(&plan, &long_frames, 2)))?;
    println!("  chain alone: 1 thread {} / 2 threads {}", ms(t1), ms(t2));
    let fast = EncoderSettings::fast();
    let (e1, _) = best_of(1, || {
        Ok(encode_flac_with(
            &long_frames,
            44_100,
            BitDepth::Sixteen,
            0,
            true,
            &fast,
        )?)
    })?;
    let (e2, _) = best_of(1, || {
        Ok(write_flac_parallel(
            std::io::Cursor::new(Vec::new()),
            &long_frames,
            44_100,
            BitDepth::Sixteen,
            0,
            true,
            &fast,
            2,
            |_| {},
        )?)
    })?;
    println!(
        "  encode alone: 1 thread {} / 2 threads {}  ({:.0}x / {:.0}x RT)",
        ms(e1),
        ms(e2),
        s.duration_seconds / e1,
        s.duration_seconds / e2
    );
    super::bench_cache::run(&args.fixtures, args.quick)?;
    Ok(())
}

/// Writes a `minutes`-long 44.1 kHz 16-bit FLAC to `long` by looping fixture audio.
pub(super) fn looped_flac(
    fixtures: &std::path::Path,
    long: &std::path::Path,
    minutes: f64,
) -> anyhow::Result<()> {
    let mut pieces = Vec::new();
    for name in [
        "drascula-track2-20s.flac",
        "drascula-track11-20s.flac",
        "drascula-track1-8s.flac",
    ] {
        pieces.push(Source::open(&fixtures.join(name))?.read_all()?);
    }
    let target = (minutes * 60.0 * 44_100.0) as usize;
    {
        let f = std::fs::File::create(long)
            .with_context(|| format!("cannot create {}", long.display()))?;
        let mut w = FlacWriter::new(
            std::io::BufWriter::new(f),
            44_100,
            BitDepth::Sixteen,
            0,
            false,
        )?;
        let mut n = 0;
        'outer: loop {
            for p in &pieces {
                let take = p.len().min(target - n);
                w.write(&p[..take])?;
                n += take;
                if n >= target {
                    break 'outer;
                }
            }
        }
        w.finish()?;
    }
    Ok(())
}
