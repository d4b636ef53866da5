//! The engine over real fixture files and an in-memory track store: descriptions, chunks,
//! typed errors without this machine's paths, one open decoder per playing track.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use auralis_analysis::Profile;
use auralis_cache::{Renderer, TrackId, Variant};
use auralis_core::{FileSignature, Preset};
use auralis_engine::{Engine, RenderError, RenderErrorKind, TrackFile, TrackStore};
use parking_lot::Mutex;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

struct MemStore {
    root: PathBuf,
    files: Mutex<HashMap<TrackId, (String, FileSignature)>>,
    profiles: Mutex<HashMap<TrackId, Profile>>,
    waveforms: Mutex<HashMap<TrackId, Vec<u8>>>,
}

impl MemStore {
    fn new(root: &Path) -> Arc<MemStore> {
        Arc::new(MemStore {
            root: root.canonicalize().unwrap(),
            files: Mutex::default(),
            profiles: Mutex::default(),
            waveforms: Mutex::default(),
        })
    }

    /// Copies a fixture into the music folder as track `id` and "scans" it.
    fn add(&self, id: i64, fixture_name: &str, rel: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::copy(fixture(fixture_name), &path).unwrap();
        let sig = FileSignature::of_file(&path).unwrap();
        self.files.lock().insert(TrackId(id), (rel.into(), sig));
    }
}

impl TrackStore for MemStore {
    fn locate(&self, track: TrackId) -> Result<Option<TrackFile>, RenderError> {
        Ok(self.files.lock().get(&track).map(|(rel, sig)| TrackFile {
            path: self.root.join(rel),
            relative: rel.clone(),
            signature: *sig,
        }))
    }
    fn load_profile(&self, track: TrackId) -> Result<Option<Profile>, RenderError> {
        Ok(self.profiles.lock().get(&track).cloned())
    }
    fn save_profile(&self, track: TrackId, profile: &Profile) -> Result<(), RenderError> {
        self.profiles.lock().insert(track, profile.clone());
        Ok(())
    }
    fn has_waveform(&self, track: TrackId) -> Result<bool, RenderError> {
        Ok(self.waveforms.lock().contains_key(&track))
    }
    fn save_waveform(&self, track: TrackId, peaks: &[u8]) -> Result<(), RenderError> {
        self.waveforms.lock().insert(track, peaks.to_vec());
        Ok(())
    }
}

fn setup() -> (tempfile::TempDir, Arc<MemStore>, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = MemStore::new(dir.path());
    store.add(1, "drascula-track2-20s.flac", "Artist/Album/02 Theme.flac");
    store.add(2, "drascula-track1-8s.m4a", "Artist/Album/01 Intro.m4a");
    let engine = Engine::new(store.clone(), dir.path(), 3.0);
    (dir, store, engine)
}

#[test]
fn consecutive_chunks_reuse_one_open_decoder() {
    let (_dir, _store, engine) = setup();
    let desc = engine.describe(TrackId(1)).unwrap();
    assert_eq!(desc.chunk_count, 7); // 20 s in 3 s chunks
    for chunk in 0..desc.chunk_count {
        let out = engine.render(
            TrackId(1),
            chunk,
            &[Variant::Original, Variant::Processed(Preset::Warm)],
        );
        assert!(out.iter().all(Result::is_ok), "chunk {chunk}: {out:?}");
    }
    // One file open for the description, reused by the fast profile and every chunk.
    assert_eq!(engine.decoder_counts(), (1, 1));
    // Another track gets its own decoder; both stay open.
    engine.render(TrackId(2), 1, &[Variant::Original]);
    assert_eq!(engine.decoder_counts(), (2, 2));
}

#[test]
fn errors_are_typed_and_never_show_this_machines_paths() {
    let (dir, store, engine) = setup();
    let root = dir.path().canonicalize().unwrap();
    let root = root.to_string_lossy();
    let e = engine.describe(TrackId(99)).unwrap_err();
    assert_eq!(e.kind, RenderErrorKind::NotFound);
    // A file deleted after the scan: changed, with a hint to rescan.
    std::fs::remove_file(dir.path().join("Artist/Album/01 Intro.m4a")).unwrap();
    let e = engine.describe(TrackId(2)).unwrap_err();
    assert_eq!(e.kind, RenderErrorKind::Changed);
    assert!(e.message.contains("rescan"), "{e}");
    assert!(e.message.contains("Artist/Album/01 Intro.m4a"), "{e}");
    assert!(!e.message.contains(&*root), "{e}");
    // A file that is not audio at all.
    std::fs::write(dir.path().join("junk.flac"), vec![0x42u8; 50_000]).unwrap();
    let sig = FileSignature::of_file(&dir.path().join("junk.flac")).unwrap();
    store
        .files
        .lock()
        .insert(TrackId(3), ("junk.flac".into(), sig));
    let e = engine.describe(TrackId(3)).unwrap_err();
    assert_eq!(e.kind, RenderErrorKind::Undecodable);
    assert!(e.message.contains("junk.flac"), "{e}");
    assert!(!e.message.contains(&*root), "{e}");
    let out = engine.render(TrackId(3), 0, &[Variant::Original]);
    assert_eq!(
        out[0].as_ref().unwrap_err().kind,
        RenderErrorKind::Undecodable
    );
}

#[test]
fn the_first_stored_profile_wins_until_the_file_changes() {
    let (_dir, store, engine) = setup();
    let info = engine.track_info(TrackId(1)).unwrap();
    let fast = engine.profile(&info).unwrap();
    // The background analysis does not replace the profile chunks were rendered with; it
    // still computes the waveform.
    engine.analyse_full(TrackId(1)).unwrap();
    assert_eq!(
        store.profiles.lock().get(&TrackId(1)).unwrap(),
        fast.as_ref()
    );
    let peaks = store.waveforms.lock().get(&TrackId(1)).cloned().unwrap();
    assert_eq!(peaks.len(), auralis_engine::waveform::SLICES);
    // The waveform is the original's: its loudest slice is the file's sample peak.
    let all = auralis_source::Source::open(&info.file.path)
        .unwrap()
        .read_all()
        .unwrap();
    let peak = all.iter().flatten().fold(0f32, |m, s| m.max(s.abs()));
    assert_eq!(*peaks.iter().max().unwrap(), (peak * 255.0).ceil() as u8);
}
