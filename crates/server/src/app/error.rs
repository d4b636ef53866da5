//! The one error type of the server's services. Each transport maps each variant to its own
//! answer (the JSON API in `http::error`, and nowhere else).

use auralis_cache::{CacheError, RenderErrorKind};

/// Everything a request or a background job of the server can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter of the request is malformed or out of its range (400).
    #[error("{0}")]
    BadRequest(String),
    /// An unknown id, a chunk past the end, a track without artwork, a track whose file is
    /// gone since the last scan (404).
    #[error("{0}")]
    NotFound(String),
    /// The file behind a track cannot be decoded; the message names the reason (422).
    #[error("{0}")]
    Undecodable(String),
    /// Too much work is waiting: try again in `retry_after` seconds (503).
    #[error("{message}")]
    Busy { message: String, retry_after: u64 },
    /// No credentials, or wrong ones (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the state: setup done, a name in use, the last admin (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many failed attempts: try again in `retry_after` seconds (429).
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// A body in a format this route does not take (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A body over the size limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// Anything else: the database, the disk, a worker that went away (500). The message is
    /// for the log, never for the client: it may name this machine's paths.
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
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Error::Unauthorized(message.into())
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
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
            L::UserNotFound(id) => Error::NotFound(format!("no user with id {id}")),
            L::InvalidUserName(_) | L::InvalidPassword(_) | L::InvalidKeyName(_) => {
                Error::BadRequest(e.to_string())
            }
            L::UserNameTaken(_) | L::AlreadySetUp | L::LastAdmin => Error::Conflict(e.to_string()),
            L::PlaylistNotFound(_) | L::AlbumNotFound(_) | L::ArtistNotFound(_) => {
                Error::NotFound(e.to_string())
            }
            L::NotYourPlaylist(_) => Error::Forbidden(e.to_string()),
            L::InvalidPlaylistName(_) | L::InvalidRating(_) => Error::BadRequest(e.to_string()),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<auralis_engine::RenderError> for Error {
    fn from(e: auralis_engine::RenderError) -> Self {
        match e.kind {
            RenderErrorKind::NotFound | RenderErrorKind::Changed => Error::NotFound(e.message),
            RenderErrorKind::Undecodable => Error::Undecodable(e.message),
            RenderErrorKind::Internal => Error::Internal(e.message),
        }
    }
}

impl From<CacheError> for Error {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::OutOfRange { .. } => Error::NotFound(e.to_string()),
            CacheError::InvalidListener(m) => Error::BadRequest(m),
            CacheError::Busy {
                retry_after_secs, ..
            } => Error::Busy {
                message: e.to_string(),
                retry_after: retry_after_secs,
            },
            CacheError::Describe { source, .. } => source.into(),
            CacheError::Render { ref source, .. } => match source.kind {
                RenderErrorKind::NotFound | RenderErrorKind::Changed => {
                    Error::NotFound(source.message.clone())
                }
                RenderErrorKind::Undecodable => Error::Undecodable(e.to_string()),
                RenderErrorKind::Internal => Error::Internal(e.to_string()),
            },
            other => Error::Internal(other.to_string()),
        }
    }
}
