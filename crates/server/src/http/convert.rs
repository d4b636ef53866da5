//! Domain → wire conversions (the only place that knows both shapes).

use auralis_library as lib;
use auralis_library::people::TrackMarks;

use super::dto;
use crate::app::{self, EnhancementState, ScanStatus, TrackInfo};

impl From<&lib::Track> for dto::Track {
    fn from(t: &lib::Track) -> Self {
        dto::Track {
            id: t.id,
            title: Some(t.title.clone()),
            artist: t.artist.clone(),
            album: t.album.clone(),
            album_artist: t.album_artist.clone(),
            album_id: t.album_id,
            artist_id: t.artist_id,
            track_number: t.track_number,
            disc_number: t.disc_number,
            year: t.year,
            genre: t.genre.clone(),
            duration_s: Some(t.duration_seconds),
            sample_rate: t.sample_rate,
            channels: t.channels.map(u32::from),
            bit_depth: t.bit_depth.map(u32::from),
            has_artwork: t.artwork.is_some(),
            replaygain_track_gain: t.replay_gain.track_gain_db,
            replaygain_album_gain: t.replay_gain.album_gain_db,
            favorite: false,
            play_count: 0,
            last_played: None,
        }
    }
}

impl dto::Track {
    /// With the caller's marks (favourite, plays).
    pub fn marked(mut self, marks: Option<&TrackMarks>) -> Self {
        if let Some(m) = marks {
            self.favorite = m.favorite;
            self.play_count = m.play_count;
            self.last_played = m.last_played;
        }
        self
    }
}

impl From<&lib::people::Playlist> for dto::Playlist {
    fn from(p: &lib::people::Playlist) -> Self {
        dto::Playlist {
            id: p.id,
            name: p.name.clone(),
            comment: p.comment.clone(),
            public: p.public,
            owner: p.owner.clone(),
            owner_id: p.owner_id,
            mine: false,
            track_count: p.track_count,
            duration_s: p.duration_seconds,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

impl From<&lib::lyrics::Lyrics> for dto::Lyrics {
    fn from(l: &lib::lyrics::Lyrics) -> Self {
        dto::Lyrics {
            synced: l.synced,
            source: match l.source {
                lib::lyrics::LyricsSource::Lrc => "lrc".into(),
                lib::lyrics::LyricsSource::Tag => "tag".into(),
            },
            lines: l
                .lines
                .iter()
                .map(|x| dto::LyricLine {
                    start_s: x.start_s,
                    text: x.text.clone(),
                })
                .collect(),
        }
    }
}

impl From<&lib::User> for dto::User {
    fn from(u: &lib::User) -> Self {
        dto::User {
            id: u.id,
            name: u.name.clone(),
            admin: u.admin,
            created_at: u.created_at,
        }
    }
}

impl From<&lib::ApiKey> for dto::ApiKey {
    fn from(k: &lib::ApiKey) -> Self {
        dto::ApiKey {
            id: k.id,
            name: k.name.clone(),
            created_at: k.created_at,
            last_used: k.last_used,
        }
    }
}

impl From<&lib::Album> for dto::Album {
    fn from(a: &lib::Album) -> Self {
        dto::Album {
            id: a.id,
            title: Some(a.title.clone()),
            artist: a.artist.clone(),
            year: a.year,
            track_count: u64::from(a.track_count),
            duration_s: a.duration_seconds,
            has_artwork: a.artwork_track_id.is_some(),
            cover_track_id: a.artwork_track_id,
            favorite: false,
        }
    }
}

impl From<&lib::Artist> for dto::Artist {
    fn from(a: &lib::Artist) -> Self {
        dto::Artist {
            id: a.id,
            name: a.name.clone(),
            album_count: u64::from(a.album_count),
            track_count: u64::from(a.track_count),
            favorite: false,
        }
    }
}

impl From<&lib::AlbumDetail> for dto::AlbumWithTracks {
    fn from(a: &lib::AlbumDetail) -> Self {
        dto::AlbumWithTracks {
            album: (&a.album).into(),
            tracks: a.tracks.iter().map(Into::into).collect(),
        }
    }
}

impl From<&lib::ScanReport> for dto::ScanReport {
    fn from(r: &lib::ScanReport) -> Self {
        dto::ScanReport {
            added: r.added,
            updated: r.updated,
            removed: r.removed,
            unchanged: r.unchanged,
            unreadable: r.unreadable,
            seconds: r.seconds,
        }
    }
}

impl From<&ScanStatus> for dto::ScanStatus {
    fn from(s: &ScanStatus) -> Self {
        dto::ScanStatus {
            running: s.running,
            phase: s.phase.as_str().to_string(),
            seen: s.seen,
            processed: s.processed,
            total: s.total,
            last_report: s.last_report.as_ref().map(Into::into),
            error: s.error.clone(),
        }
    }
}

impl From<EnhancementState> for dto::Enhancement {
    fn from(s: EnhancementState) -> Self {
        dto::Enhancement {
            enabled: s.enabled,
            preset: s.preset.to_string(),
            intensity: s.intensity,
            loudness: s.loudness.to_string(),
        }
    }
}

/// A track's timeline and format, with the level-match gain asked for.
impl From<(&TrackInfo, f64)> for dto::StreamMetadata {
    fn from((i, level_match_db): (&TrackInfo, f64)) -> Self {
        let tl = &i.timeline;
        dto::StreamMetadata {
            track_id: i.id.0,
            duration_s: tl.duration_seconds(),
            sample_rate: tl.sample_rate(),
            channels: 2,
            chunk_samples: tl.chunk_len(),
            chunk_seconds: tl.chunk_seconds(),
            total_samples: tl.total_samples(),
            total_chunks: tl.chunk_count(),
            presets: auralis_master::Preset::ALL
                .iter()
                .map(|p| p.to_string())
                .collect(),
            bit_depth: i.bits,
            level_match_db,
        }
    }
}

impl From<&auralis_cache::QueuedTask> for dto::QueuedTask {
    fn from(t: &auralis_cache::QueuedTask) -> Self {
        dto::QueuedTask {
            track_id: t.track.0,
            chunk: t.chunk,
            priority: format!("{:?}", t.priority),
            variants: t.variants.iter().map(|v| v.to_string()).collect(),
            waiters: t.waiters as u64,
        }
    }
}

impl From<&auralis_cache::CacheStats> for dto::CacheStats {
    fn from(s: &auralis_cache::CacheStats) -> Self {
        dto::CacheStats {
            tier1: dto::TierStats {
                hits: s.tier1_hits,
                misses: s.tier1_misses,
                chunks: s.tier1_chunks,
                bytes: s.tier1_bytes,
            },
            tier2: dto::TierStats {
                hits: s.tier2_hits,
                misses: s.misses,
                chunks: s.tier2_chunks,
                bytes: s.tier2_bytes,
            },
            requests: s.requests,
            hit_rate: s.hit_rate,
            misses: s.misses,
            tracks: s.tracks_cached,
            budget_bytes: s.budget_bytes,
            max_tracks: s.max_tracks as u64,
            rendered: s.rendered,
            render_errors: s.render_errors,
            queued_tasks: s.queued_tasks,
            running_tasks: s.running_tasks,
            listeners: s.listeners,
            expired_listeners: s.expired_listeners,
            refused_requests: s.refused_requests,
            dropped_requests: s.dropped_tasks,
            pinned_bytes: s.pinned_bytes,
        }
    }
}

impl From<&auralis_cache::TrackStatus> for dto::TrackCacheStatus {
    fn from(s: &auralis_cache::TrackStatus) -> Self {
        let mut cached: std::collections::BTreeMap<String, u64> = s
            .variants
            .iter()
            .map(|v| (v.variant.name().to_string(), v.cached_chunks))
            .collect();
        cached.entry("original".into()).or_insert(0);
        let processed = auralis_cache::Variant::processed(s.preset, s.loudness);
        cached.entry(processed.name().to_string()).or_insert(0);
        dto::TrackCacheStatus {
            track_id: s.track.0,
            total_chunks: s.total_chunks,
            cached,
            preset: s.preset.to_string(),
            loudness: s.loudness.to_string(),
            percent: s.percent,
            fully_cached: s.fully_cached,
            seconds_to_full: s.seconds_to_full,
            tier1_chunks: s.tier1_chunks,
            pinned: s.pinned,
            listeners: s.listeners,
        }
    }
}

/// An event as SSE sends it: its name and its JSON payload.
pub fn event_wire(e: &app::Event) -> (&'static str, String) {
    use app::Event as E;
    let json = |v: &dyn erased::Ser| v.json();
    match e {
        E::ChunkCached {
            track,
            chunk,
            variant,
            tier,
        } => (
            "chunk_cached",
            json(&dto::ChunkCachedEvent {
                track_id: *track,
                chunk: *chunk,
                variant: variant.to_string(),
                tier: tier.to_string(),
            }),
        ),
        E::TrackProgress {
            track,
            preset,
            loudness,
            percent,
            cached_chunks,
            total_chunks,
        } => (
            "track_progress",
            json(&dto::TrackProgressEvent {
                track_id: *track,
                preset: preset.to_string(),
                loudness: loudness.to_string(),
                percent: *percent,
                cached_chunks: *cached_chunks,
                total_chunks: *total_chunks,
            }),
        ),
        E::TrackCached {
            track,
            preset,
            loudness,
        } => (
            "track_cached",
            json(&dto::TrackCachedEvent {
                track_id: *track,
                preset: preset.to_string(),
                loudness: loudness.to_string(),
            }),
        ),
        E::Evicted { track } => ("evicted", json(&dto::TrackIdEvent { track_id: *track })),
        E::Scan(s) => ("scan", json(&dto::ScanStatus::from(s))),
        E::Enhancement { state, .. } => ("enhancement", json(&dto::Enhancement::from(*state))),
    }
}

mod erased {
    /// Serialises any DTO to a JSON string (object-safe, so `event_wire` stays one match).
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".into())
        }
    }
}
