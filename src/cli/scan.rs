//! `auralis scan MUSIC_DIR [--data-dir]`: index a music folder from the command line, with a
//! progress bar and a summary.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use auralis_library::{Library, ScanPhase, ScanProgress};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Music folder to index
    pub music_dir: PathBuf,
    /// Data folder holding the library database [default: the user's data folder + auralis/]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

pub fn run(args: ScanArgs) -> anyhow::Result<()> {
    let data_dir = match args.data_dir {
        Some(d) => d,
        None => super::default_data_dir()?,
    };
    let db = data_dir.join(auralis_server::config::LIBRARY_FILE);
    let library = Library::open(&db).with_context(|| format!("library {}", db.display()))?;
    let progress = ScanProgress::new();
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}] {wide_bar} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let done = Arc::new(AtomicBool::new(false));
    let report = std::thread::scope(|s| {
        let ticker = s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let p = progress.snapshot();
                let msg = match p.phase {
                    ScanPhase::Walking => "listing",
                    ScanPhase::Reading => "reading tags",
                    ScanPhase::Grouping => "grouping albums",
                    _ => "scanning",
                };
                bar.set_message(msg);
                bar.set_length(p.total.unwrap_or(p.files_seen));
                bar.set_position(p.processed);
                bar.tick();
                std::thread::park_timeout(Duration::from_millis(100));
            }
        });
        let r = library.scan(&args.music_dir, &progress);
        done.store(true, Ordering::Relaxed);
        ticker.thread().unpark();
        r
    });
    bar.finish_and_clear();
    let report = report.with_context(|| format!("scan of {}", args.music_dir.display()))?;
    let counts = library.counts()?;
    println!(
        "Scanned {} in {:.2} s: {} added, {} updated, {} removed, {} unchanged, {} unreadable.",
        args.music_dir.display(),
        report.seconds,
        report.added,
        report.updated,
        report.removed,
        report.unchanged,
        report.unreadable
    );
    println!(
        "Library {}: {} tracks, {} albums, {} artists.",
        db.display(),
        counts.tracks,
        counts.albums,
        counts.artists
    );
    if report.unreadable > 0 {
        for f in library.unreadable()? {
            println!("  unreadable: {}: {}", f.path, f.reason);
        }
    }
    Ok(())
}
