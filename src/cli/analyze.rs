//! `auralis analyze FILE [--json]`: the full profile of a file.

use std::path::PathBuf;

use anyhow::Context;
use auralis_render::TrackAudio;

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Audio file to analyse.
    pub file: PathBuf,
    /// Print the profile as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let mut track = TrackAudio::open(&args.file)?;
    let info = track.info().clone();
    let p = track.full_profile()?;
    if args.json {
        let s = serde_json::to_string_pretty(&p).context("cannot serialise the profile")?;
        println!("{s}");
        return Ok(());
    }
    let bits = info
        .bits_per_sample
        .map_or_else(|| "lossy".to_string(), |b| format!("{b}-bit"));
    println!("file            {}", args.file.display());
    println!(
        "format          {} / {} ({bits}, {} ch, {} Hz -> {} Hz)",
        info.format, info.codec, info.source_channels, info.source_rate, info.rate
    );
    println!(
        "duration        {:.3} s ({} frames)",
        p.frames as f64 / p.sample_rate.max(1) as f64,
        p.frames
    );
    println!("loudness        {:.2} LUFS integrated", p.integrated_lufs);
    println!("loudness range  {:.2} LU", p.loudness_range_lu);
    println!("true peak       {:.2} dBTP", p.true_peak_dbtp);
    println!("sample peak     {:.2} dBFS", p.sample_peak_dbfs);
    println!("rms             {:.2} dBFS", p.rms_dbfs);
    println!("crest factor    {:.2} dB", p.crest_db);
    println!(
        "spectral tilt   {:+.2} dB/octave",
        p.spectrum.tilt_db_per_octave
    );
    println!("spectrum (third-octave bands, dB):");
    for (f, db) in p.spectrum.centres_hz.iter().zip(&p.spectrum.band_db) {
        let label = if *f >= 1000.0 {
            format!("{:.1}k", f / 1000.0)
        } else {
            format!("{f:.0}")
        };
        let bar = "#".repeat(((db + 100.0).max(0.0) / 2.0) as usize);
        println!("  {label:>6} Hz {db:7.1}  {bar}");
    }
    Ok(())
}
