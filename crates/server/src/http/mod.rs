//! Transport: the axum router, wire types, extractors and the error mapping. Handlers are a few
//! lines: extract, call the app (`crate::app`), map the error.
//!
//! Not for: any decision about the library, the cache or audio; that is the app's job.

pub mod auth;
pub mod convert;
pub mod decorate;
pub mod dto;
pub mod error;
pub mod extract;
pub mod guard;
pub mod routes;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::config::DEFAULT_REQUEST_TIMEOUT;
use routes::{
    account, cache, enhancement, events, favorites, history, library, player, playlists, stream,
    tracks, users, web,
};

/// Largest request body (JSON, playlist imports).
pub const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Auralis",
        description = "Self-hosted music server that masters every track on the fly"
    ),
    components(schemas(
        error::ErrorBody,
        dto::ChunkCachedEvent,
        dto::TrackProgressEvent,
        dto::TrackCachedEvent,
        dto::TrackIdEvent
    ))
)]
struct ApiDoc;

/// The API routes with their OpenAPI description (the document cannot drift from the router).
/// Every route but the few public ones takes the `Auth` or `Admin` extractor. Quick routes get
/// a time limit; event streams and chunks (a render may wait in line) do not.
fn api_router(request_timeout: std::time::Duration) -> OpenApiRouter<App> {
    let quick = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(library::health))
        .routes(routes!(account::status))
        .routes(routes!(account::setup))
        .routes(routes!(account::login))
        .routes(routes!(account::logout))
        .routes(routes!(account::list_keys, account::create_key))
        .routes(routes!(account::delete_key))
        .routes(routes!(account::get_streaming, account::put_streaming))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::delete))
        .routes(routes!(users::set_password))
        .routes(routes!(library::list_tracks))
        .routes(routes!(library::get_track))
        .routes(routes!(library::get_artwork))
        .routes(routes!(library::list_albums))
        .routes(routes!(library::get_album))
        .routes(routes!(library::list_artists))
        .routes(routes!(library::list_unreadable))
        .routes(routes!(library::start_scan, library::scan_status))
        .routes(routes!(stream::metadata))
        .routes(routes!(player::position))
        .routes(routes!(player::get_queue, player::put_queue))
        .routes(routes!(playlists::list, playlists::create))
        .routes(routes!(
            playlists::get,
            playlists::update,
            playlists::delete
        ))
        .routes(routes!(playlists::export_m3u))
        .routes(routes!(playlists::import_m3u))
        .routes(routes!(favorites::put_track, favorites::delete_track))
        .routes(routes!(favorites::put_album, favorites::delete_album))
        .routes(routes!(favorites::put_artist, favorites::delete_artist))
        .routes(routes!(favorites::list))
        .routes(routes!(history::history))
        .routes(routes!(tracks::lyrics))
        .routes(routes!(tracks::waveform))
        .routes(routes!(enhancement::get))
        .routes(routes!(enhancement::toggle))
        .routes(routes!(enhancement::preset))
        .routes(routes!(enhancement::intensity))
        .routes(routes!(enhancement::loudness))
        .routes(routes!(cache::stats))
        .routes(routes!(cache::queue))
        .routes(routes!(cache::track))
        .routes(routes!(cache::clear))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ));
    quick
        .routes(routes!(stream::chunk))
        .routes(routes!(events::events))
}

/// The OpenAPI document of every route, `/api/openapi.json` included.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api_router(DEFAULT_REQUEST_TIMEOUT).split_for_parts();
    add_openapi_path(&mut doc);
    doc
}

fn add_openapi_path(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::ResponseBuilder;
    let op = OperationBuilder::new()
        .tag("meta")
        .summary(Some("This document"))
        .response(
            "200",
            ResponseBuilder::new().description("OpenAPI 3.1 JSON"),
        )
        .build();
    doc.paths.paths.insert(
        "/api/openapi.json".into(),
        PathItem::new(HttpMethod::Get, op),
    );
}

async fn method_not_allowed() -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = error::ErrorBody {
        error: "method_not_allowed".into(),
        message: "this route does not accept that method".into(),
    };
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

/// The whole HTTP service: API, OpenAPI document, player files, the network guards (Host,
/// cross-site writes, headers, body size), error and panic handling.
pub fn router(app: App) -> Router {
    let (api, mut doc) = api_router(app.config().request_timeout).split_for_parts();
    add_openapi_path(&mut doc);
    let doc = bytes::Bytes::from(doc.to_json().unwrap_or_else(|_| "{}".into()));
    api.route(
        "/api/openapi.json",
        // Signed in, as every route but the few the sign-in page needs: the document maps the
        // whole API for whoever reads it.
        get(move |_: auth::Auth| {
            let doc = doc.clone();
            async move { web::openapi(doc) }
        }),
    )
    .merge(crate::subsonic::router())
    .fallback(web::static_file)
    .method_not_allowed_fallback(method_not_allowed)
    .layer(axum::middleware::from_fn(guard::check_cross_site))
    .layer(axum::middleware::from_fn_with_state(
        app.net.clone(),
        guard::check_host,
    ))
    .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
    .with_state(app)
    .layer(CatchPanicLayer::custom(error::panic_response))
    .layer(axum::middleware::from_fn(guard::add_security_headers))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    /// A panicking handler answers 500 with the JSON error body, and the service goes on.
    #[tokio::test]
    async fn panic_becomes_json_500() {
        async fn boom() -> &'static str {
            panic!("deliberate")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "ok" }))
            .layer(CatchPanicLayer::custom(super::error::panic_response));
        let resp = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "internal");
        let ok = app
            .oneshot(Request::get("/ok").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }

    /// Too much waiting work is a 503 with the JSON body and a Retry-After; an internal error's
    /// detail (which may name paths of this machine) stays in the log.
    #[tokio::test]
    async fn busy_is_503_with_retry_after_and_internal_details_stay_private() {
        use axum::response::IntoResponse;
        let busy = crate::app::Error::Busy {
            message: "too many chunk requests are waiting".into(),
            retry_after: 2,
        }
        .into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()["retry-after"], "2");
        let body = axum::body::to_bytes(busy.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "busy");
        let internal =
            crate::app::Error::internal("cannot open /home/someone/.local/db").into_response();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(internal.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("/home"), "{text}");
    }

    #[test]
    fn openapi_lists_every_route() {
        let doc = super::openapi();
        assert!(doc.paths.paths.len() >= 17, "{}", doc.paths.paths.len());
    }
}
