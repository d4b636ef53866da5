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

use auralis_cache::{Cache, ListenerKey, TrackId, Variant};
use auralis_engine::{Engine, TrackInfo};
use bytes::Bytes;

use super::enhancement::{parse_preset, EnhancementService};
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

    /// Chunk `n` of a track through the cache. `variant` is `original` or `processed`
    /// (default: processed when enhancement is on); `preset` defaults to the current one.
    pub async fn chunk(
        &self,
        who: ListenerRef<'_>,
        id: i64,
        n: u64,
        variant: Option<&str>,
        preset: Option<&str>,
    ) -> Result<Chunk> {
        let listener = Self::key(&who)?;
        let state = self.enhancement.get(who.user).await?;
        let preset = match preset {
            Some(p) => parse_preset(p)?,
            None => state.preset,
        };
        let variant = match variant {
            Some("original") => Variant::Original,
            Some("processed") => Variant::Processed(preset),
            None if state.enabled => Variant::Processed(preset),
            None => Variant::Original,
            Some(other) => {
                return Err(Error::bad_request(format!(
                    "unknown variant {other:?}: use original or processed"
                )))
            }
        };
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
            bytes,
            tier: tier.as_str(),
            start_sample: range.start,
            samples: range.end - range.start,
            etag: info.etag(n, variant),
        })
    }

    /// The listener is at `position_s` of `track` and `next` plays after it: drives the worker,
    /// and counts a play when this listener has heard enough of the track (see `plays`).
    pub async fn update_position(
        &self,
        who: ListenerRef<'_>,
        track: i64,
        position_s: f64,
        next: Option<i64>,
    ) -> Result<()> {
        let listener = Self::key(&who)?;
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
        let preset = self.enhancement.get(who.user).await?.preset;
        self.cache
            .update_position(&listener, TrackId(track), chunk, preset, next.map(TrackId))
            .await?;
        let now = self.started.elapsed().as_secs_f64();
        let played = self.plays.lock().observe(
            &listener,
            TrackId(track),
            position_s,
            tl.duration_seconds(),
            now,
        );
        if played {
            let at = auralis_library::accounts::unix_now();
            self.people.record_play(who.user, track, at).await?;
        }
        Ok(())
    }
}
