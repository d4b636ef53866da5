//! The library's one error type. Every message names the file (or the database) and the cause.

use std::path::{Path, PathBuf};

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
    /// The database file is not SQLite, or is damaged (truncated, overwritten). Nothing the
    /// server can repair: the message tells the user to move the file aside.
    #[error("{}", not_a_database_message(.path, .source))]
    NotADatabase {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    // -- accounts (see the `accounts` module) ---------------------------------------------
    #[error("invalid user name: {0}")]
    InvalidUserName(&'static str),
    #[error("invalid password: {0}")]
    InvalidPassword(&'static str),
    #[error("invalid API key name: {0}")]
    InvalidKeyName(&'static str),
    #[error("the user name {0:?} is already taken")]
    UserNameTaken(String),
    /// `setup_first_admin` after an account exists.
    #[error("the server is already set up: an account exists")]
    AlreadySetUp,
    #[error("cannot delete the last admin account")]
    LastAdmin,
    #[error("user {0} not found")]
    UserNotFound(i64),
    /// Hashing failed (invalid cost parameters); never a wrong password.
    #[error("cannot hash the password: {0}")]
    PasswordHash(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("secret key file {path} holds {found} bytes, not 32; it is not an Auralis key file")]
    SecretKeySize { path: PathBuf, found: u64 },
    #[error(
        "secret key file {path} is accessible by other users (mode {mode:04o}); \
         run `chmod 600 {}` and start again",
        shell_quoted(.path)
    )]
    SecretKeyPermissions { path: PathBuf, mode: u32 },
    #[error("cannot encrypt the Subsonic password copy of user {user_id}")]
    SecretEncrypt { user_id: i64 },
    /// The stored copy does not decrypt with this key: the key file was replaced, or the copy
    /// belongs to another user's row.
    #[error(
        "the stored Subsonic password of user {user_id} does not decrypt with this key file \
         (was the key file replaced?); setting the password again re-creates it"
    )]
    SecretDecrypt { user_id: i64 },

    // -- each user's music (see the `people` module) ----------------------------------------
    #[error("no playlist with id {0}")]
    PlaylistNotFound(i64),
    /// The playlist exists and the user may see it (it is public), but it is another user's.
    #[error("playlist {0} belongs to another user: it can be played, not changed")]
    NotYourPlaylist(i64),
    #[error("invalid playlist name: {0}")]
    InvalidPlaylistName(&'static str),
    #[error("no album with id {0}")]
    AlbumNotFound(i64),
    #[error("no artist with id {0}")]
    ArtistNotFound(i64),
    #[error("a rating is a whole number from 1 to 5 (0 removes it), not {0}")]
    InvalidRating(i64),
}

fn not_a_database_message(path: &Path, source: &rusqlite::Error) -> String {
    let cause = match source {
        rusqlite::Error::SqliteFailure(e, Some(message)) if message.is_empty() => e.to_string(),
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    };
    let with_suffix = |suffix: &str| PathBuf::from(format!("{}{suffix}", path.display()));
    // A stale write-ahead log left beside a new database would be replayed into it.
    let companions: Vec<String> = ["-wal", "-shm"]
        .iter()
        .map(|suffix| with_suffix(suffix))
        .filter(|p| p.exists())
        .map(|p| shell_quoted(&p))
        .collect();
    let also = if companions.is_empty() {
        String::new()
    } else {
        format!(" (and {} beside it)", companions.join(", "))
    };
    format!(
        "{} is not a readable Auralis library database ({cause}); move it aside{also} \
         (e.g. `mv {} {}`) and start again to create a new one",
        path.display(),
        shell_quoted(path),
        shell_quoted(&with_suffix(".broken")),
    )
}

/// `path` as it can be pasted into a shell: as is when it is plain, else in single quotes.
pub(crate) fn shell_quoted(path: &Path) -> String {
    let s = path.display().to_string();
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b));
    if plain {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// True for the SQLite errors that mean "this file is damaged or not a database".
pub(crate) fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

impl LibraryError {
    /// Names the database file in a bare SQLite error.
    /// A damaged file becomes [`LibraryError::NotADatabase`], wherever it is noticed.
    pub(crate) fn in_db(self, db_path: &Path) -> Self {
        match self {
            LibraryError::Db(source)
            | LibraryError::Open { source, .. }
            | LibraryError::Database { source, .. }
                if is_not_a_database(&source) =>
            {
                LibraryError::NotADatabase {
                    path: db_path.to_path_buf(),
                    source,
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(
            shell_quoted(Path::new("/srv/auralis/library.sqlite")),
            "/srv/auralis/library.sqlite"
        );
        assert_eq!(
            shell_quoted(Path::new("/home/me/My Music/it's.sqlite")),
            r"'/home/me/My Music/it'\''s.sqlite'"
        );
    }
}
