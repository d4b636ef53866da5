//! The background scan: tags first (`Library::scan`), then the analysis of every track that has
//! no profile yet. One job at a time, on its own low-priority thread, so it never competes
//! with playback for the async runtime; progress is published on the event bus.
//!
//! Profiles follow one rule (see `auralis-engine`): the kind of profile is part of a processed
//! chunk's cache key. The analysis replaces a fast profile stored by playback with the full
//! one, which moves the track's later chunks to a new key; the audio under a key never
//! changes.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auralis_library::{Library, ScanProgress, ScanReport};
use parking_lot::Mutex;

use super::events::{Event, EventBus};
use auralis_engine::Engine;

/// How often scan progress is published while a scan runs.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Where the background job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Scanning,
    Analysing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Scanning => "scanning",
            Phase::Analysing => "analysing",
        }
    }
}

/// A snapshot of the job for the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanStatus {
    pub running: bool,
    pub phase: Phase,
    pub seen: u64,
    pub processed: u64,
    pub total: Option<u64>,
    pub last_report: Option<ScanReport>,
    /// Why the last scan failed, or which tracks its analysis could not finish.
    pub error: Option<String>,
}

struct State {
    phase: Phase,
    last_report: Option<ScanReport>,
    last_error: Option<String>,
}

pub struct Scanner {
    library: Arc<Library>,
    engine: Arc<Engine>,
    events: EventBus,
    music_dir: std::path::PathBuf,
    progress: Arc<ScanProgress>,
    state: Mutex<State>,
    analysed: AtomicU64,
    to_analyse: AtomicU64,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Scanner {
    pub fn new(
        library: Arc<Library>,
        engine: Arc<Engine>,
        events: EventBus,
        music_dir: std::path::PathBuf,
    ) -> Arc<Self> {
        Arc::new(Self {
            library,
            engine,
            events,
            music_dir,
            progress: ScanProgress::new(),
            state: Mutex::new(State {
                phase: Phase::Idle,
                last_report: None,
                last_error: None,
            }),
            analysed: AtomicU64::new(0),
            to_analyse: AtomicU64::new(0),
            stop: Arc::new(AtomicBool::new(false)),
            thread: Mutex::new(None),
        })
    }

    pub fn status(&self) -> ScanStatus {
        let state = self.state.lock();
        let (seen, processed, total) = match state.phase {
            Phase::Analysing => {
                let total = self.to_analyse.load(Ordering::Relaxed);
                (total, self.analysed.load(Ordering::Relaxed), Some(total))
            }
            _ => {
                let p = self.progress.snapshot();
                (p.files_seen, p.processed, p.total)
            }
        };
        ScanStatus {
            running: state.phase != Phase::Idle,
            phase: state.phase,
            seen,
            processed,
            total,
            last_report: state.last_report.clone(),
            error: state.last_error.clone(),
        }
    }

    /// Starts a scan + analysis job unless one is running; returns the status either way.
    pub fn start(self: &Arc<Self>) -> ScanStatus {
        {
            let mut state = self.state.lock();
            if state.phase != Phase::Idle {
                drop(state);
                return self.status();
            }
            state.phase = Phase::Scanning;
        }
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("auralis-scan".into())
            .spawn(move || me.run());
        match spawned {
            Ok(handle) => {
                let mut slot = self.thread.lock();
                // The previous job has ended (phase was idle); reap it.
                if let Some(old) = slot.replace(handle) {
                    let _ = old.join();
                }
            }
            Err(e) => {
                let mut state = self.state.lock();
                state.phase = Phase::Idle;
                state.last_error = Some(format!("cannot start the scan thread: {e}"));
            }
        }
        let status = self.status();
        self.events.publish(Event::Scan(status.clone()));
        status
    }

    /// Asks the job to stop at the next track and waits for it.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let handle = self.thread.lock().take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    fn publish(&self) {
        self.events.publish(Event::Scan(self.status()));
    }

    /// The job: scan, then analyse. A panic anywhere in it (a bug in a tag parser, in the
    /// analysis) is contained: the job ends with the error reported and the scanner goes back
    /// to idle, so later scans and shutdown are not blocked.
    fn run(self: Arc<Self>) {
        lower_thread_priority();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.scan_and_analyse()));
        if let Err(panic) = outcome {
            let what = panic_message(&panic);
            tracing::error!(panic = %what, "the scan job panicked");
            let mut state = self.state.lock();
            state.last_error = Some(format!("the scan stopped on an internal error: {what}"));
            state.last_report.get_or_insert_with(ScanReport::default);
        }
        self.state.lock().phase = Phase::Idle;
        self.publish();
    }

    fn scan_and_analyse(&self) {
        let scan = {
            let done = AtomicBool::new(false);
            std::thread::scope(|s| {
                // Publishes progress while the scan runs; ends with it.
                let publisher = s.spawn(|| {
                    let mut last = None;
                    while !done.load(Ordering::Relaxed) {
                        let snap = self.progress.snapshot();
                        if last != Some(snap) {
                            last = Some(snap);
                            self.publish();
                        }
                        std::thread::park_timeout(PROGRESS_EVERY);
                    }
                });
                let r = self.library.scan(&self.music_dir, &self.progress);
                done.store(true, Ordering::Relaxed);
                publisher.thread().unpark();
                r
            })
        };
        match scan {
            Ok(report) => {
                tracing::info!(
                    added = report.added,
                    updated = report.updated,
                    removed = report.removed,
                    unchanged = report.unchanged,
                    unreadable = report.unreadable,
                    seconds = report.seconds,
                    "library scanned"
                );
                self.engine.forget_changed();
                let mut state = self.state.lock();
                state.last_report = Some(report);
                state.last_error = None;
                state.phase = Phase::Analysing;
            }
            Err(e) => {
                tracing::error!(error = %e, "library scan failed");
                let mut state = self.state.lock();
                state.last_error = Some(e.to_string());
                state.last_report.get_or_insert_with(ScanReport::default);
                state.phase = Phase::Analysing;
            }
        }
        self.analyse();
    }

    /// Full profiles and waveforms for every track missing one, one track at a time.
    fn analyse(&self) {
        let ids = match self
            .library
            .tracks_to_analyse(auralis_analysis::PROFILE_VERSION)
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "cannot list tracks to analyse");
                return;
            }
        };
        self.analysed.store(0, Ordering::Relaxed);
        self.to_analyse.store(ids.len() as u64, Ordering::Relaxed);
        self.publish();
        let started = Instant::now();
        let mut last_publish = Instant::now();
        let mut panicked = 0;
        for id in ids {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            let track = auralis_cache::TrackId(id);
            match catch_unwind(AssertUnwindSafe(|| self.engine.analyse_full(track))) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(track = id, error = %e, "cannot analyse track"),
                Err(panic) => {
                    let what = panic_message(&panic);
                    tracing::error!(
                        track = id,
                        panic = %what,
                        "the analysis of a track panicked; going on with the next"
                    );
                    // Reported with the scan, as its other errors are.
                    panicked += 1;
                    self.state.lock().last_error = Some(format!(
                        "the analysis of {panicked} track(s) stopped on an internal error \
                         (the last: track {id}: {what}); they play with a quick profile"
                    ));
                }
            }
            self.analysed.fetch_add(1, Ordering::Relaxed);
            if last_publish.elapsed() >= PROGRESS_EVERY {
                last_publish = Instant::now();
                self.publish();
            }
        }
        tracing::info!(
            tracks = self.to_analyse.load(Ordering::Relaxed),
            seconds = started.elapsed().as_secs_f64(),
            "library analysed"
        );
    }
}

/// The text of a caught panic.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Background work yields to playback: nice 10 for this thread only (Linux applies
/// `setpriority` to the calling thread).
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auralis_analysis::Profile;
    use auralis_cache::TrackId;
    use auralis_engine::{RenderError, TrackFile, TrackStore};

    /// A store whose every answer is a panic: stands for a bug anywhere under the analysis.
    struct Exploding;

    impl TrackStore for Exploding {
        fn locate(&self, _: TrackId) -> std::result::Result<Option<TrackFile>, RenderError> {
            panic!("deliberate panic in the analysis")
        }
        fn load_profile(&self, _: TrackId) -> std::result::Result<Option<Profile>, RenderError> {
            panic!("deliberate panic in the analysis")
        }
        fn save_profile(&self, _: TrackId, _: &Profile) -> std::result::Result<(), RenderError> {
            panic!("deliberate panic in the analysis")
        }
        fn has_waveform(&self, _: TrackId) -> std::result::Result<bool, RenderError> {
            panic!("deliberate panic in the analysis")
        }
        fn save_waveform(&self, _: TrackId, _: &[u8]) -> std::result::Result<(), RenderError> {
            panic!("deliberate panic in the analysis")
        }
    }

    fn wav(path: &std::path::Path) {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..44100 {
            let v = ((i as f32 * 0.05).sin() * 8000.0) as i16;
            w.write_sample(v).unwrap();
            w.write_sample(v).unwrap();
        }
        w.finalize().unwrap();
    }

    /// Waits (bounded) until the job is idle again.
    fn wait_idle(scanner: &Scanner) -> ScanStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = scanner.status();
            if !s.running {
                return s;
            }
            assert!(Instant::now() < deadline, "the scanner stayed busy: {s:?}");
            std::thread::park_timeout(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_panic_in_the_analysis_is_contained_and_the_scanner_goes_back_to_idle() {
        let music = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        wav(&music.path().join("a.wav"));
        wav(&music.path().join("b.wav"));
        let library = Arc::new(Library::open(data.path().join("library.sqlite")).unwrap());
        let engine = Arc::new(Engine::new(Arc::new(Exploding), music.path(), 3.0));
        let scanner = Scanner::new(
            library.clone(),
            engine,
            EventBus::new(),
            music.path().to_path_buf(),
        );
        scanner.start();
        let first = wait_idle(&scanner);
        // Both tracks were scanned; each analysis panicked and was contained.
        assert_eq!(first.last_report.as_ref().unwrap().added, 2);
        assert_eq!(first.phase, Phase::Idle);
        let error = first.error.as_deref().expect("the panics are reported");
        assert!(
            error.contains("analysis of 2 track(s)") && error.contains("deliberate panic"),
            "{error}"
        );
        // The scanner is not stuck: a second job runs and ends too, and shutdown returns.
        assert!(scanner.start().running);
        let second = wait_idle(&scanner);
        assert_eq!(second.last_report.as_ref().unwrap().unchanged, 2);
        scanner.shutdown();
    }
}
