//! A simulated listening session, reusable with any [`crate::Renderer`] (the fake one in this
//! crate's tests, the real one over a fixture in the server's): play from the start, toggle
//! the variant, change preset, seek, next track, back — recording which tier served each chunk
//! and which tier should have.
//!
//! Determinism without timing: every chunk the listener needs after a jump is requested
//! *before* the position update that would let the worker prefetch it (as the player does),
//! and the session waits for the worker to go idle before checking what should be hot.
//!
//! Preconditions: neither track cached, track `a` has at least 5 chunks and `b` at least 2,
//! `max_tracks >= 2`, `next_track_chunks >= 2`, and a budget that holds both tracks.

use crate::{Cache, CacheError, ListenerKey, Preset, Tier, TrackId, Variant};
use serde::Serialize;

/// One chunk request of the session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionStep {
    pub action: &'static str,
    pub track: TrackId,
    pub chunk: u64,
    pub variant: Variant,
    pub expected: Tier,
    pub got: Tier,
    pub bytes: usize,
}

/// Runs the session; compare `expected` and `got` of each step (see [`mismatches`]).
pub async fn listening_session(
    cache: &Cache,
    a: TrackId,
    b: TrackId,
    preset: Preset,
    other_preset: Preset,
) -> Result<Vec<SessionStep>, CacheError> {
    let me = ListenerKey::new(0, "session")?;
    let orig = Variant::Original;
    let p1 = Variant::Processed(preset);
    let p2 = Variant::Processed(other_preset);
    let n = cache.track_status(a, preset).await?.total_chunks;
    let seek_to = n.saturating_sub(2).max(3);
    let mut steps = Vec::new();
    let mut get = async |action, track, chunk, variant: Variant, expected| {
        let (bytes, got) = cache
            .get_chunk_for(Some(&me), track, chunk, variant)
            .await?;
        steps.push(SessionStep {
            action,
            track,
            chunk,
            variant,
            expected,
            got,
            bytes: bytes.len(),
        });
        Ok::<(), CacheError>(())
    };

    // Play A from the start: nothing is cached, the listener waits.
    get("play", a, 0, orig, Tier::Miss).await?;
    get("play", a, 0, p1, Tier::Miss).await?;
    cache.update_position(&me, a, 0, preset, Some(b)).await?;
    cache.wait_idle().await;
    get("play", a, 0, p1, Tier::Tier1).await?;
    get("play on", a, 1, orig, Tier::Tier1).await?;
    get("play on", a, 1, p1, Tier::Tier1).await?;
    cache.update_position(&me, a, 1, preset, Some(b)).await?;
    cache.wait_idle().await;
    get("play on", a, 2, orig, Tier::Tier1).await?;
    // Toggle: both variants of the current chunk are hot.
    get("toggle", a, 1, orig, Tier::Tier1).await?;
    get("toggle", a, 1, p1, Tier::Tier1).await?;
    // Another preset: rendered once, then hot; the first preset stays on disk.
    get("preset", a, 1, p2, Tier::Miss).await?;
    cache
        .update_position(&me, a, 1, other_preset, Some(b))
        .await?;
    cache.wait_idle().await;
    get("preset", a, 2, p2, Tier::Tier1).await?;
    get("preset back", a, 1, p1, Tier::Tier2).await?;
    // Seek: the whole track was built in the background.
    get("seek", a, seek_to, orig, Tier::Tier2).await?;
    get("seek", a, seek_to, p2, Tier::Tier2).await?;
    cache
        .update_position(&me, a, seek_to, other_preset, Some(b))
        .await?;
    cache.wait_idle().await;
    if seek_to + 1 < n {
        get("seek", a, seek_to + 1, p2, Tier::Tier1).await?;
    }
    // Next track: its first chunks were prefetched.
    get("next track", b, 0, orig, Tier::Tier2).await?;
    get("next track", b, 0, p2, Tier::Tier2).await?;
    cache.update_position(&me, b, 0, other_preset, None).await?;
    cache.wait_idle().await;
    get("next track", b, 1, orig, Tier::Tier1).await?;
    // Back: the previous track is still in tier 2.
    get("back", a, 0, orig, Tier::Tier2).await?;
    get("back", a, 0, p2, Tier::Tier2).await?;
    cache
        .update_position(&me, a, 0, other_preset, Some(b))
        .await?;
    cache.wait_idle().await;
    get("back", a, 1, p2, Tier::Tier1).await?;
    Ok(steps)
}

/// The steps whose tier differs from the expected one.
pub fn mismatches(steps: &[SessionStep]) -> Vec<&SessionStep> {
    steps.iter().filter(|s| s.expected != s.got).collect()
}
