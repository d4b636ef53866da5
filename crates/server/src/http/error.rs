//! The one place where errors become HTTP responses: `{"error": code, "message": text}`.
//!
//! Also maps axum's own extractor rejections (path, query, JSON) and handler panics onto the
//! same shape, so a client only ever sees one kind of error body.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::Error;

/// The body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `undecodable`,
    /// `too_many_requests`, `busy`, `unsupported_media_type`, `too_large`, `misdirected`,
    /// `cross_site` or `internal`.
    pub error: String,
    /// A human sentence.
    pub message: String,
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Undecodable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::NotFound(_) => "not_found",
            Error::Undecodable(_) => "undecodable",
            Error::Busy { .. } => "busy",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::Conflict(_) => "conflict",
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::TooLarge(_) => "too_large",
            Error::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        // An internal error's text may name this machine's paths: it goes to the log only.
        let message = match &self {
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                "the server hit an internal error while answering this request; its log says more"
                    .to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: self.code().to_string(),
            message,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Error::Busy { retry_after, .. } | Error::TooManyRequests { retry_after, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        }
        response
    }
}

impl From<axum::extract::rejection::PathRejection> for Error {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        Error::BadRequest(format!("invalid path parameter: {}", r.body_text()))
    }
}

impl From<axum::extract::rejection::QueryRejection> for Error {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        Error::BadRequest(format!("invalid query parameter: {}", r.body_text()))
    }
}

impl From<axum::extract::rejection::JsonRejection> for Error {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match r {
            J::MissingJsonContentType(_) => Error::UnsupportedMediaType(
                "a JSON body needs the header Content-Type: application/json".into(),
            ),
            J::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => Error::from(b),
            other => Error::BadRequest(format!("invalid JSON body: {}", other.body_text())),
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for Error {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge(format!("the body is too large: {}", r.body_text()))
        } else {
            Error::BadRequest(format!("unreadable body: {}", r.body_text()))
        }
    }
}

/// `CatchPanicLayer` handler: a panic in a handler is a 500 with the usual JSON body.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        s.to_string()
    } else {
        "unknown panic".to_string()
    };
    tracing::error!(panic = %detail, "handler panicked");
    let body = serde_json::json!({
        "error": "internal",
        "message": "the server hit an internal error while answering this request",
    });
    let mut resp = (StatusCode::INTERNAL_SERVER_ERROR, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}
