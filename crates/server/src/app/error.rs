//! The one error type of the server. The transport maps each variant to a status code in
//! `http::error` (and nowhere else).

/// Everything a request or a background job of the server can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter of the request is malformed or out of its range (400).
    #[error("{0}")]
    BadRequest(String),
    /// An unknown id, a chunk past the end, a track without artwork (404).
    #[error("{0}")]
    NotFound(String),
    /// The file behind a track cannot be decoded; the message names the reason (422).
    #[error("{0}")]
    Undecodable(String),
    /// Anything else: the database, the disk, a worker that went away (500).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::NotFound(message.into())
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into())
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        if e.is_panic() {
            Error::Internal("a background task panicked".into())
        } else {
            Error::Internal("a background task was cancelled".into())
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<auralis_library::LibraryError> for Error {
    fn from(e: auralis_library::LibraryError) -> Self {
        use auralis_library::LibraryError as L;
        match e {
            L::TrackNotFound(id) => Error::NotFound(format!("no track with id {id}")),
            L::OutsideLibrary(_) => {
                Error::NotFound("the track's file is outside the music folder".into())
            }
            L::NoMusicDir => Error::NotFound("no music folder has been scanned yet".into()),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<auralis_cache::CacheError> for Error {
    fn from(e: auralis_cache::CacheError) -> Self {
        use auralis_cache::CacheError as C;
        match e {
            C::OutOfRange { .. } => Error::NotFound(e.to_string()),
            C::InvalidVariant(m) => Error::BadRequest(m),
            C::Describe { ref message, .. } | C::Render { ref message, .. } => {
                super::renderer::classify(message, e.to_string())
            }
            other => Error::Internal(other.to_string()),
        }
    }
}
