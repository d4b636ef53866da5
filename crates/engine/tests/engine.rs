//! The engine over real fixture files and an in-memory track store: descriptions, chunks,
//! typed errors without this machine's paths, one open decoder per playing track.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use auralis_analysis::{Profile, ProfileKind};
use auralis_cache::{Renderer, TrackId, Variant};
use auralis_core::{FileSignature, Preset};
use auralis_engine::{Engine, ProfileKey, RenderError, RenderErrorKind, TrackFile, TrackStore};
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
fn a_full_profile_replaces_the_fast_one_under_a_new_key() {
    let (_dir, store, engine) = setup();
    let kind = || store.profiles.lock().get(&TrackId(1)).map(|p| p.kind);
    let before = engine.describe(TrackId(1)).unwrap();
    assert!(
        before.processed_key.starts_with("profile=fast;"),
        "{before:?}"
    );
    let warm = [Variant::Processed(Preset::Warm)];
    let render = |key: &str| {
        engine
            .render_keyed(TrackId(1), key, 2, &warm)
            .pop()
            .unwrap()
            .unwrap()
    };
    // Playing a never-analysed track stores its fast profile.
    let fast_chunk = render(&before.processed_key);
    assert_eq!(kind(), Some(ProfileKind::Fast));
    // The background analysis replaces it with the full one: a new key.
    engine.analyse_full(TrackId(1)).unwrap();
    assert_eq!(kind(), Some(ProfileKind::Full));
    let after = engine.describe(TrackId(1)).unwrap();
    assert!(
        after.processed_key.starts_with("profile=full;"),
        "{after:?}"
    );
    assert_ne!(after.processed_key, before.processed_key);
    let (old, old_album) = ProfileKey::parse(&before.processed_key).unwrap();
    let (new, new_album) = ProfileKey::parse(&after.processed_key).unwrap();
    assert_eq!((old.own, new.own), (ProfileKind::Fast, ProfileKind::Full));
    // An album of one: its gain comes from full profiles exactly when its own does.
    assert_eq!((old.album_full, new.album_full), (false, true));
    assert_eq!(old_album, new_album);
    assert!(ProfileKey::parse("profile=half;album=00.full").is_none());
    assert_eq!(
        (after.signature, after.chunk_count),
        (before.signature, before.chunk_count)
    );
    // The old key still names the very same bytes (the fast profile is recomputed, never the
    // full one used); the new key names the full profile's chunk.
    assert_eq!(render(&before.processed_key), fast_chunk);
    let full_chunk = render(&after.processed_key);
    assert_ne!(full_chunk, fast_chunk);
    // A full profile is never replaced: analysing again changes nothing.
    let full = store.profiles.lock().get(&TrackId(1)).cloned().unwrap();
    engine.analyse_full(TrackId(1)).unwrap();
    assert_eq!(store.profiles.lock().get(&TrackId(1)).unwrap(), &full);
    assert_eq!(render(&after.processed_key), full_chunk);

    let info = engine.track_info(TrackId(1)).unwrap();
    let peaks = store.waveforms.lock().get(&TrackId(1)).cloned().unwrap();
    assert_eq!(peaks.len(), auralis_engine::waveform::SLICES);
    // The waveform is the original's: its loudest slice is the file's sample peak.
    let all = auralis_source::Source::open(&info.file.path)
        .unwrap()
        .read_all()
        .unwrap();
    let peak = all.iter().flatten().fold(0f32, |m, s| m.max(s.abs()));
    assert_eq!(*peaks.iter().max().unwrap(), (peak * 255.0).ceil() as u8);
    // Built in the analysis's one decode pass, it is exactly the waveform of the whole track.
    let mut whole = auralis_engine::waveform::WaveformBuilder::new(all.len() as u64);
    whole.push(&all);
    assert_eq!(peaks, whole.finish());
    // A track analysed before waveforms were kept gets the same waveform from a pass of its
    // own, and keeps its profile.
    store.waveforms.lock().remove(&TrackId(1));
    engine.analyse_full(TrackId(1)).unwrap();
    assert_eq!(store.waveforms.lock().get(&TrackId(1)), Some(&peaks));
    assert_eq!(store.profiles.lock().get(&TrackId(1)).unwrap(), &full);
}

/// An 80 s track (two fixture passages, twice) written as a 16-bit WAV under `root`: long
/// enough for a truly sparse fast profile (10 excerpts of 3 s).
fn long_track(root: &Path, rel: &str) -> PathBuf {
    let mut frames = Vec::new();
    for _ in 0..2 {
        for name in ["drascula-track2-20s.flac", "drascula-track11-20s.flac"] {
            let mut s = auralis_source::Source::open(&fixture(name)).unwrap();
            assert_eq!(s.info().rate, 44100);
            frames.extend(s.read_all().unwrap());
        }
    }
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for [l, r] in frames {
        for x in [l, r] {
            w.write_sample((x * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
                .unwrap();
        }
    }
    w.finalize().unwrap();
    path
}

/// Decodes one FLAC chunk.
fn decode(bytes: &[u8]) -> (Vec<[f32; 2]>, u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chunk.flac");
    std::fs::write(&path, bytes).unwrap();
    let mut source = auralis_source::Source::open(&path).unwrap();
    let rate = source.info().rate;
    (source.read_all().unwrap(), rate)
}

/// Loudness (LUFS) of a short stretch (one 400 ms window: the BS.1770 block loudness).
fn short_term(frames: &[[f32; 2]], rate: u32) -> f64 {
    auralis_analysis::analyze(frames, rate).integrated_lufs
}

/// The largest sample step between neighbours, either channel.
fn largest_step(frames: &[[f32; 2]]) -> f32 {
    frames
        .windows(2)
        .flat_map(|w| [(w[1][0] - w[0][0]).abs(), (w[1][1] - w[0][1]).abs()])
        .fold(0f32, f32::max)
}

#[test]
fn switching_from_fast_to_full_at_a_chunk_boundary_has_no_audible_jump() {
    let (dir, store, engine) = setup();
    store.add(3, "drascula-track11-20s.flac", "Artist/Album/11 Other.flac");
    let long = long_track(dir.path(), "Artist/Album/Long.wav");
    let sig = FileSignature::of_file(&long).unwrap();
    store
        .files
        .lock()
        .insert(TrackId(4), ("Artist/Album/Long.wav".into(), sig));
    let mut worst_step_db = 0f64;
    let mut worst_jump_ratio = 0f32;
    for id in [TrackId(1), TrackId(3), TrackId(4)] {
        // Played before its analysis: the fast profile's key; then the full one arrives.
        let fast_key = engine.describe(id).unwrap().processed_key;
        let chunks = engine.describe(id).unwrap().chunk_count;
        engine.render_keyed(id, &fast_key, 0, &[Variant::Processed(Preset::Adaptive)]);
        engine.analyse_full(id).unwrap();
        let full_key = engine.describe(id).unwrap().processed_key;
        assert_ne!(fast_key, full_key);
        for preset in [Preset::Adaptive, Preset::Warm, Preset::Punchy] {
            let v = [Variant::Processed(preset)];
            let chunk = |key: &str, k: u64| {
                decode(&engine.render_keyed(id, key, k, &v).pop().unwrap().unwrap())
            };
            for k in 1..chunks - 1 {
                // Chunk k-1 with the fast profile, chunk k with the full one (the switch), and
                // chunk k-1 with the full one (the continuous render it is compared with).
                let (before_fast, rate) = chunk(&fast_key, k - 1);
                let (before_full, _) = chunk(&full_key, k - 1);
                let (after, _) = chunk(&full_key, k);
                let w = (rate as usize * 2) / 5; // 400 ms
                let head = short_term(&after[..w], rate);
                let switched = head - short_term(&before_fast[before_fast.len() - w..], rate);
                let continuous = head - short_term(&before_full[before_full.len() - w..], rate);
                let step = (switched - continuous).abs();
                assert!(
                    step < 0.5,
                    "track {id} {preset} chunk {k}: level step {switched:.2} dB across the \
                     switch, {continuous:.2} dB when continuous"
                );
                worst_step_db = worst_step_db.max(step);
                // The sample step at the join is no larger than the music's own steps.
                let (last, first) = (before_fast[before_fast.len() - 1], after[0]);
                let join = (first[0] - last[0]).abs().max((first[1] - last[1]).abs());
                let mut music = before_full.clone();
                music.extend_from_slice(&after);
                let own = largest_step(&music);
                assert!(
                    join <= own,
                    "track {id} {preset} chunk {k}: join step {join} > the music's {own}"
                );
                worst_jump_ratio = worst_jump_ratio.max(join / own);
            }
        }
    }
    println!(
        "fast -> full switch: largest level step difference {worst_step_db:.3} dB, largest \
         join step {:.0}% of the music's largest sample step",
        worst_jump_ratio * 100.0
    );
}

#[test]
fn fast_and_full_profiles_ask_for_nearly_the_same_gain() {
    // The figure DESIGN.md quotes: how far apart the two profiles put a track's gain. Tracks
    // up to 30 s are read whole by the fast profile (it lacks only the calibration); the long
    // one gets a truly sparse fast profile.
    let dir = tempfile::tempdir().unwrap();
    let long = long_track(dir.path(), "long.wav");
    let mut worst: (f64, String) = (0.0, String::new());
    for name in [
        long.to_str().unwrap(),
        "drascula-track1-8s.flac",
        "drascula-track2-20s.flac",
        "drascula-track11-20s.flac",
        "drascula-track1-8s.mp3",
        "drascula-track1-8s.ogg",
        "drascula-track1-8s.m4a",
        "drascula-track1-8s-96k-24bit.flac",
        "drascula-track1-8s-mono.flac",
    ] {
        let mut audio = auralis_render::TrackAudio::open(&fixture(name)).unwrap();
        let fast = audio.fast_profile().unwrap();
        let full = audio.full_profile().unwrap();
        for preset in Preset::ALL {
            let f = auralis_master::Plan::new(&fast, preset);
            let g = auralis_master::Plan::new(&full, preset);
            let d = (f.gain_db() - g.gain_db()).abs();
            println!(
                "{name} {preset}: gain fast {:.2} dB, full {:.2} dB",
                f.gain_db(),
                g.gain_db()
            );
            if d > worst.0 {
                worst = (d, format!("{name} {preset}"));
            }
        }
    }
    println!(
        "largest fast/full gain difference: {:.2} dB ({})",
        worst.0, worst.1
    );
    assert!(
        worst.0 < 1.5,
        "fast and full gains differ by {:.2} dB ({})",
        worst.0,
        worst.1
    );
}
