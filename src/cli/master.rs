//! `auralis master IN OUT [--preset P] [--intensity I]`: master a whole file to FLAC.

use std::io::IsTerminal;
use std::path::PathBuf;

use auralis_render::{master_file, Preset, Stage};

#[derive(clap::Args, Debug)]
pub struct MasterArgs {
    /// Input audio file (FLAC, WAV, AIFF, ALAC, MP3, AAC, Vorbis, Opus).
    pub input: PathBuf,
    /// Output FLAC file (written to a temporary file first, replaced only on success).
    pub output: PathBuf,
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

pub fn run(args: MasterArgs) -> anyhow::Result<()> {
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(1000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:>8} [{bar:40}] {percent:>3}% {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Some(bar)
    } else {
        None
    };
    let result = master_file(
        &args.input,
        &args.output,
        args.preset,
        args.intensity,
        |p| {
            if let Some(bar) = &bar {
                bar.set_message(match p.stage {
                    Stage::Analyse => "analyse",
                    Stage::Master => "master",
                    Stage::Encode => "encode",
                });
                bar.set_position((p.fraction * 1000.0) as u64);
            }
        },
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let s = result?;
    println!(
        "{} -> {}: {} @ {:.2}, {:.1} s: loudness {:.1} -> {:.1} LUFS, true peak {:.1} -> {:.1} dBTP ({:.2} s)",
        s.input.display(),
        s.output.display(),
        s.preset,
        s.intensity,
        s.duration_seconds,
        s.before.integrated_lufs,
        s.after.integrated_lufs,
        s.before.true_peak_dbtp,
        s.after.true_peak_dbtp,
        s.elapsed_seconds,
    );
    Ok(())
}
