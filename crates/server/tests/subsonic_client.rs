//! A real Subsonic client library (the `opensubsonic` crate, as an app would use it) driving
//! the real server: its typed models must parse every answer, with token, plain and API-key
//! auth, through a listening session (browse, search, stream, star, scrobble, playlist, queue,
//! lyrics, cover art).
mod common;

use common::*;
use opensubsonic::{
    Auth, Client, Search3Options, StreamOptions, SubsonicErrorCode, UpdatePlaylistOptions,
};

fn client(ts: &TestServer, auth: Auth) -> Client {
    Client::new(&ts.base, auth).unwrap()
}

fn decode_len(bytes: &[u8], ext: &str) -> (usize, u32) {
    use std::io::Write;
    let mut f = tempfile::Builder::new()
        .suffix(&format!(".{ext}"))
        .tempfile()
        .unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    let mut s = auralis_source::Source::open(f.path()).unwrap();
    let rate = s.info().rate;
    (s.read_all().unwrap().len(), rate)
}

#[tokio::test]
async fn a_client_library_listens_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (m, d) = (dir.path().join("music"), dir.path().join("data"));
    standard_library(&m);
    let ts = TestServer::start(&m, &d).await;
    let app = client(&ts, Auth::token(ADMIN, ADMIN_PASSWORD));

    // Start-up, as apps do it.
    app.ping().await.unwrap();
    assert!(app.get_license().await.unwrap().valid);
    let ext = app.get_open_subsonic_extensions().await.unwrap();
    assert!(ext.iter().any(|e| e.name == "transcodeOffset"));
    let folders = app.get_music_folders().await.unwrap();
    assert_eq!(folders.len(), 1);

    // Browse by tags.
    let artists = app.get_artists(None).await.unwrap();
    let artist = artists
        .index
        .iter()
        .flat_map(|i| i.artist.iter())
        .find(|a| a.name == "Artist A")
        .expect("Artist A")
        .clone();
    let artist = app.get_artist(&artist.id).await.unwrap();
    let album = app.get_album(&artist.album[0].id).await.unwrap();
    let titles: Vec<&str> = album.song.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Intro", "Theme"]);
    let theme = album.song[1].clone();
    assert_eq!(app.get_song(&theme.id).await.unwrap().title, "Theme");

    // Sync the library the way apps do: an empty search, paged.
    let mut synced = 0;
    loop {
        let page = app
            .search3(
                "",
                &Search3Options::new()
                    .artist_count(0)
                    .album_count(0)
                    .song_count(3)
                    .song_offset(synced),
            )
            .await
            .unwrap();
        if page.song.is_empty() {
            break;
        }
        synced += page.song.len() as i32;
    }
    assert_eq!(synced as usize, ts.tracks().await.len());

    // Stream: mastered FLAC by default, Opus under a bitrate, from an offset.
    let flac = app.stream(&theme.id, &StreamOptions::new()).await.unwrap();
    let (flac_len, rate) = decode_len(&flac, "flac");
    assert_eq!(rate, 44100);
    let total = flac_len as u64;
    let opus = app
        .stream(
            &theme.id,
            &StreamOptions::new().format("opus").max_bit_rate(96),
        )
        .await
        .unwrap();
    assert_eq!(
        decode_len(&opus, "opus").0 as u64,
        auralis_transcode::opus_output_len(total, 44100)
    );
    let later = app
        .stream(&theme.id, &StreamOptions::new().time_offset(5))
        .await
        .unwrap();
    assert_eq!(decode_len(&later, "flac").0 as u64, total - 5 * 44100);
    let raw = app.download(&theme.id).await.unwrap();
    assert_eq!(
        raw.to_vec(),
        std::fs::read(m.join("Artist A/Album A/02 Theme.flac")).unwrap()
    );

    // The user's own music.
    app.star(&[&theme.id], &[&album.id], &[]).await.unwrap();
    let starred = app.get_starred2(None).await.unwrap();
    assert_eq!(starred.song[0].id, theme.id);
    assert_eq!(starred.album[0].id, album.id);
    app.set_rating(&theme.id, 4).await.unwrap();
    app.scrobble(&theme.id, None, Some(false)).await.unwrap();
    let playing = app.get_now_playing().await.unwrap();
    assert!(
        playing.iter().any(|e| e.child.id == theme.id),
        "{playing:?}"
    );
    app.scrobble(&theme.id, None, Some(true)).await.unwrap();
    let song = app.get_song(&theme.id).await.unwrap();
    assert_eq!(song.play_count, Some(1));
    assert_eq!(song.user_rating, Some(4));

    let list = app
        .create_playlist(None, Some("For the road"), &[&theme.id, &album.song[0].id])
        .await
        .unwrap();
    app.update_playlist(&list.id, &UpdatePlaylistOptions::new().remove_index(0))
        .await
        .unwrap();
    let list = app.get_playlist(&list.id).await.unwrap();
    assert_eq!(list.entry.len(), 1);
    assert_eq!(list.entry[0].title, "Intro");
    assert_eq!(app.get_playlists(None).await.unwrap().len(), 1);
    app.delete_playlist(&list.id).await.unwrap();

    app.save_play_queue(&[&theme.id], Some(&theme.id), Some(61_000))
        .await
        .unwrap();
    let q = app.get_play_queue().await.unwrap();
    assert_eq!(
        (q.current.as_deref(), q.position),
        (Some(theme.id.as_str()), Some(61_000))
    );

    let cover = app.get_cover_art(&album.id, Some(64)).await.unwrap();
    assert_eq!(cover.to_vec(), PNG);
    let lyrics = app.get_lyrics_by_song_id(&theme.id, None).await.unwrap();
    assert!(lyrics.structured_lyrics.is_empty());

    // The other auth modes, and the errors the library reports.
    client(&ts, Auth::plain(ADMIN, ADMIN_PASSWORD))
        .ping()
        .await
        .unwrap();
    let key: serde_json::Value = ts
        .post_json("/api/auth/keys", serde_json::json!({"name": "client"}))
        .await
        .json()
        .await
        .unwrap();
    let keyed = client(&ts, Auth::api_key(key["key"].as_str().unwrap()));
    assert_eq!(keyed.get_user(ADMIN).await.unwrap().username, ADMIN);
    let wrong = client(&ts, Auth::token(ADMIN, "not the password"));
    let e = wrong.ping().await.unwrap_err();
    assert_eq!(
        e.api_error_code(),
        Some(SubsonicErrorCode::WrongCredentials)
    );
    let e = app.get_song("tr-987654").await.unwrap_err();
    assert_eq!(e.api_error_code(), Some(SubsonicErrorCode::NotFound));
    ts.shutdown().await;
}
