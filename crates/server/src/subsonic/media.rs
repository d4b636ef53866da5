//! Media other than the stream: `download` (the original file, with HTTP ranges),
//! `getCoverArt` (any id; `size` scales it down), `getLyrics` (by artist and title) and
//! `getLyricsBySongId` (OpenSubsonic `songLyrics`: synced lines when the lyrics have times).

use axum::body::Body;
use axum::http::{header, HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use auralis_library::lyrics::Lyrics;

use super::ids::Id;
use super::response::Node;
use super::{Answer, Ctx, Params, Reply, SubsonicError};

/// The original file of a track, with `Range` / `If-Range` honoured (206, `Accept-Ranges`).
pub async fn serve_original(ctx: &Ctx, track: i64) -> Result<Response, SubsonicError> {
    let file = ctx.app.playback.original_file(track).await?;
    let req = range_request(ctx)?;
    let mime = super::model::content_type(
        &std::path::Path::new(&file.relative)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase(),
    );
    serve_file(&file.path, mime, req).await
}

/// A file with `Range` support, as `content_type`.
pub async fn serve_file(
    path: &std::path::Path,
    content_type: &'static str,
    req: Request<Body>,
) -> Result<Response, SubsonicError> {
    match ServeFile::new(path).oneshot(req).await {
        Ok(r) => {
            let mut r = r.map(Body::new).into_response();
            if r.status().is_success() {
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            }
            Ok(r)
        }
        Err(e) => Err(SubsonicError::from(crate::app::Error::internal(format!(
            "reading a file: {e}"
        )))),
    }
}

/// A request carrying the caller's range and validator headers, for [`serve_file`].
pub fn range_request(ctx: &Ctx) -> Result<Request<Body>, SubsonicError> {
    let mut req = Request::get("/")
        .body(Body::empty())
        .map_err(|e| SubsonicError::from(crate::app::Error::internal(format!("request: {e}"))))?;
    for name in [
        header::RANGE,
        header::IF_RANGE,
        header::IF_MODIFIED_SINCE,
        header::IF_NONE_MATCH,
    ] {
        if let Some(v) = ctx.headers.get(&name) {
            req.headers_mut().insert(name, v.clone());
        }
    }
    Ok(req)
}

pub async fn download(ctx: &Ctx, p: &Params) -> Answer {
    let track = Id::track(p.required("id")?)?;
    let info = ctx.app.library.track(track).await?;
    let mut r = serve_original(ctx, track).await?;
    let name = std::path::Path::new(&info.path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("track");
    if let Ok(v) = HeaderValue::from_str(&content_disposition(name)) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(Reply::Media(r))
}

/// `attachment` with the file name, ASCII-safe (RFC 6266 `filename*` for the rest).
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The track whose artwork stands for an id of any kind.
async fn artwork_track(ctx: &Ctx, id: Id) -> Result<Option<i64>, SubsonicError> {
    let app = &ctx.app;
    Ok(match id {
        Id::Track(t) => app.library.track_artwork_track(t).await?,
        Id::Album(a) => app.library.album(a).await?.album.artwork_track_id,
        Id::Artist(a) => app.library.artist_artwork_track(a).await?,
        Id::Playlist(p) => app.people.playlist_artwork_track(ctx.user(), p).await?,
        Id::Dir(_) => None,
    })
}

pub async fn cover_art(ctx: &Ctx, p: &Params) -> Answer {
    let id = Id::parse(p.required("id")?)?;
    let size = p
        .int("size")?
        .map_or(0, |s| u32::try_from(s.max(0)).unwrap_or(u32::MAX));
    let track = artwork_track(ctx, id)
        .await?
        .ok_or_else(|| SubsonicError::not_found("Artwork not found"))?;
    let (bytes, mime) = ctx.app.library.artwork_scaled(track, size).await?;
    let mut r = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(Reply::Media(r))
}

fn plain_text(l: &Lyrics) -> String {
    l.lines
        .iter()
        .map(|line| line.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lyrics by artist and title: the first matching track's, as plain text (an empty element
/// when there are none, as the API defines).
pub async fn lyrics(ctx: &Ctx, p: &Params) -> Answer {
    let artist = p.get("artist").unwrap_or("").trim().to_string();
    let title = p.get("title").unwrap_or("").trim().to_string();
    let mut node = Node::new("lyrics");
    if title.is_empty() {
        return Ok(Reply::one(node));
    }
    if let Some(track) = ctx.app.library.track_by_name(artist, title).await? {
        if let Ok(l) = ctx.app.people.lyrics(track.id).await {
            node = node
                .opt("artist", track.artist.as_ref())
                .attr("title", &track.title)
                .text(plain_text(&l));
        }
    }
    Ok(Reply::one(node))
}

/// OpenSubsonic structured lyrics of a song (synced lines in milliseconds when they have
/// times); an empty list when the song has none.
pub async fn lyrics_by_song_id(ctx: &Ctx, p: &Params) -> Answer {
    let id = Id::track(p.required("id")?)?;
    let track = ctx.app.library.track(id).await?;
    let found = match ctx.app.people.lyrics(id).await {
        Ok(l) => Some(l),
        Err(crate::app::Error::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let list = found.map(|l| {
        Node::new("structuredLyrics")
            .attr("displayArtist", track.artist.clone().unwrap_or_default())
            .attr("displayTitle", &track.title)
            .attr("lang", "xxx")
            .attr("synced", l.synced)
            .attr("offset", 0i64)
            .list(
                "line",
                l.lines.iter().map(|line| {
                    Node::new("line")
                        .opt(
                            "start",
                            line.start_s
                                .filter(|_| l.synced)
                                .map(|s| (s * 1000.0).round() as i64),
                        )
                        .text(&line.text)
                }),
            )
    });
    Ok(Reply::one(
        Node::new("lyricsList").list("structuredLyrics", list),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn download_names_are_header_safe() {
        let d = super::content_disposition("Été \"live\".flac");
        assert_eq!(
            d,
            "attachment; filename=\"_t_ _live_.flac\"; filename*=UTF-8''%C3%89t%C3%A9%20%22live%22.flac"
        );
    }
}
