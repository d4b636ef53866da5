//! The Subsonic / OpenSubsonic API (`/rest/<endpoint>` and `/rest/<endpoint>.view`, GET or a
//! form-encoded POST): a second transport beside the JSON API, over the same services. Every
//! Subsonic app (Symfonium, DSub, Feishin, ...) then plays Auralis's mastered audio.
//!
//! This file parses the request (parameters from the query and the form body), authenticates
//! it (`u` + `p`, `u` + `t` + `s`, or `apiKey`), dispatches to one endpoint function, and renders
//! the answer as XML, JSON or JSONP. Endpoint groups live one per file: `system`, `browsing`,
//! `lists`, `search`, `media`, `user_data`; the continuous stream is built in `stream`.
//! Errors are Subsonic errors (HTTP 200, `status="failed"`, a code), never HTTP errors, so apps
//! degrade gracefully; an endpoint that does not exist answers error 0 "not implemented".
//!
//! Not for: any rule about the library, accounts or audio (the services hold those).

mod browsing;
mod ids;
mod lists;
mod media;
mod model;
mod params;
pub mod response;
mod search;
mod stream;
mod system;
mod user_data;

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::app::{App, Caller, Error};
use crate::http::extract::Path;
use crate::http::guard::Client;
pub use params::Params;
use response::{Envelope, Node};

/// Time limit of an answer that is not a media stream.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// A Subsonic error code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct SubsonicError {
    pub code: u32,
    pub message: String,
}

impl SubsonicError {
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    pub fn missing(name: &str) -> Self {
        Self::new(10, format!("Required parameter is missing: {name}"))
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(70, what)
    }
    pub fn not_authorized(what: impl Into<String>) -> Self {
        Self::new(50, what)
    }
}

impl From<Error> for SubsonicError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(m) => SubsonicError::new(70, m),
            Error::Forbidden(m) => SubsonicError::new(50, m),
            Error::Unauthorized(m) => SubsonicError::new(40, m),
            Error::BadRequest(m) | Error::Conflict(m) | Error::Undecodable(m) => {
                SubsonicError::new(0, m)
            }
            Error::Busy { message, .. } | Error::TooManyRequests { message, .. } => {
                SubsonicError::new(0, message)
            }
            Error::UnsupportedMediaType(m) | Error::TooLarge(m) => SubsonicError::new(0, m),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "subsonic request failed");
                SubsonicError::new(0, "the server hit an internal error; its log says more")
            }
        }
    }
}

/// What an endpoint answers.
pub enum Reply {
    /// A `subsonic-response` with this payload (see [`Envelope`]).
    Body(Node),
    /// Media (a stream, a file, an image), sent as is.
    Media(Response),
}

impl Reply {
    pub fn empty() -> Reply {
        Reply::Body(Node::default())
    }
    pub fn one(node: Node) -> Reply {
        Reply::Body(Node::default().child(node))
    }
}

pub type Answer = Result<Reply, SubsonicError>;

/// A request's context: the services, who calls, from where, with which app.
pub struct Ctx {
    pub app: App,
    pub caller: Caller,
    pub client: Client,
    /// The app's name (`c`), which names its listener.
    pub app_name: String,
    /// The request's headers (Range for downloads).
    pub headers: HeaderMap,
}

impl Ctx {
    pub fn user(&self) -> i64 {
        self.caller.user.id
    }

    /// What this caller's streams deliver (mastered or the original).
    pub async fn delivery(&self) -> Result<model::Delivery, SubsonicError> {
        let state = self.app.enhancement.get(self.user()).await?;
        Ok(model::Delivery {
            mastered: state.enabled && state.intensity > 0.0,
        })
    }

    /// Song elements of these tracks, with the caller's marks.
    pub async fn songs(
        &self,
        name: &'static str,
        tracks: &[auralis_library::Track],
    ) -> Result<Vec<Node>, SubsonicError> {
        let d = self.delivery().await?;
        let marks = self
            .app
            .people
            .track_marks(self.user(), tracks.iter().map(|t| t.id).collect())
            .await?;
        Ok(tracks
            .iter()
            .map(|t| model::song(t, marks.get(&t.id), d).renamed(name))
            .collect())
    }

    /// Album elements with the caller's stars (`as_dir`: folder-style `child` fields too).
    pub async fn albums(
        &self,
        name: &'static str,
        albums: &[auralis_library::Album],
        as_dir: bool,
    ) -> Result<Vec<Node>, SubsonicError> {
        let stars = self
            .app
            .people
            .favorite_times(
                self.user(),
                auralis_library::people::ItemKind::Album,
                albums.iter().map(|a| a.id).collect(),
            )
            .await?;
        Ok(albums
            .iter()
            .map(|a| model::album(a, stars.get(&a.id).copied(), as_dir).renamed(name))
            .collect())
    }

    /// Artist elements with the caller's stars.
    pub async fn artists(
        &self,
        artists: &[auralis_library::Artist],
    ) -> Result<Vec<Node>, SubsonicError> {
        let stars = self
            .app
            .people
            .favorite_times(
                self.user(),
                auralis_library::people::ItemKind::Artist,
                artists.iter().map(|a| a.id).collect(),
            )
            .await?;
        Ok(artists
            .iter()
            .map(|a| model::artist(a, stars.get(&a.id).copied()))
            .collect())
    }

    pub fn require_admin(&self) -> Result<(), SubsonicError> {
        if self.caller.user.admin {
            Ok(())
        } else {
            Err(SubsonicError::not_authorized(
                "User is not authorized for the given operation",
            ))
        }
    }
}

/// The endpoints, by name (without `.view`).
pub const ENDPOINTS: &[&str] = &[
    "ping",
    "getLicense",
    "getOpenSubsonicExtensions",
    "getScanStatus",
    "startScan",
    "getMusicFolders",
    "getIndexes",
    "getMusicDirectory",
    "getArtists",
    "getArtist",
    "getAlbum",
    "getSong",
    "getGenres",
    "getAlbumList",
    "getAlbumList2",
    "getRandomSongs",
    "getSongsByGenre",
    "getNowPlaying",
    "getTopSongs",
    "getStarred",
    "getStarred2",
    "search2",
    "search3",
    "stream",
    "download",
    "getCoverArt",
    "getLyrics",
    "getLyricsBySongId",
    "star",
    "unstar",
    "setRating",
    "scrobble",
    "getPlaylists",
    "getPlaylist",
    "createPlaylist",
    "updatePlaylist",
    "deletePlaylist",
    "getPlayQueue",
    "savePlayQueue",
    "getUser",
    "getUsers",
];

async fn dispatch(name: &str, ctx: &Ctx, p: &Params) -> Answer {
    match name {
        "ping" => system::ping(ctx, p).await,
        "getLicense" => system::license(ctx, p).await,
        "getScanStatus" => system::scan_status(ctx, p).await,
        "startScan" => system::start_scan(ctx, p).await,
        "getMusicFolders" => browsing::music_folders(ctx, p).await,
        "getIndexes" => browsing::indexes(ctx, p).await,
        "getMusicDirectory" => browsing::music_directory(ctx, p).await,
        "getArtists" => browsing::artists(ctx, p).await,
        "getArtist" => browsing::artist(ctx, p).await,
        "getAlbum" => browsing::album(ctx, p).await,
        "getSong" => browsing::song(ctx, p).await,
        "getGenres" => browsing::genres(ctx, p).await,
        "getAlbumList" => lists::album_list(ctx, p, false).await,
        "getAlbumList2" => lists::album_list(ctx, p, true).await,
        "getRandomSongs" => lists::random_songs(ctx, p).await,
        "getSongsByGenre" => lists::songs_by_genre(ctx, p).await,
        "getNowPlaying" => lists::now_playing(ctx, p).await,
        "getTopSongs" => lists::top_songs(ctx, p).await,
        "getStarred" => lists::starred(ctx, p, false).await,
        "getStarred2" => lists::starred(ctx, p, true).await,
        "search2" => search::search(ctx, p, false).await,
        "search3" => search::search(ctx, p, true).await,
        "stream" => stream::stream(ctx, p).await,
        "download" => media::download(ctx, p).await,
        "getCoverArt" => media::cover_art(ctx, p).await,
        "getLyrics" => media::lyrics(ctx, p).await,
        "getLyricsBySongId" => media::lyrics_by_song_id(ctx, p).await,
        "star" => user_data::star(ctx, p, true).await,
        "unstar" => user_data::star(ctx, p, false).await,
        "setRating" => user_data::set_rating(ctx, p).await,
        "scrobble" => user_data::scrobble(ctx, p).await,
        "getPlaylists" => user_data::playlists(ctx, p).await,
        "getPlaylist" => user_data::playlist(ctx, p).await,
        "createPlaylist" => user_data::create_playlist(ctx, p).await,
        "updatePlaylist" => user_data::update_playlist(ctx, p).await,
        "deletePlaylist" => user_data::delete_playlist(ctx, p).await,
        "getPlayQueue" => user_data::play_queue(ctx, p).await,
        "savePlayQueue" => user_data::save_play_queue(ctx, p).await,
        "getUser" => user_data::user(ctx, p).await,
        "getUsers" => user_data::users(ctx, p).await,
        _ => Err(SubsonicError::new(0, format!("not implemented: {name}"))),
    }
}

/// `/rest/{endpoint}`: every Subsonic request.
async fn rest(
    State(app): State<App>,
    Path(endpoint): Path<String>,
    method: Method,
    headers: HeaderMap,
    client: Client,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if method == Method::OPTIONS {
        return cors(StatusCode::NO_CONTENT.into_response());
    }
    let name = endpoint
        .strip_suffix(".view")
        .unwrap_or(&endpoint)
        .to_string();
    let mut p = Params::from_query(query.as_deref().unwrap_or(""));
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if method == Method::POST && is_form {
        p.extend_from_form(&body);
    }
    let format = Format::of(&p);
    if name == "getOpenSubsonicExtensions" {
        return render(&format, system::extensions());
    }
    let caller = match authenticate(&app, &p, client.addr).await {
        Ok(c) => c,
        Err(e) => return render(&format, Envelope::error(e.code, &e.message)),
    };
    if let Some(e) = version_error(&p) {
        return render(&format, Envelope::error(e.code, &e.message));
    }
    let ctx = Ctx {
        app,
        caller,
        client,
        app_name: app_name(&p),
        headers,
    };
    let answer = if name == "stream" || name == "download" {
        dispatch(&name, &ctx, &p).await
    } else {
        match tokio::time::timeout(ANSWER_TIMEOUT, dispatch(&name, &ctx, &p)).await {
            Ok(a) => a,
            Err(_) => Err(SubsonicError::new(0, "the answer took too long")),
        }
    };
    match answer {
        Ok(Reply::Body(body)) => render(&format, Envelope::ok(body)),
        Ok(Reply::Media(r)) => cors(r),
        Err(e) => render(&format, Envelope::error(e.code, &e.message)),
    }
}

/// The app name, as a valid listener id (printable ASCII, at most 64 bytes).
fn app_name(p: &Params) -> String {
    let c: String = p
        .get("c")
        .unwrap_or("subsonic")
        .chars()
        .filter(|c| (' '..='~').contains(c))
        .take(64)
        .collect();
    if c.is_empty() {
        "subsonic".into()
    } else {
        c
    }
}

/// Error 30 for a client that speaks a newer major API than 1; 20 for an older one.
fn version_error(p: &Params) -> Option<SubsonicError> {
    let v = p.get("v")?;
    let major: u32 = v.split('.').next()?.trim().parse().ok()?;
    match major {
        1 => None,
        0 => Some(SubsonicError::new(
            20,
            "Incompatible Subsonic REST protocol version. Client must upgrade.",
        )),
        _ => Some(SubsonicError::new(
            30,
            "Incompatible Subsonic REST protocol version. Server must upgrade.",
        )),
    }
}

/// Who is calling, by one of the three mechanisms (never two at once).
async fn authenticate(app: &App, p: &Params, client: IpAddr) -> Result<Caller, SubsonicError> {
    if let Some(key) = p.get("apiKey") {
        if p.get("u").is_some() {
            return Err(SubsonicError::new(
                43,
                "Multiple conflicting authentication mechanisms provided",
            ));
        }
        return match app.auth.api_key(key.to_string()).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(SubsonicError::new(44, "Invalid API key")),
            Err(e) => Err(e.into()),
        };
    }
    let Some(user) = p.get("u") else {
        return Err(SubsonicError::missing("u"));
    };
    let credential = match (p.get("t"), p.get("s"), p.get("p")) {
        (Some(t), Some(s), _) => crate::app::auth::SubsonicCredential::Token {
            token: t.to_string(),
            salt: s.to_string(),
        },
        (_, _, Some(pw)) => crate::app::auth::SubsonicCredential::Password(
            params::decode_password(pw)
                .ok_or_else(|| SubsonicError::new(40, "Wrong username or password"))?,
        ),
        (Some(_), None, None) => return Err(SubsonicError::missing("s")),
        _ => {
            return Err(SubsonicError::new(
                42,
                "Provided authentication mechanism not supported: send p, t and s, or apiKey",
            ))
        }
    };
    app.auth
        .subsonic_login(user.to_string(), credential, client)
        .await
        .map_err(|e| match e {
            crate::app::auth::SubsonicAuthError::Wrong => {
                SubsonicError::new(40, "Wrong username or password")
            }
            crate::app::auth::SubsonicAuthError::TokenUnsupported => SubsonicError::new(
                41,
                "Token authentication not supported for this user: set the password again, or use p or an API key",
            ),
            crate::app::auth::SubsonicAuthError::Throttled(wait) => SubsonicError::new(
                40,
                format!("Too many failed attempts; try again in {wait} s"),
            ),
            crate::app::auth::SubsonicAuthError::Failed(e) => e.into(),
        })
}

/// The wire format a request asks for.
enum Format {
    Xml,
    Json,
    Jsonp(String),
}

impl Format {
    fn of(p: &Params) -> Format {
        match p.get("f") {
            Some("json") => Format::Json,
            Some("jsonp") => match p.get("callback") {
                // A JavaScript identifier (with dots), nothing that could inject script.
                Some(cb)
                    if !cb.is_empty()
                        && cb.len() <= 128
                        && cb.chars().all(|c| {
                            c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.'
                        }) =>
                {
                    Format::Jsonp(cb.to_string())
                }
                _ => Format::Json,
            },
            _ => Format::Xml,
        }
    }
}

fn render(format: &Format, envelope: Envelope) -> Response {
    let (body, kind) = match format {
        Format::Xml => (envelope.to_xml(), "text/xml; charset=utf-8"),
        Format::Json => (envelope.to_json(), "application/json"),
        Format::Jsonp(cb) => (
            format!("{cb}({});", envelope.to_json()),
            "application/javascript; charset=utf-8",
        ),
    };
    cors(
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
            body,
        )
            .into_response(),
    )
}

/// Web-based Subsonic apps run on their own origin: they may read these answers (credentials
/// travel in the parameters, never in cookies, so this opens nothing else).
fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Range"),
    );
    r
}

/// The `/rest` routes.
pub fn router() -> Router<App> {
    Router::new().route("/rest/{endpoint}", any(rest))
}
