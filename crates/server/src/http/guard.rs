//! The rules that make the server safe to reach from a network, applied to every request before
//! it reaches a route:
//!
//! - **Host check (421).** A web page on another site can make the user's own browser send
//!   requests to the server under the attacker's host name (DNS rebinding). Requests are
//!   answered only for the names the server is reached by: `localhost`, loopback addresses, the
//!   bound address (any IP literal when bound to all interfaces: an IP literal cannot be
//!   rebound), and `--public-host` names.
//! - **Cross-site writes (403).** A state-changing request that carries the session cookie and
//!   whose `Sec-Fetch-Site` or `Origin` shows another site is refused, with the checks of
//!   `tower_http::csrf` (the scheme Go 1.25 adopted). A request authenticated by a Bearer key
//!   alone is not subject to it: no browser attaches that on its own.
//! - **Headers** on every answer: a Content-Security-Policy allowing only the server's own
//!   scripts and no framing, `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`.
//! - **The client's address** (for throttling) and whether it came over HTTPS (for `Secure`
//!   cookies): from the connection, or from `X-Forwarded-For`/`X-Forwarded-Proto` only when the
//!   connection comes from a `--trusted-proxy`.
//!
//! Not for: who may call which route (the `Auth`/`Admin` extractors in `http::auth`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, ServiceExt};
use tower_http::csrf::{CsrfLayer, ProtectionError};

use super::auth::SESSION_COOKIE;
use super::error::ErrorBody;
use crate::net::NetPolicy;

/// The Content-Security-Policy of every answer: only this server's scripts, styles, images and
/// connections; no plugins, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        error: code.into(),
        message: message.into(),
    };
    (status, axum::Json(body)).into_response()
}

/// 421 for a `Host` the server does not answer to (or none).
pub async fn check_host(
    State(policy): State<Arc<NetPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if policy.host_allowed(&h) => next.run(req).await,
        _ => refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "misdirected",
            "this server does not answer to that host name; start it with --public-host NAME \
             to allow it",
        ),
    }
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim_start().starts_with(&format!("{SESSION_COOKIE}=")))
}

/// 403 for a state-changing request with the session cookie sent from another site.
pub async fn check_cross_site(req: Request, next: Next) -> Response {
    if !has_session_cookie(req.headers()) {
        // Bearer keys and anonymous requests: no ambient credential a page could borrow.
        return next.run(req).await;
    }
    let csrf = CsrfLayer::new().with_rejection_response(|e: ProtectionError| {
        tracing::info!(reason = %e, "refused a cross-site request");
        refuse(
            StatusCode::FORBIDDEN,
            "cross_site",
            "refused: this request came from another site",
        )
    });
    match csrf.layer(next).oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Adds the security headers to every answer (errors and panics included).
pub async fn add_security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in security_headers() {
        headers.insert(name, value);
    }
    response
}

/// The security headers of every answer.
pub fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// Where a request comes from: the client's address and whether it used HTTPS.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    pub addr: IpAddr,
    pub https: bool,
}

impl<S> FromRequestParts<S> for Client
where
    Arc<NetPolicy>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let policy = Arc::<NetPolicy>::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        let (addr, https) = policy.client(peer, &parts.headers);
        Ok(Client { addr, https })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;

    /// What a route behind the cross-site check answers to `method` with `headers`.
    async fn status(method: &str, headers: &[(&str, String)]) -> StatusCode {
        let app = Router::new()
            .route(
                "/api/x",
                get(|| async { "read" }).post(|| async { "written" }),
            )
            .layer(axum::middleware::from_fn(check_cross_site));
        let mut req = Request::builder()
            .method(method)
            .uri("/api/x")
            .header(header::HOST, "music.home:8765");
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        resp.status()
    }

    fn cookie() -> (&'static str, String) {
        ("cookie", format!("theme=dark; {SESSION_COOKIE}=abc"))
    }

    #[tokio::test]
    async fn writes_with_the_cookie_from_another_site_are_refused() {
        for evidence in [
            ("sec-fetch-site", "cross-site".to_string()),
            ("sec-fetch-site", "same-site".to_string()),
            ("origin", "http://evil.example".to_string()),
            ("origin", "http://music.home:9999".to_string()),
        ] {
            for method in ["POST", "PUT", "DELETE"] {
                assert_eq!(
                    status(method, &[cookie(), evidence.clone()]).await,
                    StatusCode::FORBIDDEN,
                    "{method} {evidence:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn same_origin_writes_reads_and_requests_without_the_cookie_pass() {
        let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
            // The page itself.
            (
                "POST",
                vec![cookie(), ("sec-fetch-site", "same-origin".into())],
            ),
            (
                "POST",
                vec![cookie(), ("origin", "http://music.home:8765".into())],
            ),
            // A user typing the address, or a script without a browser: no evidence either way.
            ("POST", vec![cookie(), ("sec-fetch-site", "none".into())]),
            ("POST", vec![cookie()]),
            // Reads change nothing.
            (
                "GET",
                vec![cookie(), ("sec-fetch-site", "cross-site".into())],
            ),
            // A Bearer key (no cookie): no browser attaches it on its own.
            (
                "POST",
                vec![
                    ("authorization", "Bearer k".into()),
                    ("origin", "http://evil.example".into()),
                ],
            ),
            // A cookie of another name is not the session.
            (
                "POST",
                vec![
                    ("cookie", format!("x{SESSION_COOKIE}=abc")),
                    ("sec-fetch-site", "cross-site".into()),
                ],
            ),
        ];
        for (method, headers) in cases {
            assert_eq!(
                status(method, &headers).await,
                StatusCode::OK,
                "{method} {headers:?}"
            );
        }
    }
}
