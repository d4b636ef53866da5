//! The engine's view of the library ([`auralis_engine::TrackStore`]) over SQLite: where a
//! track's file is and its stored profile. The engine reaches the library only through this.
//!
//! Not for: anything the HTTP API reads (the library service does that).

use std::sync::Arc;

use auralis_analysis::Profile;
use auralis_cache::{FileSignature, TrackId};
use auralis_engine::{RenderError, RenderErrorKind, TrackFile, TrackStore};
use auralis_library::{Library, LibraryError};

pub struct LibraryStore(pub Arc<Library>);

fn store_error(e: LibraryError) -> RenderError {
    let kind = match e {
        LibraryError::TrackNotFound(_) => RenderErrorKind::NotFound,
        LibraryError::OutsideLibrary(_) | LibraryError::NoMusicDir => RenderErrorKind::Changed,
        _ => RenderErrorKind::Internal,
    };
    let message = match kind {
        RenderErrorKind::Changed => {
            "the track's file is not in the music folder; rescan the library".into()
        }
        RenderErrorKind::Internal => "the library database failed; see the server log".into(),
        _ => e.to_string(),
    };
    if kind == RenderErrorKind::Internal {
        tracing::error!(error = %e, "library error");
    }
    RenderError::new(kind, message)
}

impl TrackStore for LibraryStore {
    fn locate(&self, track: TrackId) -> Result<Option<TrackFile>, RenderError> {
        let Some(t) = self.0.track(track.0).map_err(store_error)? else {
            return Ok(None);
        };
        let path = match self.0.track_path(track.0) {
            Ok(p) => p,
            // The file is gone (it cannot be resolved any more): hand over where it was, so
            // the engine's signature check reports it as changed since the scan.
            Err(LibraryError::Io { .. }) => match self.0.music_dir().map_err(store_error)? {
                Some(root) => root.join(&t.path),
                None => return Err(store_error(LibraryError::NoMusicDir)),
            },
            Err(e) => return Err(store_error(e)),
        };
        Ok(Some(TrackFile {
            path,
            relative: t.path,
            signature: t.signature,
        }))
    }

    fn load_profile(&self, track: TrackId) -> Result<Option<Profile>, RenderError> {
        // A profile of an older analysis format is missing, like one that no longer parses:
        // playback stores a fast profile in its place and the analysis (which lists it, see
        // `Library::tracks_to_analyse`) the full one, so no chunk is ever rendered from it.
        Ok(self
            .0
            .profile::<Profile>(track.0)
            .map_err(store_error)?
            .filter(|p| p.version >= auralis_analysis::PROFILE_VERSION))
    }

    fn save_profile(&self, track: TrackId, profile: &Profile) -> Result<(), RenderError> {
        self.0.set_profile(track.0, profile).map_err(store_error)
    }

    fn has_waveform(&self, track: TrackId) -> Result<bool, RenderError> {
        Ok(self.0.waveform(track.0).map_err(store_error)?.is_some())
    }

    fn save_waveform(&self, track: TrackId, peaks: &[u8]) -> Result<(), RenderError> {
        self.0.set_waveform(track.0, peaks).map_err(store_error)
    }

    fn album_members(&self, track: TrackId) -> Result<Vec<(TrackId, FileSignature)>, RenderError> {
        let Some(album) = self
            .0
            .track(track.0)
            .map_err(store_error)?
            .and_then(|t| t.album_id)
        else {
            return Ok(Vec::new());
        };
        let tracks = self
            .0
            .album(album)
            .map_err(store_error)?
            .map(|a| a.tracks)
            .unwrap_or_default();
        Ok(tracks
            .into_iter()
            .map(|t| (TrackId(t.id), t.signature))
            .collect())
    }
}
