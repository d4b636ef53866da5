//! Integration tests: scan a temporary music folder built from the real fixtures (copied, then
//! tagged with lofty), plus a corrupt file and a non-audio file.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use auralis_library::bench::{write_tags, TagSpec};
use auralis_library::{
    ArtworkSource, Library, LibraryError, ScanPhase, ScanProgress, ScanReport, Track,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// A 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];
/// Not a full JPEG, but starts like one: enough for a folder image served as bytes.
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2, 3,
];

struct Env {
    _dir: tempfile::TempDir,
    music: PathBuf,
    outside: PathBuf,
    lib: Library,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&music).unwrap();
    fs::create_dir_all(&outside).unwrap();
    let lib = Library::open(dir.path().join("data").join("library.db")).unwrap();
    Env {
        _dir: dir,
        music,
        outside,
        lib,
    }
}

/// Copies a fixture to `music/rel` (writable) and writes `spec` into it.
fn add(music: &Path, fixture: &str, rel: &str, spec: Option<TagSpec>) -> PathBuf {
    let dest = music.join(rel);
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    fs::copy(Path::new(FIXTURES).join(fixture), &dest).unwrap();
    let mut perms = fs::metadata(&dest).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&dest, perms).unwrap();
    if let Some(spec) = spec {
        write_tags(&dest, &spec).unwrap();
    }
    dest
}

fn tags(title: &str, artist: &str, album: &str, track: u32) -> TagSpec {
    TagSpec {
        title: Some(title.into()),
        artist: Some(artist.into()),
        album: Some(album.into()),
        track: Some(track),
        ..TagSpec::default()
    }
}

/// A folder with every fixture format, a corrupt file and a non-audio file.
fn build_music(music: &Path) {
    add(
        music,
        "drascula-track1-8s.flac",
        "Drascula/Soundtrack/01 Intro.flac",
        Some(TagSpec {
            album_artist: Some("Alcachofa Soft".into()),
            disc: Some(1),
            year: Some(1996),
            genre: Some("Game".into()),
            track_gain: Some("-6.52 dB".into()),
            track_peak: Some("0.988525".into()),
            album_gain: Some("-5.10 dB".into()),
            album_peak: Some("1.000000".into()),
            cover: Some((PNG.to_vec(), "image/png".into())),
            ..tags("Intro Theme", "Drascula Band", "Soundtrack", 1)
        }),
    );
    add(
        music,
        "drascula-track1-8s.mp3",
        "Drascula/Soundtrack/02 Castle.mp3",
        Some(TagSpec {
            album_artist: Some("Alcachofa Soft".into()),
            disc: Some(1),
            year: Some(1996),
            ..tags("Castle", "Drascula Band", "Soundtrack", 2)
        }),
    );
    add(
        music,
        "drascula-track1-8s.ogg",
        "Drascula/Soundtrack/03 Village.ogg",
        Some(TagSpec {
            album_artist: Some("Alcachofa Soft".into()),
            disc: Some(1),
            ..tags("Village", "Drascula Band", "Soundtrack", 3)
        }),
    );
    // Disc 2 in another folder, same album artist + album: one album.
    add(
        music,
        "drascula-track1-8s.opus",
        "Drascula/Soundtrack CD2/01 Finale.opus",
        Some(TagSpec {
            album_artist: Some("Alcachofa Soft".into()),
            disc: Some(2),
            ..tags("Finale", "Drascula Band", "Soundtrack", 1)
        }),
    );
    // A compilation without album artist: different artists, one folder.
    add(
        music,
        "drascula-track1-8s.m4a",
        "Compilation/a.m4a",
        Some(tags("Ñandú Song", "Ángel", "Hits", 1)),
    );
    add(
        music,
        "drascula-track1-8s.alac.m4a",
        "Compilation/b.m4a",
        Some(tags("Other Song", "Someone Else", "Hits", 2)),
    );
    // Folder artwork, case-insensitive name; the WAV keeps no tags (title from the stem).
    add(
        music,
        "drascula-track1-8s.wav",
        "Loose/Untitled Take.wav",
        None,
    );
    add(
        music,
        "drascula-track1-8s.aiff",
        "Loose/aiff take.AIFF",
        Some(tags("Aiff Take", "Solo", "Loose Ends", 1)),
    );
    fs::write(music.join("Loose/Cover.JPG"), JPEG).unwrap();
    add(
        music,
        "drascula-track1-8s-96k-24bit.flac",
        "HiRes/hires.flac",
        Some(tags("High", "Solo", "HiRes", 1)),
    );
    // Garbage named .flac, and a text file that is not music.
    fs::create_dir_all(music.join("Broken")).unwrap();
    let mut noise = Vec::with_capacity(50_000);
    let mut x = 12345u32;
    for _ in 0..50_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    fs::write(music.join("Broken/corrupt.flac"), &noise).unwrap();
    fs::write(music.join("Broken/notes.txt"), "not music").unwrap();
}

fn all_tracks(lib: &Library) -> Vec<Track> {
    lib.tracks(None, 1000, 0).unwrap().0
}

fn by_path(lib: &Library, path: &str) -> Track {
    all_tracks(lib)
        .into_iter()
        .find(|t| t.path == path)
        .unwrap_or_else(|| panic!("no track {path}"))
}

fn scan(env: &Env) -> ScanReport {
    env.lib.scan(&env.music, &ScanProgress::default()).unwrap()
}

fn set_mtime(path: &Path, secs: u64) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

#[test]
fn first_scan_reads_tags_of_every_format_and_lists_the_corrupt_file() {
    let env = env();
    build_music(&env.music);
    let progress = ScanProgress::new();
    let report = env.lib.scan(&env.music, &progress).unwrap();
    assert_eq!(report.added, 9, "{report:?}");
    assert_eq!(
        (report.updated, report.removed, report.unchanged),
        (0, 0, 0)
    );
    assert_eq!(report.unreadable, 1);
    let snap = progress.snapshot();
    assert_eq!(snap.phase, ScanPhase::Done);
    assert_eq!(snap.total, Some(10));
    assert_eq!(snap.processed, 10);
    assert_eq!(snap.files_seen, 10);

    let intro = by_path(&env.lib, "Drascula/Soundtrack/01 Intro.flac");
    assert_eq!(intro.title, "Intro Theme");
    assert_eq!(intro.artist.as_deref(), Some("Drascula Band"));
    assert_eq!(intro.album.as_deref(), Some("Soundtrack"));
    assert_eq!(intro.album_artist.as_deref(), Some("Alcachofa Soft"));
    assert_eq!((intro.track_number, intro.disc_number), (Some(1), Some(1)));
    assert_eq!(intro.year, Some(1996));
    assert_eq!(intro.genre.as_deref(), Some("Game"));
    assert_eq!(intro.format, "flac");
    assert_eq!(intro.sample_rate, Some(44_100));
    assert_eq!(intro.channels, Some(2));
    assert_eq!(intro.bit_depth, Some(16));
    assert!(
        (intro.duration_seconds - 8.0).abs() < 0.1,
        "{}",
        intro.duration_seconds
    );
    assert_eq!(intro.replay_gain.track_gain_db, Some(-6.52));
    assert_eq!(intro.replay_gain.track_peak, Some(0.988525));
    assert_eq!(intro.replay_gain.album_gain_db, Some(-5.10));
    assert_eq!(intro.replay_gain.album_peak, Some(1.0));
    assert_eq!(intro.artwork, Some(ArtworkSource::Embedded));
    let size = fs::metadata(env.music.join(&intro.path)).unwrap().len();
    assert_eq!(intro.signature.size, size);
    assert_ne!(intro.signature.content_hash, 0);

    let castle = by_path(&env.lib, "Drascula/Soundtrack/02 Castle.mp3");
    assert_eq!(castle.format, "mp3");
    assert_eq!(castle.title, "Castle");
    assert_eq!(castle.year, Some(1996));
    assert_eq!(castle.bit_depth, None);
    assert!((castle.duration_seconds - 8.0).abs() < 0.2);

    for (path, format, title) in [
        ("Drascula/Soundtrack/03 Village.ogg", "ogg", "Village"),
        ("Drascula/Soundtrack CD2/01 Finale.opus", "opus", "Finale"),
        ("Compilation/a.m4a", "mp4", "Ñandú Song"),
        ("Compilation/b.m4a", "mp4", "Other Song"),
        ("Loose/aiff take.AIFF", "aiff", "Aiff Take"),
        ("HiRes/hires.flac", "flac", "High"),
    ] {
        let t = by_path(&env.lib, path);
        assert_eq!(
            (t.format.as_str(), t.title.as_str()),
            (format, title),
            "{path}"
        );
        assert!(t.duration_seconds > 7.5, "{path}: {}", t.duration_seconds);
    }
    let untagged = by_path(&env.lib, "Loose/Untitled Take.wav");
    assert_eq!(untagged.title, "Untitled Take");
    assert_eq!(untagged.artist, None);
    assert_eq!(untagged.format, "wav");
    assert_eq!(
        untagged.artwork,
        Some(ArtworkSource::Folder("Loose/Cover.JPG".into()))
    );
    let hires = by_path(&env.lib, "HiRes/hires.flac");
    assert_eq!(
        (hires.sample_rate, hires.bit_depth),
        (Some(96_000), Some(24))
    );
    assert_eq!(hires.artwork, None);

    let unreadable = env.lib.unreadable().unwrap();
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].path, "Broken/corrupt.flac");
    assert!(!unreadable[0].reason.is_empty());
    assert!(all_tracks(&env.lib)
        .iter()
        .all(|t| !t.path.contains("Broken")));

    let counts = env.lib.counts().unwrap();
    assert_eq!((counts.tracks, counts.unreadable), (9, 1));
}

#[test]
fn unchanged_files_are_not_reread_and_changes_are_picked_up_with_stable_ids() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let before = all_tracks(&env.lib);

    let again = scan(&env);
    assert_eq!(
        (
            again.added,
            again.updated,
            again.removed,
            again.unchanged,
            again.unreadable
        ),
        (0, 0, 0, 9, 1)
    );
    assert_eq!(all_tracks(&env.lib), before);

    // Same size and mtime, content garbage: not re-read, so the old tags stay.
    let castle_path = env.music.join("Drascula/Soundtrack/02 Castle.mp3");
    let mtime = fs::metadata(&castle_path).unwrap().modified().unwrap();
    let len = fs::metadata(&castle_path).unwrap().len() as usize;
    fs::write(&castle_path, vec![0u8; len]).unwrap();
    fs::File::options()
        .write(true)
        .open(&castle_path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let report = scan(&env);
    assert_eq!(report.unchanged, 9);
    assert_eq!(
        by_path(&env.lib, "Drascula/Soundtrack/02 Castle.mp3").title,
        "Castle"
    );

    // Add one, modify one in place (tags rewritten, mtime moved), delete one.
    let id_of = |path: &str| before.iter().find(|t| t.path == path).unwrap().id;
    add(
        &env.music,
        "drascula-track2-20s.flac",
        "Drascula/Soundtrack/04 New.flac",
        Some(TagSpec {
            album_artist: Some("Alcachofa Soft".into()),
            disc: Some(1),
            ..tags("New One", "Drascula Band", "Soundtrack", 4)
        }),
    );
    let village = env.music.join("Drascula/Soundtrack/03 Village.ogg");
    write_tags(
        &village,
        &TagSpec {
            title: Some("Village (Remix)".into()),
            genre: Some("Remix".into()),
            ..TagSpec::default()
        },
    )
    .unwrap();
    set_mtime(&village, 2_000_000_000);
    let old_village = by_path(&env.lib, "Drascula/Soundtrack/03 Village.ogg");
    fs::remove_file(env.music.join("HiRes/hires.flac")).unwrap();

    let report = scan(&env);
    assert_eq!(
        (
            report.added,
            report.updated,
            report.removed,
            report.unchanged
        ),
        (1, 1, 1, 7),
        "{report:?}"
    );
    let village_track = by_path(&env.lib, "Drascula/Soundtrack/03 Village.ogg");
    assert_eq!(
        village_track.id,
        id_of("Drascula/Soundtrack/03 Village.ogg")
    );
    assert_eq!(village_track.title, "Village (Remix)");
    assert_eq!(village_track.genre.as_deref(), Some("Remix"));
    assert_ne!(village_track.signature, old_village.signature);
    assert_eq!(
        by_path(&env.lib, "Drascula/Soundtrack/01 Intro.flac").id,
        id_of("Drascula/Soundtrack/01 Intro.flac")
    );
    let new = by_path(&env.lib, "Drascula/Soundtrack/04 New.flac");
    assert!(new.id > before.iter().map(|t| t.id).max().unwrap());
    assert!((new.duration_seconds - 20.0).abs() < 0.2);
    assert!(all_tracks(&env.lib)
        .iter()
        .all(|t| t.path != "HiRes/hires.flac"));
    assert!(env.lib.track(id_of("HiRes/hires.flac")).unwrap().is_none());
    // Its album disappeared with it.
    assert!(env.lib.albums().unwrap().iter().all(|a| a.title != "HiRes"));
}

#[test]
fn unreadable_files_are_retried_only_when_changed_and_vanish_when_fixed_or_deleted() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let corrupt = env.music.join("Broken/corrupt.flac");
    // Replaced by a real file: indexed now, no longer unreadable.
    fs::copy(
        Path::new(FIXTURES).join("drascula-track1-8s-mono.flac"),
        &corrupt,
    )
    .unwrap();
    set_mtime(&corrupt, 1_900_000_000);
    let report = scan(&env);
    assert_eq!((report.added, report.unreadable), (1, 0));
    let fixed = by_path(&env.lib, "Broken/corrupt.flac");
    assert_eq!(fixed.channels, Some(1));
    assert!(env.lib.unreadable().unwrap().is_empty());

    // A readable track that turns corrupt leaves the tracks for the unreadable list.
    fs::write(&corrupt, b"garbage garbage garbage").unwrap();
    let report = scan(&env);
    assert_eq!((report.removed, report.unreadable), (1, 1));
    assert!(env.lib.track(fixed.id).unwrap().is_none());
    // Deleted: gone from the list too.
    fs::remove_file(&corrupt).unwrap();
    let report = scan(&env);
    assert_eq!(report.unreadable, 0);
    assert!(env.lib.unreadable().unwrap().is_empty());
}

#[test]
fn search_is_case_insensitive_over_title_artist_and_album() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let titles = |q: &str| -> Vec<String> {
        let (tracks, total) = env.lib.tracks(Some(q), 100, 0).unwrap();
        assert_eq!(total as usize, tracks.len());
        let mut t: Vec<String> = tracks.into_iter().map(|t| t.title).collect();
        t.sort();
        t
    };
    assert_eq!(titles("castle"), ["Castle"]);
    assert_eq!(titles("DRASCULA band").len(), 4);
    assert_eq!(titles("soundtrack finale"), ["Finale"]);
    assert_eq!(titles("ñANDÚ"), ["Ñandú Song"]);
    assert_eq!(titles("ángel"), ["Ñandú Song"]);
    assert_eq!(titles("hits"), ["Other Song", "Ñandú Song"]);
    assert_eq!(titles("alcachofa").len(), 4);
    assert!(titles("no such thing").is_empty());
    // Paging.
    let (page, total) = env.lib.tracks(None, 3, 2).unwrap();
    assert_eq!((page.len(), total), (3, 9));
    let (all, _) = env.lib.tracks(Some("   "), 100, 0).unwrap();
    assert_eq!(all.len(), 9);
    assert_eq!(all[2..5], page[..]);
}

/// Artist and album searches take the words in any order, as the track search does (apps send
/// "beatles abbey"), and an empty query lists everything.
#[test]
fn artist_and_album_searches_match_every_word_in_any_order() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let albums = |q: &str| -> Vec<String> {
        let mut t: Vec<String> = env
            .lib
            .search_albums(q, 100, 0)
            .unwrap()
            .into_iter()
            .map(|a| a.title)
            .collect();
        t.sort();
        t
    };
    let artists = |q: &str| -> Vec<String> {
        let mut n: Vec<String> = env
            .lib
            .search_artists(q, 100, 0)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        albums("SOFT sound"),
        ["Soundtrack"],
        "title and artist words together"
    );
    assert_eq!(albums("soundtrack alcachofa"), ["Soundtrack"]);
    assert!(
        albums("soundtrack hits").is_empty(),
        "every word must match"
    );
    assert_eq!(albums("loose"), ["Loose", "Loose Ends"]);
    assert_eq!(albums("ends loose"), ["Loose Ends"]);
    assert_eq!(albums("   ").len(), albums("").len());
    assert!(albums("").len() >= 4, "{:?}", albums(""));
    assert_eq!(artists("band drascula"), ["Drascula Band"]);
    assert!(artists("drascula solo").is_empty());
    assert_eq!(
        artists("100%").len(),
        0,
        "LIKE's own characters are literal"
    );
    let page = env.lib.search_albums("", 2, 1).unwrap();
    let all = env.lib.search_albums("", 100, 0).unwrap();
    assert_eq!(page[..], all[1..3]);
}

#[test]
fn albums_group_by_album_artist_or_folder_and_order_tracks_by_disc_and_number() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let albums = env.lib.albums().unwrap();
    let titles: Vec<(&str, Option<&str>)> = albums
        .iter()
        .map(|a| (a.title.as_str(), a.artist.as_deref()))
        .collect();
    assert_eq!(
        titles,
        [
            ("Soundtrack", Some("Alcachofa Soft")),
            ("HiRes", Some("Solo")),
            ("Loose Ends", Some("Solo")),
            ("Hits", Some("Various Artists")),
            ("Loose", None),
        ]
    );
    let soundtrack = &albums[0];
    assert_eq!(soundtrack.track_count, 4);
    assert_eq!(soundtrack.year, Some(1996));
    let detail = env.lib.album(soundtrack.id).unwrap().unwrap();
    let order: Vec<&str> = detail.tracks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(order, ["Intro Theme", "Castle", "Village", "Finale"]);
    assert_eq!(detail.album.artwork_track_id, Some(detail.tracks[0].id));
    assert!((detail.album.duration_seconds - 32.0).abs() < 0.5);

    let artists = env.lib.artists().unwrap();
    let names: Vec<(&str, u32, u32)> = artists
        .iter()
        .map(|a| (a.name.as_str(), a.track_count, a.album_count))
        .collect();
    assert_eq!(
        names,
        [
            ("Alcachofa Soft", 0, 1),
            ("Drascula Band", 4, 1),
            ("Solo", 2, 2),
            ("Someone Else", 1, 1),
            ("Ángel", 1, 1),
        ]
    );
    let solo = artists.iter().find(|a| a.name == "Solo").unwrap();
    assert_eq!(env.lib.artist_albums(solo.id).unwrap().len(), 2);
    assert!(env.lib.album(i64::MAX).unwrap().is_none());

    // Album ids are stable across rescans that touch other albums.
    fs::remove_file(env.music.join("HiRes/hires.flac")).unwrap();
    scan(&env);
    let after = env.lib.albums().unwrap();
    assert_eq!(after.len(), 4);
    assert_eq!(after[0].id, soundtrack.id);
    let names: Vec<String> = env
        .lib
        .artists()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert!(names.contains(&"Solo".to_string()));
}

#[test]
fn artwork_comes_from_the_file_or_the_folder() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let intro = by_path(&env.lib, "Drascula/Soundtrack/01 Intro.flac");
    let (bytes, mime) = env.lib.artwork(intro.id).unwrap().unwrap();
    assert_eq!(bytes, PNG);
    assert_eq!(mime, "image/png");

    let loose = by_path(&env.lib, "Loose/Untitled Take.wav");
    let (bytes, mime) = env.lib.artwork(loose.id).unwrap().unwrap();
    assert_eq!(bytes, JPEG);
    assert_eq!(mime, "image/jpeg");

    let hires = by_path(&env.lib, "HiRes/hires.flac");
    assert_eq!(env.lib.artwork(hires.id).unwrap(), None);
    assert!(matches!(
        env.lib.artwork(i64::MAX),
        Err(LibraryError::TrackNotFound(_))
    ));

    // A cover added later is picked up by a rescan without re-reading the track.
    fs::write(env.music.join("HiRes/folder.png"), PNG).unwrap();
    let report = scan(&env);
    assert_eq!((report.updated, report.unchanged), (1, 9));
    let hires = by_path(&env.lib, "HiRes/hires.flac");
    assert_eq!(
        hires.artwork,
        Some(ArtworkSource::Folder("HiRes/folder.png".into()))
    );
    assert_eq!(env.lib.artwork(hires.id).unwrap().unwrap().1, "image/png");
    // The cover image is removed: served as none, and cleared by the next scan.
    fs::remove_file(env.music.join("HiRes/folder.png")).unwrap();
    assert_eq!(env.lib.artwork(hires.id).unwrap(), None);
    scan(&env);
    assert_eq!(by_path(&env.lib, "HiRes/hires.flac").artwork, None);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_music_folder_are_not_followed() {
    use std::os::unix::fs::symlink;
    let env = env();
    add(
        &env.music,
        "drascula-track1-8s.flac",
        "In/inside.flac",
        None,
    );
    add(&env.outside, "drascula-track1-8s.flac", "secret.flac", None);
    add(
        &env.outside,
        "drascula-track1-8s.mp3",
        "dir/secret.mp3",
        None,
    );
    fs::write(env.outside.join("dir/cover.jpg"), JPEG).unwrap();
    symlink(
        env.outside.join("secret.flac"),
        env.music.join("In/link.flac"),
    )
    .unwrap();
    symlink(env.outside.join("dir"), env.music.join("linkdir")).unwrap();
    // Links that stay inside are fine, and a link loop ends.
    symlink(
        env.music.join("In/inside.flac"),
        env.music.join("In/alias.flac"),
    )
    .unwrap();
    symlink(&env.music, env.music.join("In/loop")).unwrap();
    let report = scan(&env);
    let paths: Vec<String> = all_tracks(&env.lib).into_iter().map(|t| t.path).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths.contains(&"In/inside.flac".to_string()));
    assert!(paths.contains(&"In/alias.flac".to_string()));
    assert_eq!(report.unreadable, 0);

    // A track file swapped for a link to the outside after the scan is refused at read time.
    let inside = by_path(&env.lib, "In/inside.flac");
    assert!(env
        .lib
        .track_path(inside.id)
        .unwrap()
        .ends_with("In/inside.flac"));
    assert!(env.lib.track_path(inside.id).unwrap().is_absolute());
    fs::remove_file(env.music.join("In/inside.flac")).unwrap();
    symlink(
        env.outside.join("secret.flac"),
        env.music.join("In/inside.flac"),
    )
    .unwrap();
    assert!(matches!(
        env.lib.track_path(inside.id),
        Err(LibraryError::OutsideLibrary(_))
    ));
    assert!(matches!(
        env.lib.track_path(i64::MAX),
        Err(LibraryError::TrackNotFound(_))
    ));
}

#[test]
fn a_missing_music_folder_is_an_error_and_keeps_the_library() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let missing = env.music.join("nope");
    assert!(env.lib.scan(&missing, &ScanProgress::default()).is_err());
    assert_eq!(all_tracks(&env.lib).len(), 9);
}

#[test]
fn settings_round_trip_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.db");
    {
        let lib = Library::open(&db).unwrap();
        assert_eq!(lib.setting("enhancement").unwrap(), None);
        lib.set_setting("enhancement", r#"{"on":true,"preset":"warm"}"#)
            .unwrap();
        lib.set_setting("volume", "0.5").unwrap();
        lib.set_setting("volume", "0.7").unwrap();
        lib.set_setting("gone", "x").unwrap();
        lib.remove_setting("gone").unwrap();
    }
    let lib = Library::open(&db).unwrap();
    assert_eq!(
        lib.setting("enhancement").unwrap().as_deref(),
        Some(r#"{"on":true,"preset":"warm"}"#)
    );
    assert_eq!(lib.setting("volume").unwrap().as_deref(), Some("0.7"));
    assert_eq!(lib.setting("gone").unwrap(), None);
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct FakeProfile {
    version: u32,
    integrated_lufs: f64,
}

#[test]
fn profiles_are_stored_per_track_and_go_stale_when_the_file_changes() {
    let env = env();
    build_music(&env.music);
    scan(&env);
    let intro = by_path(&env.lib, "Drascula/Soundtrack/01 Intro.flac");
    let castle = by_path(&env.lib, "Drascula/Soundtrack/02 Castle.mp3");
    assert_eq!(env.lib.tracks_without_profile().unwrap().len(), 9);
    assert_eq!(env.lib.profile::<FakeProfile>(intro.id).unwrap(), None);

    let profile = FakeProfile {
        version: 1,
        integrated_lufs: -12.5,
    };
    env.lib.set_profile(intro.id, &profile).unwrap();
    env.lib
        .set_profile_json(castle.id, "{\"other\":true}")
        .unwrap();
    assert_eq!(
        env.lib.profile::<FakeProfile>(intro.id).unwrap(),
        Some(profile)
    );
    // Stored but not of this shape: missing for the caller.
    assert_eq!(env.lib.profile::<FakeProfile>(castle.id).unwrap(), None);
    assert_eq!(
        env.lib.profile_json(castle.id).unwrap().as_deref(),
        Some("{\"other\":true}")
    );
    let missing = env.lib.tracks_without_profile().unwrap();
    assert_eq!(missing.len(), 7);
    assert!(!missing.contains(&intro.id) && !missing.contains(&castle.id));
    // The analysis has work for every track (no waveform yet): with waveforms, only for
    // profiles that are not the current format's full analysis.
    assert_eq!(env.lib.tracks_to_analyse(2).unwrap().len(), 9);
    let all: Vec<i64> = env
        .lib
        .tracks(None, 100, 0)
        .unwrap()
        .0
        .iter()
        .map(|t| t.id)
        .collect();
    for id in &all {
        env.lib.set_waveform(*id, &[1, 2, 3]).unwrap();
    }
    let full = |version: u32| format!("{{\"version\":{version},\"kind\":\"Full\"}}");
    let others: Vec<i64> = all
        .iter()
        .copied()
        .filter(|id| *id != intro.id && *id != castle.id)
        .collect();
    for id in &others {
        env.lib.set_profile_json(*id, &full(2)).unwrap();
    }
    assert_eq!(env.lib.tracks_to_analyse(2).unwrap(), {
        let mut v = vec![intro.id, castle.id]; // no kind; not a profile's shape at all
        v.sort();
        v
    });
    env.lib.set_profile_json(intro.id, &full(2)).unwrap();
    env.lib
        .set_profile_json(castle.id, "{\"version\":2,\"kind\":\"Fast\"}")
        .unwrap();
    assert_eq!(env.lib.tracks_to_analyse(2).unwrap(), vec![castle.id]);
    env.lib.set_profile_json(castle.id, &full(1)).unwrap();
    assert_eq!(env.lib.tracks_to_analyse(2).unwrap(), vec![castle.id]);
    assert!(env.lib.tracks_to_analyse(1).unwrap().is_empty());
    env.lib.set_profile_json(intro.id, "not json").unwrap();
    assert_eq!(env.lib.tracks_to_analyse(1).unwrap(), vec![intro.id]);
    assert!(matches!(
        env.lib.set_profile_json(i64::MAX, "{}"),
        Err(LibraryError::TrackNotFound(_))
    ));

    // Unchanged rescan keeps it; a changed file drops it.
    scan(&env);
    assert!(env.lib.profile_json(intro.id).unwrap().is_some());
    let path = env.music.join(&intro.path);
    write_tags(
        &path,
        &TagSpec {
            title: Some("Intro (edit)".into()),
            ..TagSpec::default()
        },
    )
    .unwrap();
    set_mtime(&path, 2_100_000_000);
    scan(&env);
    assert_eq!(env.lib.profile_json(intro.id).unwrap(), None);
    assert!(env
        .lib
        .tracks_without_profile()
        .unwrap()
        .contains(&intro.id));
}

#[test]
fn the_library_is_usable_from_several_threads() {
    let env = env();
    build_music(&env.music);
    let lib = std::sync::Arc::new(env.lib);
    lib.scan(&env.music, &ScanProgress::default()).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let lib = lib.clone();
            std::thread::spawn(move || {
                for j in 0..20 {
                    assert_eq!(lib.tracks(None, 100, 0).unwrap().1, 9);
                    lib.set_setting(&format!("k{i}"), &j.to_string()).unwrap();
                }
                lib.setting(&format!("k{i}")).unwrap()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().as_deref(), Some("19"));
    }
}

// -- a damaged database -----------------------------------------------------------------------

/// One clear error, naming the file, the cause and what to do.
fn assert_not_a_database(db: &Path) {
    let err = match Library::open(db) {
        Err(e) => e,
        Ok(_) => panic!("a damaged database opened"),
    };
    let message = err.to_string();
    assert!(
        matches!(err, LibraryError::NotADatabase { ref path, .. } if path == db),
        "{err:?}"
    );
    let shown = db.display();
    assert!(
        message.starts_with(&format!(
            "{shown} is not a readable Auralis library database ("
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("`mv {shown} {shown}.broken`")),
        "{message}"
    );
    assert!(
        message.ends_with("and start again to create a new one"),
        "{message}"
    );
}

#[test]
fn a_file_of_random_bytes_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.sqlite");
    // Deterministic noise (xorshift).
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(&db, noise).unwrap();
    assert_not_a_database(&db);
    let message = Library::open(&db).err().unwrap().to_string();
    assert!(message.contains("(file is not a database)"), "{message}");

    // A path a shell would split is quoted, and a write-ahead log beside it is named.
    let spaced = dir.path().join("my data").join("library.sqlite");
    fs::create_dir_all(spaced.parent().unwrap()).unwrap();
    fs::copy(&db, &spaced).unwrap();
    let wal = format!("{}-wal", spaced.display());
    fs::write(&wal, b"").unwrap();
    let message = Library::open(&spaced).err().unwrap().to_string();
    let quoted = |p: &str| format!("'{p}'");
    assert!(
        message.contains(&format!("(and {} beside it)", quoted(&wal))),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "`mv {} {}`",
            quoted(&spaced.display().to_string()),
            quoted(&format!("{}.broken", spaced.display()))
        )),
        "{message}"
    );
}

#[test]
fn a_truncated_database_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.sqlite");
    {
        let lib = Library::open(&db).unwrap();
        for i in 0..2000 {
            lib.set_setting(&format!("key {i}"), &"v".repeat(20))
                .unwrap();
        }
    }
    let full = fs::read(&db).unwrap();
    assert!(full.len() > 8 * 4096, "{}", full.len());
    assert!(!Path::new(&format!("{}-wal", db.display())).exists());
    // Cut mid-file, and cut inside the 100-byte header.
    for cut in [full.len() / 2, 4096, 50] {
        fs::write(&db, &full[..cut]).unwrap();
        assert_not_a_database(&db);
    }
}
