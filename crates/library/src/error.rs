//! The library's one error type. Every message names the file (or the database) and the cause.

use std::path::PathBuf;

/// Errors of the music library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LibraryError {
    #[error("cannot open library database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("library database {path}: {source}")]
    Database {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// Internal form of `Database` before the path is attached; public methods return
    /// `Database`.
    #[error("library database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(
        "library database {path} has schema version {found}, newer than this build supports ({supported})"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read tags of {path}: {source}")]
    Tags {
        path: PathBuf,
        source: lofty::error::FileParseError,
    },
    #[error("cannot write tags of {path}: {source}")]
    WriteTags {
        path: PathBuf,
        source: lofty::error::FileEncodingError,
    },
    #[error("music folder {0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("{0} is outside the music folder")]
    OutsideLibrary(PathBuf),
    #[error("track {0} not found")]
    TrackNotFound(i64),
    #[error("no music folder has been scanned yet")]
    NoMusicDir,
    #[error("a scan of the music folder is already running")]
    ScanInProgress,
    #[error("cannot serialise the profile of track {id}: {source}")]
    Json { id: i64, source: serde_json::Error },
}

impl LibraryError {
    /// Names the database file in a bare SQLite error.
    pub(crate) fn in_db(self, db_path: &std::path::Path) -> Self {
        match self {
            LibraryError::Db(source) => LibraryError::Database {
                path: db_path.to_path_buf(),
                source,
            },
            other => other,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LibraryError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = LibraryError> = std::result::Result<T, E>;
