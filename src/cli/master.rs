//! `auralis master IN OUT [--preset P] [--intensity I]`: master a whole file to FLAC;
//! `auralis master --album --out-dir DIR IN...`: master an album with one loudness gain for
//! all its tracks (two passes: analyse every file, then master each to `DIR/<stem>.flac`).
//! `--out-dir DIR IN...` without `--album` masters several files, each with its own gain.
//!
//! Not for: the mastering itself (see `auralis_render::master_file`).

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use auralis_master::{album_loudness, Plan};
use auralis_render::{analyse_file, master_file, master_file_with_plan, Preset, Stage};

#[derive(clap::Args, Debug)]
pub struct MasterArgs {
    /// `IN OUT`, or with `--out-dir`: the input files (FLAC, WAV, AIFF, ALAC, MP3, AAC,
    /// Vorbis, Opus). Outputs are FLAC, written to a temporary file first and replaced only
    /// on success.
    #[arg(required = true, value_name = "IN [OUT] | IN...")]
    pub paths: Vec<PathBuf>,
    /// Write `DIR/<stem>.flac` for every input instead of taking `IN OUT`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Album mode: one loudness gain for all inputs, so the album as a whole sits on the
    /// preset's target and the tracks keep their relative loudness (needs --out-dir).
    #[arg(long, requires = "out_dir")]
    pub album: bool,
    /// Mastering preset: adaptive, gentle, warm, bright or punchy.
    #[arg(long, short, default_value = "adaptive", value_parser = parse_preset)]
    pub preset: Preset,
    /// Dry/wet mix: 0 = original, 1 = fully mastered.
    #[arg(long, short, default_value_t = 1.0, value_parser = parse_intensity)]
    pub intensity: f32,
}

pub fn parse_preset(s: &str) -> Result<Preset, String> {
    s.parse::<Preset>().map_err(|e| e.to_string())
}

pub fn parse_intensity(s: &str) -> Result<f32, String> {
    let v: f32 = s
        .parse()
        .map_err(|_| format!("invalid intensity {s:?}: expected a number between 0 and 1"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("intensity {v} is outside 0..1"))
    }
}

/// A progress bar on a terminal, nothing otherwise.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(1000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:>8} [{bar:40}] {percent:>3}% {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar(Some(bar))
    }

    fn set(&self, msg: &'static str, fraction: f64) {
        if let Some(bar) = &self.0 {
            bar.set_message(msg);
            bar.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Analyse => "analyse",
        Stage::Master => "master",
        Stage::Encode => "encode",
    }
}

pub fn run(args: MasterArgs) -> anyhow::Result<()> {
    match &args.out_dir {
        None => {
            let [input, output] = args.paths.as_slice() else {
                // A usage error (exit status 2), like clap's own.
                clap::Error::raw(
                    clap::error::ErrorKind::WrongNumberOfValues,
                    format!(
                        "expected IN OUT, got {} path(s); to master several files use --out-dir DIR\n",
                        args.paths.len()
                    ),
                )
                .exit()
            };
            refuse_overwriting_input(input, output)?;
            let bar = Bar::new();
            let result = master_file(input, output, args.preset, args.intensity, |p| {
                bar.set(stage_name(p.stage), p.fraction)
            });
            bar.done();
            print_summary(&result?);
            Ok(())
        }
        Some(dir) => run_many(&args, dir),
    }
}

/// `--out-dir`: every input to `DIR/<stem>.flac`, in album mode with one gain for all.
fn run_many(args: &MasterArgs, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut outputs = Vec::new();
    let mut seen = HashSet::new();
    for input in &args.paths {
        let stem = input
            .file_stem()
            .with_context(|| format!("{}: no file name", input.display()))?;
        let output = dir.join(stem).with_extension("flac");
        if !seen.insert(output.clone()) {
            bail!(
                "{}: two inputs would both be written to {}",
                input.display(),
                output.display()
            );
        }
        refuse_overwriting_input(input, &output)?;
        outputs.push(output);
    }
    let n = args.paths.len() as f64;
    // Pass 1: every file's calibrated profile (the album gain needs them all first).
    let bar = Bar::new();
    let mut profiles = Vec::new();
    for (i, input) in args.paths.iter().enumerate() {
        let profile = analyse_file(input, &[args.preset], |done, total| {
            let f = done as f64 / total.max(1) as f64;
            bar.set("analyse", 0.45 * (i as f64 + f) / n)
        })
        .with_context(|| format!("cannot analyse {}", input.display()));
        match profile {
            Ok(p) => profiles.push(p),
            Err(e) => {
                bar.done();
                return Err(e);
            }
        }
    }
    let album = args
        .album
        .then(|| album_loudness(&profiles.iter().collect::<Vec<_>>(), args.preset));
    // Pass 2: master each with its plan.
    let mut summaries = Vec::new();
    for (i, ((input, output), profile)) in
        args.paths.iter().zip(&outputs).zip(&profiles).enumerate()
    {
        let plan = match &album {
            Some(a) => a.plan(profile),
            None => Plan::new(profile, args.preset),
        };
        let s = master_file_with_plan(input, output, profile, &plan, args.intensity, |p| {
            bar.set(
                stage_name(p.stage),
                0.45 + 0.55 * (i as f64 + p.fraction) / n,
            )
        });
        match s {
            Ok(s) => summaries.push(s),
            Err(e) => {
                bar.done();
                return Err(e.into());
            }
        }
    }
    bar.done();
    for s in &summaries {
        print_summary(s);
    }
    if let Some(a) = album {
        println!(
            "album: {} tracks, {}: gain {:+.1} dB, expected {:.1} LUFS (target {:.1})",
            summaries.len(),
            a.preset,
            a.gain_db,
            a.predicted_lufs,
            a.target_lufs
        );
    }
    Ok(())
}

/// Mastering over the input itself would replace the music with its master.
fn refuse_overwriting_input(input: &Path, output: &Path) -> anyhow::Result<()> {
    let same = match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        bail!(
            "{}: the output would overwrite the input; choose another path",
            output.display()
        );
    }
    Ok(())
}

fn print_summary(s: &auralis_render::MasterSummary) {
    println!(
        "{} -> {}: {} @ {:.2}, {:.1} s: loudness {:.1} -> {:.1} LUFS, true peak {:.1} -> {:.1} dBTP, gain {:+.1} dB, level match {:+.1} dB ({:.2} s)",
        s.input.display(),
        s.output.display(),
        s.preset,
        s.intensity,
        s.duration_seconds,
        s.before.integrated_lufs,
        s.after.integrated_lufs,
        s.before.true_peak_dbtp,
        s.after.true_peak_dbtp,
        s.gain_db,
        s.level_match_db,
        s.elapsed_seconds,
    );
}
