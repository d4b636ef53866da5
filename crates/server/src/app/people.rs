//! Each user's music: playlists (with M3U in and out), favourites, plays and history, the saved
//! queue, ratings, and per track the lyrics and the waveform. The JSON API and the Subsonic API
//! both reach this data through this one service.
//!
//! Not for: counting plays from positions (the playback service does that and records them
//! here) or HTTP shapes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use auralis_cache::TrackId;
use auralis_engine::Engine;
use auralis_library::lyrics::{read_lyrics, Lyrics};
use auralis_library::people::m3u::{self, Import};
use auralis_library::people::{
    Favorites, HistoryEntry, ItemKind, PlayOrder, PlayQueue, Playlist, PlaylistDetail,
    PlaylistUpdate, TrackMarks,
};
use auralis_library::{Album, Library};

use super::error::{Error, Result};

/// Waveform slices stored per track; requests get them pooled down to what they ask.
pub const WAVEFORM_SLICES: usize = 4000;
/// Waveform sizes a client may ask for.
pub const WAVEFORM_POINTS: std::ops::RangeInclusive<usize> = 16..=4000;

/// Key of a user's streaming preferences in the per-user settings.
pub const STREAMING_KEY: &str = "streaming";

/// The lossy format a user's apps get when they ask for a bitrate without a format.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LossyFormat {
    /// Opus (smaller at the same quality; most apps play it).
    #[default]
    Opus,
    /// MP3 (for apps and players that cannot play Opus).
    Mp3,
}

/// How a user's Subsonic apps are streamed to.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct StreamingPreferences {
    pub lossy: LossyFormat,
}

/// How many of a user's most played tracks are looked through for one artist's.
const MOST_PLAYED_SCANNED: usize = 10_000;

/// A change to a playlist by position (see [`PeopleService::edit_playlist`]).
#[derive(Clone, Debug, Default)]
pub struct PlaylistEdit {
    pub name: Option<String>,
    pub comment: Option<String>,
    pub public: Option<bool>,
    /// Indices into the current order.
    pub remove: Vec<usize>,
    /// Track ids appended after the removals.
    pub add: Vec<i64>,
}

#[derive(Clone)]
pub struct PeopleService {
    library: Arc<Library>,
    engine: Arc<Engine>,
}

impl PeopleService {
    pub(crate) fn new(library: Arc<Library>, engine: Arc<Engine>) -> Self {
        Self { library, engine }
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Library) -> auralis_library::Result<T> + Send + 'static,
    ) -> Result<T> {
        let lib = self.library.clone();
        Ok(tokio::task::spawn_blocking(move || f(&lib)).await??)
    }

    // -- marks on listings ----------------------------------------------------------------

    /// The caller's marks (favourite, plays, rating) of these tracks.
    pub async fn track_marks(&self, user: i64, ids: Vec<i64>) -> Result<HashMap<i64, TrackMarks>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        self.db(move |l| l.track_marks(user, &ids)).await
    }

    /// Which of these albums or artists are the caller's favourites.
    pub async fn favorite_ids(
        &self,
        user: i64,
        kind: ItemKind,
        ids: Vec<i64>,
    ) -> Result<HashSet<i64>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        self.db(move |l| l.favorite_ids(user, kind, &ids)).await
    }

    /// When each of these albums or artists became a favourite of the caller (Unix seconds).
    pub async fn favorite_times(
        &self,
        user: i64,
        kind: ItemKind,
        ids: Vec<i64>,
    ) -> Result<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        self.db(move |l| l.favorite_times(user, kind, &ids)).await
    }

    /// The tracks the user played most, with their play counts, most first.
    pub async fn most_played_tracks(
        &self,
        user: i64,
        limit: usize,
    ) -> Result<Vec<(auralis_library::Track, u64)>> {
        self.db(move |l| l.most_played_tracks(user, limit)).await
    }

    /// The user's most played tracks by an artist (as track or album artist, named in any
    /// case), most first; every artist's for an empty name.
    pub async fn most_played_tracks_by(
        &self,
        user: i64,
        artist: &str,
        limit: usize,
    ) -> Result<Vec<auralis_library::Track>> {
        let artist = artist.trim().to_lowercase();
        let played = self.most_played_tracks(user, MOST_PLAYED_SCANNED).await?;
        Ok(played
            .into_iter()
            .map(|(t, _)| t)
            .filter(|t| {
                artist.is_empty()
                    || [&t.artist, &t.album_artist]
                        .iter()
                        .any(|a| a.as_deref().is_some_and(|a| a.to_lowercase() == artist))
            })
            .take(limit)
            .collect())
    }

    // -- playlists --------------------------------------------------------------------------

    pub async fn playlists(&self, user: i64) -> Result<Vec<Playlist>> {
        self.db(move |l| l.playlists(user)).await
    }

    pub async fn playlist(&self, user: i64, id: i64) -> Result<PlaylistDetail> {
        self.db(move |l| l.playlist(user, id))
            .await?
            .ok_or_else(|| Error::not_found(format!("no playlist with id {id}")))
    }

    pub async fn create_playlist(
        &self,
        user: i64,
        name: String,
        comment: String,
        public: bool,
        track_ids: Vec<i64>,
    ) -> Result<PlaylistDetail> {
        self.db(move |l| l.create_playlist(user, &name, &comment, public, &track_ids))
            .await
    }

    pub async fn update_playlist(
        &self,
        user: i64,
        id: i64,
        update: PlaylistUpdate,
    ) -> Result<PlaylistDetail> {
        self.db(move |l| l.update_playlist(user, id, &update)).await
    }

    /// Edits a playlist by position, as Subsonic apps do: removes the entries at `remove`
    /// (indices into the current order; 400 for one out of range), then appends `add`; and
    /// changes the name, comment or public flag where given.
    pub async fn edit_playlist(
        &self,
        user: i64,
        id: i64,
        edit: PlaylistEdit,
    ) -> Result<PlaylistDetail> {
        let current = self.playlist(user, id).await?;
        if let Some(bad) = edit.remove.iter().find(|&&i| i >= current.tracks.len()) {
            return Err(Error::bad_request(format!(
                "index {bad} is out of range: the playlist has {} entries",
                current.tracks.len()
            )));
        }
        let track_ids = (!edit.remove.is_empty() || !edit.add.is_empty()).then(|| {
            let mut ids: Vec<i64> = current
                .tracks
                .iter()
                .enumerate()
                .filter(|(i, _)| !edit.remove.contains(i))
                .map(|(_, t)| t.id)
                .collect();
            ids.extend(&edit.add);
            ids
        });
        let update = PlaylistUpdate {
            name: edit.name,
            comment: edit.comment,
            public: edit.public,
            track_ids,
        };
        self.update_playlist(user, id, update).await
    }

    /// The track whose artwork stands for a playlist: its first track with artwork.
    pub async fn playlist_artwork_track(&self, user: i64, id: i64) -> Result<Option<i64>> {
        Ok(self
            .playlist(user, id)
            .await?
            .tracks
            .iter()
            .find(|t| t.artwork.is_some())
            .map(|t| t.id))
    }

    pub async fn delete_playlist(&self, user: i64, id: i64) -> Result<()> {
        self.db(move |l| l.delete_playlist(user, id)).await
    }

    /// The playlist as M3U text (paths relative to the music folder).
    pub async fn export_m3u(&self, user: i64, id: i64) -> Result<String> {
        Ok(m3u::export(&self.playlist(user, id).await?))
    }

    pub async fn import_m3u(&self, user: i64, name: String, text: String) -> Result<Import> {
        self.db(move |l| l.import_m3u(user, &name, &text)).await
    }

    // -- favourites, ratings --------------------------------------------------------------

    pub async fn set_favorite(&self, user: i64, kind: ItemKind, id: i64, on: bool) -> Result<()> {
        self.db(move |l| l.set_favorite(user, kind, id, on)).await
    }

    pub async fn favorites(&self, user: i64) -> Result<Favorites> {
        self.db(move |l| l.favorites(user)).await
    }

    pub async fn set_rating(&self, user: i64, track: i64, rating: i64) -> Result<()> {
        self.db(move |l| l.set_rating(user, track, rating)).await
    }

    // -- plays ------------------------------------------------------------------------------

    /// Records a play (counted by the playback service, or scrobbled by a client).
    pub async fn record_play(&self, user: i64, track: i64, at: i64) -> Result<()> {
        self.db(move |l| l.record_play(user, track, at)).await
    }

    pub async fn history(
        &self,
        user: i64,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<HistoryEntry>, u64)> {
        self.db(move |l| l.history(user, limit, offset)).await
    }

    pub async fn albums_by_plays(&self, user: i64, order: PlayOrder) -> Result<Vec<Album>> {
        self.db(move |l| l.albums_by_plays(user, order)).await
    }

    // -- the saved queue --------------------------------------------------------------------

    pub async fn queue(&self, user: i64) -> Result<PlayQueue> {
        self.db(move |l| l.play_queue(user)).await
    }

    pub async fn save_queue(
        &self,
        user: i64,
        track_ids: Vec<i64>,
        current_index: u64,
        position_s: f64,
    ) -> Result<()> {
        if !position_s.is_finite() || position_s < 0.0 {
            return Err(Error::bad_request(
                "position_s must be a finite number of seconds >= 0",
            ));
        }
        if !track_ids.is_empty() && current_index as usize >= track_ids.len() {
            return Err(Error::bad_request(
                "current_index must point into track_ids",
            ));
        }
        self.db(move |l| l.save_play_queue(user, &track_ids, current_index, position_s))
            .await
    }

    // -- streaming preferences -------------------------------------------------------------

    /// The user's streaming preferences (the defaults until set).
    pub async fn streaming(&self, user: i64) -> Result<StreamingPreferences> {
        let stored = self
            .db(move |l| l.user_setting(user, STREAMING_KEY))
            .await?;
        Ok(stored
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    pub async fn set_streaming(&self, user: i64, prefs: StreamingPreferences) -> Result<()> {
        let value = serde_json::to_string(&prefs)
            .map_err(|e| Error::internal(format!("streaming preferences: {e}")))?;
        self.db(move |l| l.set_user_setting(user, STREAMING_KEY, &value))
            .await
    }

    // -- per track: lyrics, waveform --------------------------------------------------------

    /// The track's lyrics (from an `.lrc` beside it or its tags); 404 when it has none.
    pub async fn lyrics(&self, id: i64) -> Result<Lyrics> {
        let engine = self.engine.clone();
        let found = tokio::task::spawn_blocking(move || {
            let file = engine.checked_file(TrackId(id))?;
            Ok::<_, Error>(read_lyrics(&file.path))
        })
        .await??;
        found.ok_or_else(|| Error::not_found(format!("track {id} has no lyrics")))
    }

    /// The original's peak level in `points` slices (0..1), from the stored waveform.
    pub async fn waveform(&self, id: i64, points: usize) -> Result<Vec<f32>> {
        if !WAVEFORM_POINTS.contains(&points) {
            return Err(Error::bad_request(format!(
                "points must lie between {} and {}, got {points}",
                WAVEFORM_POINTS.start(),
                WAVEFORM_POINTS.end()
            )));
        }
        let stored = self.db(move |l| l.waveform(id)).await?.ok_or_else(|| {
            Error::not_found(format!(
                "track {id} has no waveform yet (it is computed with the analysis)"
            ))
        })?;
        Ok(pool_peaks(&stored, points))
    }
}

/// The maximum of each of `points` equal spans of `peaks` (stored as 0-255), as 0..1.
pub fn pool_peaks(peaks: &[u8], points: usize) -> Vec<f32> {
    if peaks.is_empty() {
        return vec![0.0; points];
    }
    (0..points)
        .map(|i| {
            let a = i * peaks.len() / points;
            let b = ((i + 1) * peaks.len() / points).max(a + 1).min(peaks.len());
            peaks[a.min(peaks.len() - 1)..b]
                .iter()
                .copied()
                .max()
                .unwrap_or(0) as f32
                / 255.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::pool_peaks;

    #[test]
    fn pooling_keeps_every_peak_and_the_length() {
        let peaks: Vec<u8> = (0..4000)
            .map(|i| if i == 1234 { 255 } else { 10 })
            .collect();
        for n in [16, 17, 333, 1000, 3999, 4000] {
            let p = pool_peaks(&peaks, n);
            assert_eq!(p.len(), n);
            assert_eq!(p.iter().filter(|v| **v == 1.0).count(), 1, "{n}");
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
        }
        // Fewer stored slices than asked: each is repeated, none lost.
        let p = pool_peaks(&[0, 255], 16);
        assert_eq!(p.len(), 16);
        assert_eq!(p[0], 0.0);
        assert_eq!(p[15], 1.0);
    }
}
