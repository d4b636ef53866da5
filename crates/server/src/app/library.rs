//! The library service: browsing (tracks, albums, artists, artwork, the unreadable list) and
//! the background scan. SQLite work runs on blocking threads, never on the async workers.
//!
//! Not for: audio (the playback service) or HTTP shapes (the transports).

use std::sync::Arc;

use auralis_cache::TrackId;
use auralis_engine::Engine;
use auralis_library::{Album, AlbumDetail, Artist, Library, Track, UnreadableFile};

use super::error::{Error, Result};
use super::scanner::{ScanStatus, Scanner};

#[derive(Clone)]
pub struct LibraryService {
    library: Arc<Library>,
    engine: Arc<Engine>,
    scanner: Arc<Scanner>,
}

impl LibraryService {
    pub(crate) fn new(library: Arc<Library>, engine: Arc<Engine>, scanner: Arc<Scanner>) -> Self {
        Self {
            library,
            engine,
            scanner,
        }
    }

    /// Runs a query on a blocking thread.
    pub(crate) async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Library) -> auralis_library::Result<T> + Send + 'static,
    ) -> Result<T> {
        let lib = self.library.clone();
        Ok(tokio::task::spawn_blocking(move || f(&lib)).await??)
    }

    pub async fn track_count(&self) -> Result<u64> {
        self.db(|l| l.counts().map(|c| c.tracks)).await
    }

    pub async fn tracks(
        &self,
        query: Option<String>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<Track>, u64)> {
        self.db(move |l| {
            l.tracks(
                query.as_deref(),
                limit as usize,
                usize::try_from(offset).unwrap_or(usize::MAX),
            )
        })
        .await
    }

    pub async fn track(&self, id: i64) -> Result<Track> {
        self.db(move |l| l.track(id))
            .await?
            .ok_or_else(|| Error::not_found(format!("no track with id {id}")))
    }

    pub async fn albums(&self) -> Result<Vec<Album>> {
        self.db(|l| l.albums()).await
    }

    pub async fn album(&self, id: i64) -> Result<AlbumDetail> {
        self.db(move |l| l.album(id))
            .await?
            .ok_or_else(|| Error::not_found(format!("no album with id {id}")))
    }

    pub async fn artists(&self) -> Result<Vec<Artist>> {
        self.db(|l| l.artists()).await
    }

    /// Files the last scans could not read, with the reason (paths relative to the music
    /// folder).
    pub async fn unreadable(&self) -> Result<Vec<UnreadableFile>> {
        self.db(|l| l.unreadable()).await
    }

    /// Image bytes and MIME type of a track's artwork.
    pub async fn artwork(&self, id: i64) -> Result<(Vec<u8>, String)> {
        self.track(id).await?;
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || engine.checked_file(TrackId(id))).await??;
        self.db(move |l| l.artwork(id))
            .await?
            .ok_or_else(|| Error::not_found(format!("track {id} has no artwork")))
    }

    /// Starts a scan (then analysis) in the background unless one runs.
    pub fn start_scan(&self) -> ScanStatus {
        self.scanner.start()
    }

    pub fn scan_status(&self) -> ScanStatus {
        self.scanner.status()
    }
}
