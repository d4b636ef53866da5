//! Shared test harness: a generated music folder, a server on an ephemeral loopback port, an
//! HTTP client and an SSE reader. Waiting is always bounded (a deadline or a counted loop over
//! real events), never a sleep standing in for synchronisation.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use auralis_server::{Server, ServerConfig};
use futures::StreamExt;
use lofty::config::WriteOptions;
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::prelude::*;
use lofty::tag::{Tag, TagType};
use serde_json::Value;

/// Chunk length used by the tests: short, so tracks have several chunks and render fast.
pub const CHUNK_SECONDS: f64 = 3.0;
/// Upper bound on any wait for background work (a bound, not a synchronisation).
pub const DEADLINE: Duration = Duration::from_secs(120);

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// A tiny valid PNG (1x1, red).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xDD, 0x8D, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

pub struct Tags<'a> {
    pub title: &'a str,
    pub artist: &'a str,
    pub album: &'a str,
    pub track: u32,
    pub picture: bool,
}

/// Copies a FLAC fixture to `dest` and writes Vorbis comments (and a front cover) into it.
pub fn tagged_flac(fixture_name: &str, dest: &Path, tags: Tags) {
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(fixture(fixture_name), dest).unwrap();
    let mut perms = std::fs::metadata(dest).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(dest, perms).unwrap();
    let mut tag = Tag::new(TagType::VorbisComments);
    tag.set_title(tags.title.to_string());
    tag.set_artist(tags.artist.to_string());
    tag.set_album(tags.album.to_string());
    tag.set_track(tags.track);
    tag.insert_text(ItemKey::AlbumArtist, tags.artist.to_string());
    if tags.picture {
        tag.push_picture(
            Picture::unchecked(PNG.to_vec())
                .pic_type(PictureType::CoverFront)
                .mime_type(MimeType::Png)
                .build(),
        );
    }
    tag.save_to_path(dest, WriteOptions::default()).unwrap();
}

/// Edits an audio file's primary tag in place (one of the file's usual kind is created when it
/// has none): years, genres, ReplayGain, pictures — whatever `edit` sets.
pub fn retag(path: &Path, edit: impl FnOnce(&mut Tag)) {
    let mut file = lofty::read_from_path(path).unwrap();
    if file.primary_tag().is_none() {
        let kind = file.primary_tag_type();
        file.insert_tag(Tag::new(kind));
    }
    edit(file.primary_tag_mut().unwrap());
    file.save_to_path(path, WriteOptions::default()).unwrap();
}

/// Sets a file's modification time to `secs` after the Unix epoch: the scanner takes an
/// album's earliest track mtime as when it was added (Subsonic's `created`). Call it after
/// the last write to the file.
pub fn set_mtime(path: &Path, secs: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

/// An opaque `w`x`h` PNG (a gradient, so a scaled copy is a real picture).
pub fn gradient_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// Writes a 16-bit stereo WAV of `seconds` of a two-tone signal.
pub fn synthetic_wav(dest: &Path, rate: u32, seconds: f64, freq: f64) {
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(dest, spec).unwrap();
    let n = (seconds * rate as f64) as u64;
    for i in 0..n {
        let t = i as f64 / rate as f64;
        let l = 0.3 * (2.0 * std::f64::consts::PI * freq * t).sin();
        let r = 0.3 * (2.0 * std::f64::consts::PI * freq * 1.5 * t).sin();
        w.write_sample((l * 32767.0) as i16).unwrap();
        w.write_sample((r * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// A FLAC whose header and tags read fine but whose audio frames are garbage: it is listed in
/// the library, and decoding it fails (422).
pub fn corrupt_flac(dest: &Path) {
    tagged_flac(
        "drascula-track1-8s.flac",
        dest,
        Tags {
            title: "Corrupt",
            artist: "Nobody",
            album: "Broken",
            track: 1,
            picture: false,
        },
    );
    let mut bytes = std::fs::read(dest).unwrap();
    // Keep the metadata blocks (they end well before 16 KiB here), scramble every audio frame.
    let keep = audio_offset(&bytes).unwrap_or(8192);
    let mut x: u32 = 0x1234_5678;
    for b in bytes.iter_mut().skip(keep) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    std::fs::write(dest, bytes).unwrap();
}

/// Offset of the first audio frame of a FLAC file (after the last metadata block).
fn audio_offset(bytes: &[u8]) -> Option<usize> {
    if bytes.get(..4)? != b"fLaC" {
        return None;
    }
    let mut pos = 4;
    loop {
        let header = bytes.get(pos..pos + 4)?;
        let last = header[0] & 0x80 != 0;
        let len = ((header[1] as usize) << 16) | ((header[2] as usize) << 8) | header[3] as usize;
        pos += 4 + len;
        if last {
            return Some(pos);
        }
    }
}

/// The standard test library:
/// - "Album A" by "Artist A": 01 Intro (track1 8 s, with cover), 02 Theme (track2 20 s)
/// - "Formats": the 8 s passage as mp3 and ogg
/// - two synthetic WAVs (44.1 kHz 7 s, 48 kHz 5 s) without tags
/// - a corrupt FLAC that reads as a track and fails to decode
pub fn standard_library(music: &Path) {
    tagged_flac(
        "drascula-track1-8s.flac",
        &music.join("Artist A/Album A/01 Intro.flac"),
        Tags {
            title: "Intro",
            artist: "Artist A",
            album: "Album A",
            track: 1,
            picture: true,
        },
    );
    tagged_flac(
        "drascula-track2-20s.flac",
        &music.join("Artist A/Album A/02 Theme.flac"),
        Tags {
            title: "Theme",
            artist: "Artist A",
            album: "Album A",
            track: 2,
            picture: false,
        },
    );
    let formats = music.join("Formats");
    std::fs::create_dir_all(&formats).unwrap();
    for ext in ["mp3", "ogg"] {
        let dest = formats.join(format!("passage.{ext}"));
        std::fs::copy(fixture(&format!("drascula-track1-8s.{ext}")), &dest).unwrap();
    }
    synthetic_wav(&music.join("Synth/sine-44k.wav"), 44100, 7.0, 440.0);
    synthetic_wav(&music.join("Synth/sine-48k.wav"), 48000, 5.0, 220.0);
    corrupt_flac(&music.join("Broken/corrupt.flac"));
}

pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    /// Signed in as the admin `ADMIN` (the session cookie on every request).
    pub client: reqwest::Client,
    /// That session's cookie (`name=value`), for clients built by the tests.
    pub cookie: String,
    /// No credentials at all.
    pub anon: reqwest::Client,
    pub music: PathBuf,
    pub data: PathBuf,
}

/// The admin every test server is set up with.
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub fn config(music: &Path, data: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(music.to_path_buf(), data.to_path_buf());
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.chunk_seconds = CHUNK_SECONDS;
    // Real argon2 costs ~100 ms per hash; the suites hash dozens of times.
    config.password_policy = Some(auralis_library::PasswordPolicy::INSECURE_FAST);
    config
}

/// A client that sends `cookie` (a `Set-Cookie` value's first part) on every request.
pub fn client_with_cookie(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(cookie).unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The `name=value` part of the session cookie a response sets.
pub fn session_cookie_of(resp: &reqwest::Response) -> String {
    let set = resp
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_string()
}

/// Signs in `name` on the server at `base`; the session cookie (`name=value`).
/// `GET url` as `client` (another user, or no one), the answer's JSON whatever its status.
pub async fn get_json_as(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// POSTs `body` as JSON with `client`'s credentials; the response.
pub async fn post_json_as(client: &reqwest::Client, url: &str, body: Value) -> reqwest::Response {
    client.post(url).json(&body).send().await.unwrap()
}

pub async fn sign_in_cookie(base: &str, name: &str, password: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "sign-in of {name}");
    session_cookie_of(&resp)
}

/// Signs in `name` on the server at `base`; a client carrying the session.
pub async fn sign_in(base: &str, name: &str, password: &str) -> reqwest::Client {
    client_with_cookie(&sign_in_cookie(base, name, password).await)
}

/// The seconds of an answer's `Retry-After` header (which must be there, as a number).
pub fn retry_after(resp: &reqwest::Response) -> u64 {
    let value = resp
        .headers()
        .get("retry-after")
        .expect("no Retry-After header");
    value
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After is not a number of seconds: {value:?}"))
}

impl TestServer {
    /// Starts a server over `music`/`data` and waits (bounded) for its start-up scan to end.
    pub async fn start(music: &Path, data: &Path) -> TestServer {
        Self::start_with(config(music, data)).await
    }

    /// A server on its first run: no account yet, nothing signed in (`client` has no
    /// credentials either). Does not wait for the scan.
    pub async fn start_first_run(config: ServerConfig) -> TestServer {
        let music = config.music_dir.clone();
        let data = config.data_dir.clone();
        let server = Server::start(config).await.unwrap();
        let base = format!("http://{}", server.addr());
        TestServer {
            server: Some(server),
            base,
            client: reqwest::Client::new(),
            cookie: String::new(),
            anon: reqwest::Client::new(),
            music,
            data,
        }
    }

    pub async fn start_with(config: ServerConfig) -> TestServer {
        let music = config.music_dir.clone();
        let data = config.data_dir.clone();
        let server = Server::start(config).await.unwrap();
        let base = format!("http://{}", server.addr());
        let anon = reqwest::Client::new();
        // First run: create the admin, as the page's first-run form does.
        let resp = anon
            .post(format!("{base}/api/auth/setup"))
            .json(&serde_json::json!({"username": ADMIN, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        let cookie = match resp.status().as_u16() {
            201 => session_cookie_of(&resp),
            // A restarted server over a data folder set up before.
            409 => sign_in_cookie(&base, ADMIN, ADMIN_PASSWORD).await,
            other => panic!("setup answered {other}"),
        };
        let ts = TestServer {
            server: Some(server),
            base,
            client: client_with_cookie(&cookie),
            cookie,
            anon,
            music,
            data,
        };
        ts.wait_scan_idle().await;
        ts
    }

    /// Adds a user through the API (as the admin) and returns a client signed in as them.
    pub async fn add_user(&self, name: &str, password: &str, admin: bool) -> reqwest::Client {
        let r = self
            .post_json(
                "/api/users",
                serde_json::json!({"username": name, "password": password, "admin": admin}),
            )
            .await;
        assert_eq!(r.status(), 201, "add user {name}");
        sign_in(&self.base, name, password).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        post_json_as(&self.client, &self.url(path), body).await
    }

    /// Polls the scan status until the scanner is idle (analysis included), within DEADLINE.
    pub async fn wait_scan_idle(&self) -> Value {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let s = self.get_json("/api/library/scan").await;
            if s["running"] == false && s["last_report"] != Value::Null {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "scan did not finish: {s}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts a scan: the server answers 202 with the scan status.
    pub async fn start_scan(&self) -> Value {
        let resp = self
            .client
            .post(self.url("/api/library/scan"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        resp.json().await.unwrap()
    }

    /// Every track, by title.
    pub async fn tracks(&self) -> Vec<Value> {
        let page = self.get_json("/api/tracks?limit=1000").await;
        page["items"].as_array().unwrap().clone()
    }

    pub async fn track_id(&self, title: &str) -> i64 {
        self.tracks()
            .await
            .iter()
            .find(|t| t["title"] == title)
            .unwrap_or_else(|| panic!("no track titled {title}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// Polls the track's cache status until `done` holds, within DEADLINE.
    pub async fn wait_cache(&self, id: i64, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let s = self.get_json(&format!("/api/cache/track/{id}")).await;
            if done(&s) {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "cache never reached the state: {s}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// A reader of `/api/events`.
pub struct Events {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buf: String,
}

impl Events {
    pub async fn open(ts: &TestServer) -> Events {
        let resp = ts.get("/api/events").await;
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Events {
            stream: resp.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    /// The next event (name, data), or None when nothing came within DEADLINE.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(name) = name {
                    return Some((name, serde_json::from_str(&data).unwrap()));
                }
                continue; // a comment (keep-alive)
            }
            let chunk = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??
                .ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads events until one named `name` satisfies `pred`; None past DEADLINE.
    pub async fn until(&mut self, name: &str, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        loop {
            let (n, v) = self.next().await?;
            if n == name && pred(&v) {
                return Some(v);
            }
        }
    }
}
