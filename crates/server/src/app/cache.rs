//! The cache service: statistics, one track's cache status, and clearing both tiers.
//!
//! Not for: serving chunks (the playback service does that, through the same cache).

use std::sync::Arc;

use auralis_cache::{Cache, CacheStats, ListenerStatus, QueuedTask, TrackId, TrackStatus, Variant};
use auralis_engine::Engine;

use super::error::Result;

#[derive(Clone)]
pub struct CacheService {
    cache: Arc<Cache>,
    engine: Arc<Engine>,
}

impl CacheService {
    pub(crate) fn new(cache: Arc<Cache>, engine: Arc<Engine>) -> Self {
        Self { cache, engine }
    }

    pub fn stats(&self) -> CacheStats {
        self.cache.stats()
    }

    pub fn listeners(&self) -> Vec<ListenerStatus> {
        self.cache.listeners()
    }

    /// The worker's work in the order it would run now, at most `limit` tasks.
    pub fn queue(&self, limit: usize) -> Vec<QueuedTask> {
        self.cache.queue(limit)
    }

    /// Completion of the original and the processed variant `processed` for one track.
    pub async fn track_status(&self, id: i64, processed: Variant) -> Result<TrackStatus> {
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || engine.track_info(TrackId(id))).await??;
        Ok(self.cache.track_status_of(TrackId(id), processed).await?)
    }

    pub async fn clear(&self) -> Result<()> {
        let cache = self.cache.clone();
        tokio::task::spawn_blocking(move || cache.clear()).await?;
        Ok(())
    }
}
