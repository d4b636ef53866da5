//! The playback service: listeners, their positions, and the chunks they play, all through the
//! one chunk cache.
//!
//! A listener is one playing client (a browser tab, later a Subsonic app) of one user, named by
//! the id its client chose; a request without one belongs to the user's `default` listener. Each
//! position update tells the cache where that listener is, so tier 1 holds every listener's
//! next chunk and tier 2 pins every listener's track; listeners that stop reporting are
//! forgotten after `listener_idle_seconds` by a background sweep.
//!
//! Not for: HTTP shapes, or deciding what to cache (the cache does that).

use std::sync::Arc;

use auralis_cache::{Cache, ListenerKey, Loudness, StreamFile, StreamWriter, TrackId, Variant};
use auralis_engine::{Engine, TrackInfo};
use bytes::Bytes;

use super::enhancement::{parse_loudness, parse_preset, EnhancementService};
use super::error::{Error, Result};
use super::people::PeopleService;
use super::plays::PlayCounter;

/// One chunk as served: bytes, where they came from, and where they sit on the timeline.
pub struct Chunk {
    pub bytes: Bytes,
    pub tier: &'static str,
    pub start_sample: u64,
    pub samples: u64,
    pub etag: String,
}

/// An ETag naming exactly these bytes. (A chunk's cache key cannot serve: the key a listener's
/// chunk was found under may be a step behind the track's newest description, e.g. just after
/// its full profile replaced the fast one.)
fn etag_of(bytes: &[u8]) -> String {
    format!(
        "\"{:016x}{:08x}\"",
        xxhash_rust::xxh3::xxh3_64(bytes),
        bytes.len() as u32
    )
}

/// Which listener a request speaks for: its user, and the id its client sent (if any).
#[derive(Clone, Debug)]
pub struct ListenerRef<'a> {
    pub user: i64,
    pub id: Option<&'a str>,
}

#[derive(Clone)]
pub struct PlaybackService {
    cache: Arc<Cache>,
    engine: Arc<Engine>,
    enhancement: EnhancementService,
    people: PeopleService,
    plays: Arc<parking_lot::Mutex<PlayCounter>>,
    /// The clock the play counter measures listening time with.
    started: std::time::Instant,
}

impl PlaybackService {
    pub(crate) fn new(
        cache: Arc<Cache>,
        engine: Arc<Engine>,
        enhancement: EnhancementService,
        people: PeopleService,
    ) -> Self {
        Self {
            cache,
            engine,
            enhancement,
            people,
            plays: Arc::default(),
            started: std::time::Instant::now(),
        }
    }

    fn key(who: &ListenerRef<'_>) -> Result<ListenerKey> {
        match who.id {
            Some(id) => Ok(ListenerKey::new(who.user, id)?),
            None => Ok(ListenerKey::default_for(who.user)),
        }
    }

    /// The facts of a track (timeline, format), from memory when its file is unchanged.
    pub async fn track_info(&self, id: i64) -> Result<Arc<TrackInfo>> {
        if let Some(info) = self.engine.cached_info(TrackId(id)) {
            return Ok(info);
        }
        let engine = self.engine.clone();
        Ok(tokio::task::spawn_blocking(move || engine.track_info(TrackId(id))).await??)
    }

    /// A track's facts and the gain (dB) that makes its original as loud as its processed
    /// variant of `preset` (default: the user's) in `loudness` mode (default: track), from the
    /// profiles (blocking work: may compute a never-analysed track's fast profile, and in album
    /// mode the album's).
    pub async fn metadata(
        &self,
        user: i64,
        id: i64,
        preset: Option<&str>,
        loudness: Option<&str>,
    ) -> Result<(Arc<TrackInfo>, f64)> {
        let preset = match preset {
            Some(p) => parse_preset(p)?,
            None => self.enhancement.get(user).await?.preset,
        };
        let loudness = loudness
            .map(parse_loudness)
            .transpose()?
            .unwrap_or_default();
        let info = self.track_info(id).await?;
        let engine = self.engine.clone();
        let gain = tokio::task::spawn_blocking(move || {
            engine.level_match_db(TrackId(id), preset, loudness)
        })
        .await??;
        Ok((info, gain))
    }

    /// The variant a request plays: `original` or `processed` (of `preset`, default the
    /// user's, in `loudness` mode, default track), or by default the processed one when the
    /// user's enhancement is on. The loudness mode is never taken from the user's setting, so
    /// a chunk URL always names the same bytes.
    pub async fn variant_for(
        &self,
        user: i64,
        variant: Option<&str>,
        preset: Option<&str>,
        loudness: Option<&str>,
    ) -> Result<Variant> {
        let state = self.enhancement.get(user).await?;
        let preset = match preset {
            Some(p) => parse_preset(p)?,
            None => state.preset,
        };
        let loudness = loudness
            .map(parse_loudness)
            .transpose()?
            .unwrap_or_default();
        let processed = Variant::processed(preset, loudness);
        match variant {
            Some("original") => Ok(Variant::Original),
            Some("processed") => Ok(processed),
            None if state.enabled => Ok(processed),
            None => Ok(Variant::Original),
            Some(other) => Err(Error::bad_request(format!(
                "unknown variant {other:?}: use original or processed"
            ))),
        }
    }

    /// Chunk `n` of a track through the cache. `variant` is `original` or `processed`
    /// (default: processed when enhancement is on); `preset` defaults to the current one,
    /// `loudness` to track.
    pub async fn chunk(
        &self,
        who: ListenerRef<'_>,
        id: i64,
        n: u64,
        variant: Option<&str>,
        preset: Option<&str>,
        loudness: Option<&str>,
    ) -> Result<Chunk> {
        let variant = self
            .variant_for(who.user, variant, preset, loudness)
            .await?;
        self.chunk_of(who, id, n, variant).await
    }

    /// Chunk `n` of one variant of a track through the cache.
    pub async fn chunk_of(
        &self,
        who: ListenerRef<'_>,
        id: i64,
        n: u64,
        variant: Variant,
    ) -> Result<Chunk> {
        let listener = Self::key(&who)?;
        let info = self.track_info(id).await?;
        let Some(range) = info.timeline.chunk_range(n) else {
            return Err(Error::not_found(format!(
                "chunk {n} is out of range: track {id} has {} chunks",
                info.timeline.chunk_count()
            )));
        };
        let (bytes, tier) = self
            .cache
            .get_chunk_for(Some(&listener), TrackId(id), n, variant)
            .await?;
        Ok(Chunk {
            etag: etag_of(&bytes),
            bytes,
            tier: tier.as_str(),
            start_sample: range.start,
            samples: range.end - range.start,
        })
    }

    /// The listener is at `position_s` of `track` and `next` plays after it, in `loudness`
    /// mode (default: the user's setting): drives the worker, and counts a play when this
    /// listener has heard enough of the track (see `plays`).
    pub async fn update_position(
        &self,
        who: ListenerRef<'_>,
        track: i64,
        position_s: f64,
        next: Option<i64>,
        loudness: Option<&str>,
    ) -> Result<()> {
        let loudness = loudness.map(parse_loudness).transpose()?;
        let (listener, duration) = self.place(&who, track, position_s, next, loudness).await?;
        let now = self.started.elapsed().as_secs_f64();
        let played =
            self.plays
                .lock()
                .observe(&listener, TrackId(track), position_s, duration, now);
        if played {
            let at = auralis_library::accounts::unix_now();
            self.people.record_play(who.user, track, at).await?;
        }
        Ok(())
    }

    /// Where a streaming app is, for the cache only: a Subsonic stream pins and prefetches
    /// like a page, but counts no play (the app says what it played with `scrobble`).
    pub async fn follow_stream(
        &self,
        who: ListenerRef<'_>,
        track: i64,
        position_s: f64,
    ) -> Result<()> {
        self.place(&who, track, position_s, None, None)
            .await
            .map(|_| ())
    }

    /// Tells the cache where a listener is and which loudness mode it plays (default: the
    /// user's setting); returns its key and the track's duration.
    async fn place(
        &self,
        who: &ListenerRef<'_>,
        track: i64,
        position_s: f64,
        next: Option<i64>,
        loudness: Option<Loudness>,
    ) -> Result<(ListenerKey, f64)> {
        let listener = Self::key(who)?;
        if !position_s.is_finite() || position_s < 0.0 {
            return Err(Error::bad_request(format!(
                "position_s must be a finite number of seconds >= 0, got {position_s}"
            )));
        }
        let info = self.track_info(track).await?;
        let tl = &info.timeline;
        let last = tl.chunk_count().saturating_sub(1);
        let chunk = tl
            .chunk_of_sample(tl.sample_at_seconds(position_s))
            .unwrap_or(last);
        if let Some(n) = next {
            // An unknown next track is a client error; an undecodable one is simply skipped.
            if matches!(self.track_info(n).await, Err(Error::NotFound(_))) {
                return Err(Error::not_found(format!("no track with id {n}")));
            }
        }
        let state = self.enhancement.get(who.user).await?;
        self.cache
            .update_position_in(
                &listener,
                TrackId(track),
                chunk,
                state.preset,
                loudness.unwrap_or(state.loudness),
                next.map(TrackId),
            )
            .await?;
        Ok((listener, tl.duration_seconds()))
    }

    /// A complete encoded stream of the track in tier 2 (see `auralis_cache::streams`).
    pub async fn stream_file(&self, id: i64, name: &str) -> Result<Option<StreamFile>> {
        Ok(self.cache.stream_file(TrackId(id), name).await?)
    }

    /// Starts keeping an encoded stream of the track in tier 2.
    pub async fn stream_writer(&self, id: i64, name: &str) -> Result<StreamWriter> {
        Ok(self.cache.stream_writer(TrackId(id), name).await?)
    }

    /// The user's enhancement state (what their streams play).
    pub async fn enhancement(&self, user: i64) -> Result<super::EnhancementState> {
        self.enhancement.get(user).await
    }

    /// Every active listener: who plays which track, and how long since it last reported.
    pub fn listeners(&self) -> Vec<auralis_cache::ListenerStatus> {
        self.cache.listeners()
    }

    /// The original file of a track, checked to be in the music folder and unchanged since
    /// the scan (for downloads).
    pub async fn original_file(&self, id: i64) -> Result<auralis_engine::TrackFile> {
        let engine = self.engine.clone();
        let file = tokio::task::spawn_blocking(move || engine.checked_file(TrackId(id))).await??;
        Ok(file)
    }
}
