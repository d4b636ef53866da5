//! Each user's music in the library: playlists (order, duplicates, visibility, owners, M3U round
//! trip), favourites, plays and their history, the saved queue, ratings, waveforms, lyrics from
//! `.lrc` files and from each kind of tag; and what happens to all of it when a track leaves the
//! library.

use std::fs;
use std::path::{Path, PathBuf};

use auralis_library::bench::{write_tags, TagSpec};
use auralis_library::lyrics::{read_lyrics, LyricsSource};
use auralis_library::people::m3u;
use auralis_library::people::{ItemKind, PlayOrder, PlaylistUpdate};
use auralis_library::{Library, LibraryError, PasswordPolicy, ScanProgress, SecretBox, User};
use lofty::config::WriteOptions;
use lofty::file::TaggedFileExt;
use lofty::prelude::*;
use lofty::tag::Tag;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

struct Env {
    _dir: tempfile::TempDir,
    music: PathBuf,
    lib: Library,
    secrets: SecretBox,
}

impl Env {
    fn user(&self, name: &str) -> User {
        self.lib
            .create_user(name, "a long password", false, &self.secrets)
            .unwrap()
    }

    fn scan(&self) {
        self.lib.scan(&self.music, &ScanProgress::new()).unwrap();
    }

    /// Track id by title.
    fn id(&self, title: &str) -> i64 {
        let (tracks, _) = self.lib.tracks(None, 1000, 0).unwrap();
        tracks
            .iter()
            .find(|t| t.title == title)
            .unwrap_or_else(|| panic!("no track {title}"))
            .id
    }
}

fn add(music: &Path, fixture: &str, rel: &str, title: &str, album: &str) -> PathBuf {
    let dest = music.join(rel);
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    fs::copy(Path::new(FIXTURES).join(fixture), &dest).unwrap();
    let mut perms = fs::metadata(&dest).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&dest, perms).unwrap();
    let spec = TagSpec {
        title: Some(title.into()),
        artist: Some("Drascula".into()),
        album: Some(album.into()),
        album_artist: Some("Drascula".into()),
        ..TagSpec::default()
    };
    write_tags(&dest, &spec).unwrap();
    dest
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music");
    add(
        &music,
        "drascula-track1-8s.flac",
        "A/01 one.flac",
        "One",
        "First",
    );
    add(
        &music,
        "drascula-track2-20s.flac",
        "A/02 two.flac",
        "Two",
        "First",
    );
    add(
        &music,
        "drascula-track11-20s.flac",
        "B/three.flac",
        "Three",
        "Second",
    );
    add(
        &music,
        "drascula-track1-8s.mp3",
        "B/four.mp3",
        "Four",
        "Second",
    );
    let lib = Library::open(dir.path().join("library.sqlite")).unwrap();
    lib.set_password_policy(PasswordPolicy::INSECURE_FAST)
        .unwrap();
    let secrets = SecretBox::open_or_create(dir.path().join("secret.key")).unwrap();
    let e = Env {
        _dir: dir,
        music,
        lib,
        secrets,
    };
    e.scan();
    e
}

fn titles(d: &auralis_library::people::PlaylistDetail) -> Vec<&str> {
    d.tracks.iter().map(|t| t.title.as_str()).collect()
}

#[test]
fn playlists_keep_order_and_duplicates_and_only_owners_change_them() {
    let e = env();
    let (ada, bob) = (e.user("ada"), e.user("bob"));
    let (one, two, three) = (e.id("One"), e.id("Two"), e.id("Three"));
    let p = e
        .lib
        .create_playlist(
            ada.id,
            "Mix",
            "for the road",
            false,
            &[two, one, two, three],
        )
        .unwrap();
    assert_eq!(titles(&p), vec!["Two", "One", "Two", "Three"]);
    assert_eq!(p.playlist.track_count, 4);
    assert_eq!(p.playlist.owner, "ada");
    let expected = p.tracks.iter().map(|t| t.duration_seconds).sum::<f64>();
    assert!((p.playlist.duration_seconds - expected).abs() < 1e-9);
    // Private: bob neither sees nor changes it.
    let id = p.playlist.id;
    assert!(e.lib.playlist(bob.id, id).unwrap().is_none());
    assert!(e.lib.playlists(bob.id).unwrap().is_empty());
    assert!(matches!(
        e.lib.delete_playlist(bob.id, id),
        Err(LibraryError::PlaylistNotFound(_))
    ));
    // Public: bob sees and reads it, still cannot change it.
    let public = PlaylistUpdate {
        public: Some(true),
        track_ids: Some(vec![three, three, one]),
        ..PlaylistUpdate::default()
    };
    let p = e.lib.update_playlist(ada.id, id, &public).unwrap();
    assert_eq!(titles(&p), vec!["Three", "Three", "One"]);
    assert_eq!(
        titles(&e.lib.playlist(bob.id, id).unwrap().unwrap()),
        titles(&p)
    );
    assert_eq!(e.lib.playlists(bob.id).unwrap().len(), 1);
    let rename = PlaylistUpdate {
        name: Some("Mine now".into()),
        ..PlaylistUpdate::default()
    };
    assert!(matches!(
        e.lib.update_playlist(bob.id, id, &rename),
        Err(LibraryError::NotYourPlaylist(_))
    ));
    // Unknown tracks and bad names are refused, nothing changes.
    let bad = PlaylistUpdate {
        track_ids: Some(vec![one, 999_999]),
        ..PlaylistUpdate::default()
    };
    assert!(matches!(
        e.lib.update_playlist(ada.id, id, &bad),
        Err(LibraryError::TrackNotFound(999_999))
    ));
    assert_eq!(
        titles(&e.lib.playlist(ada.id, id).unwrap().unwrap()).len(),
        3
    );
    assert!(e.lib.create_playlist(ada.id, "  ", "", false, &[]).is_err());
    e.lib.delete_playlist(ada.id, id).unwrap();
    assert!(e.lib.playlists(ada.id).unwrap().is_empty());
}

#[test]
fn a_track_that_leaves_the_library_leaves_playlists_favourites_and_plays() {
    let e = env();
    let ada = e.user("ada");
    let (one, two) = (e.id("One"), e.id("Two"));
    let p = e
        .lib
        .create_playlist(ada.id, "Mix", "", false, &[one, two, one])
        .unwrap();
    e.lib
        .set_favorite(ada.id, ItemKind::Track, two, true)
        .unwrap();
    e.lib.record_play(ada.id, two, 100).unwrap();
    e.lib
        .save_play_queue(ada.id, &[one, two, one], 1, 4.5)
        .unwrap();
    fs::remove_file(e.music.join("A/02 two.flac")).unwrap();
    e.scan();
    let p = e.lib.playlist(ada.id, p.playlist.id).unwrap().unwrap();
    assert_eq!(titles(&p), vec!["One", "One"]);
    assert_eq!(p.playlist.track_count, 2);
    assert!(e.lib.favorites(ada.id).unwrap().tracks.is_empty());
    assert_eq!(e.lib.history(ada.id, 10, 0).unwrap().1, 0);
    // The queue keeps pointing at the track it pointed at, or the one before when it is gone.
    let q = e.lib.play_queue(ada.id).unwrap();
    assert_eq!(q.track_ids, vec![one, one]);
    assert_eq!(q.current_index, 0);
}

#[test]
fn m3u_round_trip_and_imports_report_what_they_could_not_match() {
    let e = env();
    let ada = e.user("ada");
    let (one, three, four) = (e.id("One"), e.id("Three"), e.id("Four"));
    let p = e
        .lib
        .create_playlist(ada.id, "Trip", "", false, &[three, one, four, one])
        .unwrap();
    let text = m3u::export(&p);
    assert!(text.starts_with("#EXTM3U\n"));
    assert!(
        text.contains("#EXTINF:8,Drascula - One\nA/01 one.flac\n"),
        "{text}"
    );
    let back = e.lib.import_m3u(ada.id, "Trip again", &text).unwrap();
    assert!(back.unmatched.is_empty(), "{:?}", back.unmatched);
    assert_eq!(titles(&back.playlist), titles(&p));
    // Windows line endings, a BOM, absolute paths inside the folder, unknown lines.
    let root = e.music.canonicalize().unwrap();
    let text = format!(
        "\u{feff}#EXTM3U\r\n#EXTINF:20,whatever\r\n{}\\B\\three.flac\r\nB/missing.flac\r\n/not/the/music/folder.mp3\r\nA\\01 one.flac\r\n",
        root.display()
    )
    .replace(&format!("{}\\", root.display()), &format!("{}/", root.display()));
    let imported = e.lib.import_m3u(ada.id, "From Windows", &text).unwrap();
    assert_eq!(titles(&imported.playlist), vec!["Three", "One"]);
    assert_eq!(
        imported.unmatched,
        vec!["B/missing.flac", "/not/the/music/folder.mp3"]
    );
}

#[test]
fn favourites_plays_history_marks_and_ratings_are_per_user() {
    let e = env();
    let (ada, bob) = (e.user("ada"), e.user("bob"));
    let (one, two, three) = (e.id("One"), e.id("Two"), e.id("Three"));
    let (tracks, _) = e.lib.tracks(None, 10, 0).unwrap();
    let album = tracks
        .iter()
        .find(|t| t.id == one)
        .unwrap()
        .album_id
        .unwrap();
    let artist = tracks
        .iter()
        .find(|t| t.id == one)
        .unwrap()
        .artist_id
        .unwrap();
    e.lib
        .set_favorite(ada.id, ItemKind::Track, two, true)
        .unwrap();
    e.lib
        .set_favorite(ada.id, ItemKind::Track, one, true)
        .unwrap();
    e.lib
        .set_favorite(ada.id, ItemKind::Album, album, true)
        .unwrap();
    e.lib
        .set_favorite(ada.id, ItemKind::Artist, artist, true)
        .unwrap();
    e.lib
        .set_favorite(ada.id, ItemKind::Track, one, true)
        .unwrap(); // twice: no change
    let fav = e.lib.favorites(ada.id).unwrap();
    let fav_titles: Vec<_> = fav.tracks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(fav_titles.len(), 2);
    assert!(fav_titles.contains(&"One") && fav_titles.contains(&"Two"));
    assert_eq!(fav.albums.len(), 1);
    assert_eq!(fav.artists.len(), 1);
    assert!(e.lib.favorites(bob.id).unwrap().tracks.is_empty());
    assert!(matches!(
        e.lib.set_favorite(ada.id, ItemKind::Album, 999_999, true),
        Err(LibraryError::AlbumNotFound(_))
    ));
    e.lib
        .set_favorite(ada.id, ItemKind::Track, two, false)
        .unwrap();
    assert_eq!(
        e.lib
            .favorite_ids(ada.id, ItemKind::Track, &[one, two, three])
            .unwrap(),
        [one].into_iter().collect()
    );
    // Plays: history newest first, marks per user, albums by listening.
    e.lib.record_play(ada.id, one, 100).unwrap();
    e.lib.record_play(ada.id, three, 200).unwrap();
    e.lib.record_play(ada.id, three, 300).unwrap();
    e.lib.record_play(bob.id, two, 400).unwrap();
    let (history, total) = e.lib.history(ada.id, 2, 0).unwrap();
    assert_eq!(total, 3);
    let h: Vec<_> = history
        .iter()
        .map(|h| (h.track.title.as_str(), h.played_at))
        .collect();
    assert_eq!(h, vec![("Three", 300), ("Three", 200)]);
    assert_eq!(e.lib.history(ada.id, 2, 2).unwrap().0[0].played_at, 100);
    e.lib.set_rating(ada.id, three, 4).unwrap();
    assert!(matches!(
        e.lib.set_rating(ada.id, three, 6),
        Err(LibraryError::InvalidRating(6))
    ));
    let marks = e.lib.track_marks(ada.id, &[one, two, three]).unwrap();
    assert_eq!(marks[&three].play_count, 2);
    assert_eq!(marks[&three].last_played, Some(300));
    assert_eq!(marks[&three].rating, Some(4));
    assert!(marks[&one].favorite && marks[&one].play_count == 1);
    assert!(!marks.contains_key(&two), "bob's play is not ada's");
    let frequent: Vec<_> = e
        .lib
        .albums_by_plays(ada.id, PlayOrder::Frequent)
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert_eq!(frequent, vec!["Second", "First"]);
    let recent: Vec<_> = e
        .lib
        .albums_by_plays(bob.id, PlayOrder::Recent)
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert_eq!(recent, vec!["First"]);
    let top = e.lib.most_played_tracks(ada.id, 1).unwrap();
    assert_eq!((top[0].0.title.as_str(), top[0].1), ("Three", 2));
}

#[test]
fn the_queue_round_trips_per_user() {
    let e = env();
    let (ada, bob) = (e.user("ada"), e.user("bob"));
    assert_eq!(e.lib.play_queue(ada.id).unwrap().updated_at, None);
    let (one, two) = (e.id("One"), e.id("Two"));
    e.lib
        .save_play_queue(ada.id, &[two, one], 1, 12.25)
        .unwrap();
    let q = e.lib.play_queue(ada.id).unwrap();
    assert_eq!(
        (q.track_ids, q.current_index, q.position_s),
        (vec![two, one], 1, 12.25)
    );
    assert!(q.updated_at.is_some());
    assert!(e.lib.play_queue(bob.id).unwrap().track_ids.is_empty());
}

#[test]
fn waveforms_belong_to_a_file_version() {
    let e = env();
    let one = e.id("One");
    let peaks: Vec<u8> = (0..=255).collect();
    e.lib.set_waveform(one, &peaks).unwrap();
    assert_eq!(e.lib.waveform(one).unwrap().as_deref(), Some(&peaks[..]));
    // The file changes: the stored waveform no longer counts.
    let path = e.music.join("A/01 one.flac");
    let mut tagged = lofty::read_from_path(&path).unwrap();
    tagged
        .primary_tag_mut()
        .unwrap()
        .set_title("One (edited)".into());
    tagged.save_to_path(&path, WriteOptions::default()).unwrap();
    e.scan();
    assert_eq!(e.lib.waveform(one).unwrap(), None);
}

/// Writes `item` = `text` into the primary tag of the file at `path`.
fn tag_text(path: &Path, key: ItemKey, text: &str) {
    let mut tagged = lofty::read_from_path(path).unwrap();
    if tagged.primary_tag().is_none() {
        let t = tagged.primary_tag_type();
        tagged.insert_tag(Tag::new(t));
    }
    tagged
        .primary_tag_mut()
        .unwrap()
        .insert_text(key, text.into());
    tagged.save_to_path(path, WriteOptions::default()).unwrap();
}

#[test]
fn lyrics_from_an_lrc_file_and_from_each_kind_of_tag() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    let copy = |fixture: &str, name: &str| {
        let p = m.join(name);
        fs::copy(Path::new(FIXTURES).join(fixture), &p).unwrap();
        let mut perms = fs::metadata(&p).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&p, perms).unwrap();
        p
    };
    // An .lrc beside the file wins over the tags.
    let flac = copy("drascula-track1-8s.flac", "song.flac");
    tag_text(&flac, ItemKey::Lyrics, "from the tag");
    fs::write(m.join("song.LRC"), "[00:01.00]one\r\n[00:03.50]two\r\n").unwrap();
    let l = read_lyrics(&flac).unwrap();
    assert_eq!(
        (l.synced, l.source, l.lines.len()),
        (true, LyricsSource::Lrc, 2)
    );
    assert_eq!(l.lines[1].start_s, Some(3.5));
    // Vorbis LYRICS (here holding LRC text, as many taggers write it).
    let flac2 = copy("drascula-track1-8s.flac", "vorbis.flac");
    tag_text(&flac2, ItemKey::Lyrics, "[00:02.00]timed in a tag");
    let l = read_lyrics(&flac2).unwrap();
    assert_eq!((l.synced, l.source), (true, LyricsSource::Tag));
    assert_eq!(l.lines[0].text, "timed in a tag");
    // ID3 USLT.
    let mp3 = copy("drascula-track1-8s.mp3", "uslt.mp3");
    tag_text(&mp3, ItemKey::UnsyncLyrics, "plain words\nsecond line");
    let l = read_lyrics(&mp3).unwrap();
    assert!(!l.synced);
    assert_eq!(l.lines[1].text, "second line");
    // MP4 ©lyr.
    let m4a = copy("drascula-track1-8s.m4a", "mp4.m4a");
    tag_text(&m4a, ItemKey::Lyrics, "aac words");
    assert_eq!(read_lyrics(&m4a).unwrap().lines[0].text, "aac words");
    // ID3 SYLT: synced lyrics in the tag itself.
    let sylt = copy("drascula-track1-8s.mp3", "sylt.mp3");
    write_sylt(&sylt, Ms, &[(500, "first"), (2750, "second")]);
    let l = read_lyrics(&sylt).unwrap();
    assert!(l.synced);
    let got: Vec<_> = l
        .lines
        .iter()
        .map(|x| (x.start_s.unwrap(), x.text.as_str()))
        .collect();
    assert_eq!(got, vec![(0.5, "first"), (2.75, "second")]);
    // SYLT in the ID3 chunk of a WAV and of an AIFF.
    for name in ["sylt.wav", "sylt.aiff"] {
        let fixture = format!("drascula-track1-8s.{}", &name[5..]);
        let file = copy(&fixture, name);
        write_sylt(&file, Ms, &[(1250, "in a chunk")]);
        let l = read_lyrics(&file).unwrap_or_else(|| panic!("{name}: no lyrics"));
        assert!(l.synced, "{name}");
        assert_eq!(l.lines[0].start_s, Some(1.25), "{name}");
        assert_eq!(l.lines[0].text, "in a chunk", "{name}");
    }
    // SYLT timed in MPEG frames: 1152 samples each at the MP3's 44.1 kHz.
    let frames = copy("drascula-track1-8s.mp3", "frames.mp3");
    write_sylt(&frames, MpegFrames, &[(100, "a hundred frames in")]);
    let l = read_lyrics(&frames).unwrap();
    let at = l.lines[0].start_s.unwrap();
    assert!((at - 100.0 * 1152.0 / 44100.0).abs() < 1e-9, "{at}");
    // None at all.
    let bare = copy("drascula-track1-8s.wav", "bare.wav");
    assert!(read_lyrics(&bare).is_none());
}

use SyltTime::{MpegFrames, Ms};

/// The time unit of a SYLT frame.
enum SyltTime {
    Ms,
    MpegFrames,
}

/// Adds an ID3v2 SYLT frame (lyrics) to an MP3, WAV or AIFF file.
fn write_sylt(path: &Path, time: SyltTime, lines: &[(u32, &str)]) {
    use lofty::file::AudioFile;
    use lofty::id3::v2::{
        BinaryFrame, Frame, FrameId, Id3v2Tag, SyncTextContentType, SynchronizedTextFrame,
        TimestampFormat,
    };
    use lofty::TextEncoding;
    let format = match time {
        Ms => TimestampFormat::MS,
        MpegFrames => TimestampFormat::MPEG,
    };
    let frame = SynchronizedTextFrame::new(
        TextEncoding::UTF8,
        *b"eng",
        format,
        SyncTextContentType::Lyrics,
        None,
        lines.iter().map(|(t, s)| (*t, s.to_string())).collect(),
    );
    let bytes = frame.as_bytes(WriteOptions::default()).unwrap();
    let mut tag = Id3v2Tag::new();
    tag.insert(Frame::Binary(BinaryFrame::new(
        FrameId::Valid("SYLT".into()),
        bytes,
    )));
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let ext = path.extension().unwrap().to_str().unwrap();
    match ext {
        "mp3" => {
            let mut f = lofty::mpeg::MpegFile::read_from(&mut file, Default::default()).unwrap();
            f.set_id3v2(tag);
            drop(file);
            f.save_to_path(path, WriteOptions::default()).unwrap();
        }
        "wav" => {
            let mut f = lofty::iff::wav::WavFile::read_from(&mut file, Default::default()).unwrap();
            f.set_id3v2(tag);
            drop(file);
            f.save_to_path(path, WriteOptions::default()).unwrap();
        }
        _ => {
            let mut f =
                lofty::iff::aiff::AiffFile::read_from(&mut file, Default::default()).unwrap();
            f.set_id3v2(tag);
            drop(file);
            f.save_to_path(path, WriteOptions::default()).unwrap();
        }
    }
}
