//! The player page (`web/`, embedded in the binary) and the OpenAPI document.

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::app::Error;

/// The files of the web player, embedded at build time (also in debug builds, so the server
/// never reads outside the music and data folders).
#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Assets;

/// `GET /api/openapi.json`: the document, serialised once at start.
pub fn openapi(doc: bytes::Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        doc,
    )
        .into_response()
}

/// Everything that is not an API route: a file of the player, `index.html` at `/`, else 404.
pub async fn static_file(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return Error::not_found(format!("no API route {}", uri.path())).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "").into_response();
    }
    let path = if path.is_empty() { "index.html" } else { path };
    // Only plain relative names of embedded files: no parent segments, no encoded tricks.
    if path.split('/').any(|seg| seg == ".." || seg == ".") || path.contains(['\\', '%', '\0']) {
        return Error::not_found(format!("no file {path:?} in the player")).into_response();
    }
    let Some(file) = Assets::get(path) else {
        return Error::not_found(format!("no file {path:?} in the player")).into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let ct = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let hdrs = [
        (header::CONTENT_TYPE, ct),
        (header::ETAG, etag_value),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if cached {
        return (StatusCode::NOT_MODIFIED, hdrs).into_response();
    }
    (hdrs, file.data).into_response()
}
