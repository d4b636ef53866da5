//! The library service: browsing (tracks, albums, artists, artwork, the unreadable list) and
//! the background scan. SQLite work runs on blocking threads, never on the async workers.
//!
//! Not for: audio (the playback service) or HTTP shapes (the transports).

use std::sync::Arc;

use auralis_cache::TrackId;
use auralis_engine::Engine;
use auralis_library::browse::{AlbumOrder, Genre};
use auralis_library::{Album, AlbumDetail, Artist, Library, Track, UnreadableFile};

use super::error::{Error, Result};
use super::scanner::{ScanStatus, Scanner};

#[derive(Clone)]
pub struct LibraryService {
    library: Arc<Library>,
    engine: Arc<Engine>,
    scanner: Arc<Scanner>,
    scaled: super::artwork::ScaledArtwork,
}

impl LibraryService {
    pub(crate) fn new(library: Arc<Library>, engine: Arc<Engine>, scanner: Arc<Scanner>) -> Self {
        Self {
            library,
            engine,
            scanner,
            scaled: Default::default(),
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

    /// The artist's own albums (as album artist), by year and title.
    pub async fn albums_of_album_artist(&self, artist: i64) -> Result<Vec<Album>> {
        self.db(move |l| l.albums_of_album_artist(artist)).await
    }

    /// The track whose artwork stands for an artist: the artwork of its earliest album that
    /// has one.
    pub async fn artist_artwork_track(&self, artist: i64) -> Result<Option<i64>> {
        Ok(self
            .albums_of_album_artist(artist)
            .await?
            .iter()
            .find_map(|a| a.artwork_track_id))
    }

    /// The track whose artwork stands for a track: its own, else its album's.
    pub async fn track_artwork_track(&self, id: i64) -> Result<Option<i64>> {
        let track = self.track(id).await?;
        if track.artwork.is_some() {
            return Ok(Some(id));
        }
        Ok(match track.album_id {
            Some(a) => self.album(a).await?.album.artwork_track_id,
            None => None,
        })
    }

    pub async fn artist(&self, id: i64) -> Result<Artist> {
        self.db(move |l| l.artist(id))
            .await?
            .ok_or_else(|| Error::not_found(format!("no artist with id {id}")))
    }

    /// A page of albums in `order`.
    pub async fn albums_page(
        &self,
        order: AlbumOrder,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Album>> {
        self.db(move |l| l.albums_page(&order, limit, offset)).await
    }

    pub async fn genres(&self) -> Result<Vec<Genre>> {
        self.db(|l| l.genres()).await
    }

    pub async fn tracks_by_genre(
        &self,
        genre: String,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Track>> {
        self.db(move |l| l.tracks_by_genre(&genre, limit, offset))
            .await
    }

    pub async fn random_tracks(
        &self,
        limit: usize,
        genre: Option<String>,
        from_year: Option<i32>,
        to_year: Option<i32>,
    ) -> Result<Vec<Track>> {
        self.db(move |l| l.random_tracks(limit, genre.as_deref(), from_year, to_year))
            .await
    }

    /// Artists, albums and tracks matching `query` (everything for an empty one), each paged
    /// on its own.
    pub async fn search(&self, query: String, pages: SearchPages) -> Result<SearchResult> {
        self.db(move |l| {
            let artists = if pages.artists.0 == 0 {
                Vec::new()
            } else {
                l.search_artists(&query, pages.artists.0, pages.artists.1)?
            };
            let albums = if pages.albums.0 == 0 {
                Vec::new()
            } else {
                l.search_albums(&query, pages.albums.0, pages.albums.1)?
            };
            let tracks = if pages.tracks.0 == 0 {
                Vec::new()
            } else {
                l.tracks(Some(&query), pages.tracks.0, pages.tracks.1)?.0
            };
            Ok(SearchResult {
                artists,
                albums,
                tracks,
            })
        })
        .await
    }

    /// Every folder holding tracks, relative to the music folder.
    pub async fn folders(&self) -> Result<Vec<String>> {
        self.db(|l| l.track_folders()).await
    }

    pub async fn tracks_in_folder(&self, dir: String) -> Result<Vec<Track>> {
        self.db(move |l| l.tracks_in_folder(&dir)).await
    }

    /// A track by artist (may be empty) and title.
    pub async fn track_by_name(&self, artist: String, title: String) -> Result<Option<Track>> {
        self.db(move |l| l.track_by_name(&artist, &title)).await
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

    /// A track's artwork at most `size` pixels on its longer side (0: as stored).
    pub async fn artwork_scaled(&self, id: i64, size: u32) -> Result<(bytes::Bytes, String)> {
        let (bytes, mime) = self.artwork(id).await?;
        self.scaled.scaled(id, bytes, mime, size).await
    }

    /// Starts a scan (then analysis) in the background unless one runs.
    pub fn start_scan(&self) -> ScanStatus {
        self.scanner.start()
    }

    pub fn scan_status(&self) -> ScanStatus {
        self.scanner.status()
    }
}

/// (count, offset) per kind of search result.
#[derive(Clone, Copy, Debug)]
pub struct SearchPages {
    pub artists: (usize, usize),
    pub albums: (usize, usize),
    pub tracks: (usize, usize),
}

/// What a search found.
#[derive(Clone, Debug, Default)]
pub struct SearchResult {
    pub artists: Vec<Artist>,
    pub albums: Vec<Album>,
    pub tracks: Vec<Track>,
}
