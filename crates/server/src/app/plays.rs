//! When listening becomes a play: the usual scrobbling rule, applied to the position updates a
//! player sends (never to chunk downloads: prefetch is not listening).
//!
//! A playthrough counts once when the listener has **heard** half the track or 4 minutes,
//! whichever is less. Heard time grows only by position steps that match the time that passed
//! between two updates (playing); a jump forward or backward is a seek and adds nothing. Going
//! back to the start of the track after having listened to it begins a new playthrough, which
//! may count again.
//!
//! Not for: storing plays (the library) or a client that says itself that it played something
//! (Subsonic's `scrobble` records directly).

use std::collections::HashMap;

use auralis_cache::{ListenerKey, TrackId};

/// A play counts at this much heard time, or half the track if that is less.
pub const PLAY_AFTER_SECONDS: f64 = 240.0;
/// Positions near the start that begin a new playthrough when the listener comes back to them.
const RESTART_WITHIN_SECONDS: f64 = 3.0;
/// Listeners remembered at most (the least recently updated are forgotten).
const LISTENERS_KEPT: usize = 1024;

/// One listener's current playthrough.
#[derive(Clone, Debug)]
struct Playthrough {
    track: TrackId,
    heard: f64,
    counted: bool,
    position: f64,
    /// Seconds, on the caller's clock.
    at: f64,
}

/// The play counter of every listener.
#[derive(Default)]
pub struct PlayCounter {
    listeners: HashMap<ListenerKey, Playthrough>,
}

impl PlayCounter {
    /// A position update of `listener` (at `now` seconds on any steady clock): true when it
    /// completes a play of `track`.
    pub fn observe(
        &mut self,
        listener: &ListenerKey,
        track: TrackId,
        position: f64,
        duration: f64,
        now: f64,
    ) -> bool {
        let fresh = Playthrough {
            track,
            heard: 0.0,
            counted: false,
            position,
            at: now,
        };
        let Some(p) = self.listeners.get_mut(listener) else {
            if self.listeners.len() >= LISTENERS_KEPT {
                self.forget_oldest();
            }
            self.listeners.insert(listener.clone(), fresh);
            return false;
        };
        if p.track != track {
            *p = fresh;
            return false;
        }
        let dt = (now - p.at).max(0.0);
        let dp = position - p.position;
        if dp > 0.0 && dp <= dt * 1.25 + 1.5 {
            // Playing: the position moved about as much as the time did.
            p.heard += dp;
        } else if dp < 0.0 && position < RESTART_WITHIN_SECONDS && (p.counted || p.heard > 0.0) {
            // Back to the start after listening: a new playthrough.
            *p = fresh;
            return false;
        }
        p.position = position;
        p.at = now;
        let needed = PLAY_AFTER_SECONDS.min(duration / 2.0);
        if !p.counted && p.heard >= needed && duration > 0.0 {
            p.counted = true;
            return true;
        }
        false
    }

    fn forget_oldest(&mut self) {
        if let Some(key) = self
            .listeners
            .iter()
            .min_by(|a, b| a.1.at.total_cmp(&b.1.at))
            .map(|(k, _)| k.clone())
        {
            self.listeners.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tab() -> ListenerKey {
        ListenerKey::new(1, "tab").unwrap()
    }

    /// Plays `track` from `from` to `to` seconds, one update a second; how many plays counted.
    fn play(c: &mut PlayCounter, track: i64, duration: f64, from: u32, to: u32, t0: f64) -> usize {
        (from..=to)
            .filter(|&s| {
                c.observe(
                    &tab(),
                    TrackId(track),
                    s as f64,
                    duration,
                    t0 + (s - from) as f64,
                )
            })
            .count()
    }

    #[test]
    fn half_the_track_or_four_minutes_whichever_is_less() {
        let mut c = PlayCounter::default();
        // A 200 s track counts after 100 s heard, once.
        assert_eq!(play(&mut c, 1, 200.0, 0, 99, 0.0), 0);
        assert_eq!(play(&mut c, 1, 200.0, 100, 199, 100.0), 1);
        // A 20-minute track counts after 4 minutes.
        let mut c = PlayCounter::default();
        assert_eq!(play(&mut c, 2, 1200.0, 0, 239, 0.0), 0);
        assert_eq!(play(&mut c, 2, 1200.0, 240, 241, 240.0), 1);
    }

    #[test]
    fn seeking_around_is_not_listening() {
        let mut c = PlayCounter::default();
        let k = tab();
        // Jump from 0 to 150 s of a 200 s track, in a second: nothing heard.
        assert!(!c.observe(&k, TrackId(1), 0.0, 200.0, 0.0));
        assert!(!c.observe(&k, TrackId(1), 150.0, 200.0, 1.0));
        // Ten seconds of listening from there: 10 s heard, far from 100.
        assert_eq!(play(&mut c, 1, 200.0, 150, 160, 1.0), 0);
        // Seeking back and forth, many times.
        for i in 0..50 {
            let pos = if i % 2 == 0 { 10.0 } else { 190.0 };
            assert!(!c.observe(&k, TrackId(1), pos, 200.0, 12.0 + i as f64));
        }
    }

    #[test]
    fn a_second_playthrough_counts_again_and_another_track_starts_over() {
        let mut c = PlayCounter::default();
        assert_eq!(play(&mut c, 1, 60.0, 0, 59, 0.0), 1);
        // Back to the start: a new playthrough.
        assert_eq!(play(&mut c, 1, 60.0, 0, 59, 100.0), 1);
        // Another track, then back: each playthrough counts on its own.
        assert_eq!(play(&mut c, 2, 60.0, 0, 20, 200.0), 0);
        assert_eq!(play(&mut c, 1, 60.0, 0, 29, 300.0), 0);
        assert_eq!(play(&mut c, 1, 60.0, 30, 31, 330.0), 1);
    }

    #[test]
    fn listeners_count_on_their_own() {
        let mut c = PlayCounter::default();
        let (a, b) = (
            ListenerKey::new(1, "a").unwrap(),
            ListenerKey::new(2, "a").unwrap(),
        );
        let mut counted = 0;
        for s in 0..=30 {
            counted += c.observe(&a, TrackId(1), s as f64, 60.0, s as f64) as usize;
            // b updates the same track with positions that jump: a seek each time.
            counted += c.observe(&b, TrackId(1), (s * 7 % 60) as f64, 60.0, s as f64) as usize;
        }
        assert_eq!(counted, 1);
    }
}
