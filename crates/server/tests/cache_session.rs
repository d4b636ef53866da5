//! The cache's simulated listening session (play, toggle, preset, seek, next track, back) over
//! real fixture tracks with the real engine (`auralis-engine` over `auralis-render`),
//! without HTTP. Checks which tier served each chunk, that every served chunk is a FLAC file of
//! the chunk's length, and that original chunks are bit-exact to the source.

mod common;

use std::path::Path;
use std::sync::Arc;

use auralis_cache::session::{listening_session, mismatches};
use auralis_cache::{Cache, Config, ListenerKey, Preset, Renderer, TrackId, Variant};
use auralis_engine::Engine;
use auralis_library::{Library, ScanProgress};
use auralis_server::app::store::LibraryStore;
use auralis_source::Source;
use common::{fixture, CHUNK_SECONDS};

/// Decodes FLAC bytes through `auralis-source` (via a file, as the source reads paths).
fn decode(bytes: &[u8], dir: &Path, name: &str) -> Vec<[f32; 2]> {
    let path = dir.join(format!("{name}.flac"));
    std::fs::write(&path, bytes).unwrap();
    let mut s = Source::open(&path).unwrap();
    assert_eq!(s.info().codec, "flac", "{name}");
    s.read_all().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listening_session_over_real_tracks() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    for (fx, name) in [
        ("drascula-track2-20s.flac", "a.flac"),
        ("drascula-track11-20s.flac", "b.flac"),
    ] {
        std::fs::copy(fixture(fx), music.path().join(name)).unwrap();
    }
    let library = Arc::new(Library::open(data.path().join("library.db")).unwrap());
    library.scan(music.path(), &ScanProgress::new()).unwrap();
    let (tracks, _) = library.tracks(None, 10, 0).unwrap();
    let id_of = |name: &str| {
        tracks
            .iter()
            .find(|t| t.path == name)
            .unwrap_or_else(|| panic!("{name} not scanned: {tracks:?}"))
            .id
    };
    let (a, b) = (TrackId(id_of("a.flac")), TrackId(id_of("b.flac")));

    let renderer = Arc::new(Engine::new(
        Arc::new(LibraryStore(library.clone())),
        music.path(),
        CHUNK_SECONDS,
    ));
    let cache = Cache::open(Config::new(data.path().join("cache")), renderer.clone()).unwrap();

    let steps = listening_session(&cache, a, b, Preset::Adaptive, Preset::Warm)
        .await
        .unwrap();
    let wrong = mismatches(&steps);
    assert!(
        wrong.is_empty(),
        "tiers differ from the expected ones: {}",
        serde_json::to_string_pretty(&wrong).unwrap()
    );
    assert!(steps.len() >= 20, "{} steps", steps.len());

    // Every chunk the session was served decodes to the chunk's length; originals are the
    // source's samples exactly. The bytes are fetched again (now from tier 1 or 2, which
    // hold the very files the session was served).
    for (i, step) in steps.iter().enumerate() {
        let info = renderer.track_info(step.track).unwrap();
        let range = info.timeline.chunk_range(step.chunk).unwrap();
        let (bytes, _) = cache
            .get_chunk(step.track, step.chunk, step.variant)
            .await
            .unwrap();
        assert_eq!(bytes.len(), step.bytes, "step {i}: {step:?}");
        let frames = decode(&bytes, scratch.path(), &format!("step{i}"));
        assert_eq!(
            frames.len() as u64,
            range.end - range.start,
            "step {i}: {step:?}"
        );
        match &step.variant {
            Variant::Original => {
                let source = Source::open(&info.file.path).unwrap().read(range).unwrap();
                assert!(
                    frames == source,
                    "step {i}: original chunk is not bit-exact: {step:?}"
                );
            }
            Variant::Processed(_) | Variant::Album(_) => {
                let peak = frames.iter().flatten().fold(0f32, |m, s| m.max(s.abs()));
                assert!(
                    peak.is_finite() && peak > 0.0 && peak <= 1.0,
                    "step {i}: peak {peak}"
                );
            }
        }
    }
}

/// A track played before its background analysis starts on the fast profile; when the full
/// profile is stored, the listener's next position update moves it to the full profile's key,
/// so its later chunks (from the next one asked for) are the full profile's, while the chunks
/// under the old key never change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_playing_track_switches_to_the_full_profile_at_a_chunk_boundary() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("drascula-track2-20s.flac"),
        music.path().join("a.flac"),
    )
    .unwrap();
    let library = Arc::new(Library::open(data.path().join("library.db")).unwrap());
    library.scan(music.path(), &ScanProgress::new()).unwrap();
    let (tracks, _) = library.tracks(None, 10, 0).unwrap();
    let a = TrackId(tracks[0].id);
    let engine = Arc::new(Engine::new(
        Arc::new(LibraryStore(library.clone())),
        music.path(),
        CHUNK_SECONDS,
    ));
    let cache = Cache::open(Config::new(data.path().join("cache")), engine.clone()).unwrap();
    let tab = ListenerKey::new(1, "tab").unwrap();
    let processed = Variant::Processed(Preset::Adaptive);
    let get = |n: u64| {
        let (cache, tab) = (&cache, &tab);
        async move {
            cache
                .get_chunk_for(Some(tab), a, n, processed)
                .await
                .unwrap()
                .0
        }
    };
    let keyed = |key: &str, n: u64| {
        engine
            .render_keyed(a, key, n, &[processed])
            .pop()
            .unwrap()
            .unwrap()
    };

    // Never analysed: played on the fast profile.
    let fast_key = engine.describe(a).unwrap().processed_key;
    assert!(fast_key.starts_with("profile=fast;"), "{fast_key}");
    cache
        .update_position(&tab, a, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    let c0 = get(0).await;
    let c1_fast = get(1).await;
    assert_eq!(c0, keyed(&fast_key, 0));
    assert_eq!(c1_fast, keyed(&fast_key, 1));

    // The analysis stores the full profile. Until the listener reports again it stays on the
    // key it was described with: the same bytes.
    let a2 = a;
    let e2 = engine.clone();
    tokio::task::spawn_blocking(move || e2.analyse_full(a2))
        .await
        .unwrap()
        .unwrap();
    let full_key = engine.describe(a).unwrap().processed_key;
    assert!(full_key.starts_with("profile=full;"), "{full_key}");
    assert_eq!(get(1).await, c1_fast);

    // At its next position update it moves to the full profile's key: the next chunk is the
    // full profile's, and so is any chunk asked for again.
    cache
        .update_position(&tab, a, 1, Preset::Adaptive, None)
        .await
        .unwrap();
    let c2 = get(2).await;
    assert_eq!(c2, keyed(&full_key, 2));
    assert_ne!(c2, keyed(&fast_key, 2));
    let c1_full = get(1).await;
    assert_eq!(c1_full, keyed(&full_key, 1));
    assert_ne!(c1_full, c1_fast);
    // The old key still names the old bytes.
    assert_eq!(keyed(&fast_key, 1), c1_fast);
}
