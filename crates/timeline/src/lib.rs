//! The one chunk timeline (docs/DESIGN.md, invariant 1).
//!
//! Chunk `i` of a track covers output samples `[i*L, min((i+1)*L, N))`, where `L` is the chunk
//! length and `N` the track length, both in samples (frames) at the output rate. Chunks tile the
//! track exactly: no overlap, no padding. Every position ↔ chunk computation in Auralis goes
//! through this type so that the server, the cache and the player can never disagree.
//!
//! Not for: knowing anything about audio content, files or formats.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Default chunk length in seconds.
pub const DEFAULT_CHUNK_SECONDS: f64 = 10.0;

/// Errors from building a timeline out of user-supplied settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineError {
    ZeroSampleRate,
    ZeroChunkLength,
}

impl std::fmt::Display for TimelineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimelineError::ZeroSampleRate => write!(f, "sample rate must be greater than zero"),
            TimelineError::ZeroChunkLength => write!(f, "chunk length must be at least one sample"),
        }
    }
}

impl std::error::Error for TimelineError {}

/// Where a seek lands: the chunk holding the target sample and the offset inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeekPoint {
    pub chunk: u64,
    pub offset_in_chunk: u64,
    pub sample: u64,
}

/// A track's chunk timeline at the output rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    total_samples: u64,
    sample_rate: u32,
    chunk_len: u64,
}

impl Timeline {
    /// A timeline of `total_samples` frames at `sample_rate`, cut into chunks of `chunk_len` frames.
    pub fn new(
        total_samples: u64,
        sample_rate: u32,
        chunk_len: u64,
    ) -> Result<Self, TimelineError> {
        if sample_rate == 0 {
            return Err(TimelineError::ZeroSampleRate);
        }
        if chunk_len == 0 {
            return Err(TimelineError::ZeroChunkLength);
        }
        Ok(Self {
            total_samples,
            sample_rate,
            chunk_len,
        })
    }

    /// A timeline whose chunks last `chunk_seconds` (rounded to whole samples, at least one).
    pub fn with_chunk_seconds(
        total_samples: u64,
        sample_rate: u32,
        chunk_seconds: f64,
    ) -> Result<Self, TimelineError> {
        Self::new(
            total_samples,
            sample_rate,
            chunk_len_for(sample_rate, chunk_seconds)?,
        )
    }

    pub fn total_samples(&self) -> u64 {
        self.total_samples
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    pub fn chunk_len(&self) -> u64 {
        self.chunk_len
    }

    pub fn chunk_seconds(&self) -> f64 {
        self.chunk_len as f64 / self.sample_rate as f64
    }

    pub fn duration_seconds(&self) -> f64 {
        self.total_samples as f64 / self.sample_rate as f64
    }

    /// Number of chunks: `ceil(N / L)`; an empty track has none.
    pub fn chunk_count(&self) -> u64 {
        self.total_samples.div_ceil(self.chunk_len)
    }

    /// The sample range chunk `index` covers, or `None` past the last chunk.
    pub fn chunk_range(&self, index: u64) -> Option<Range<u64>> {
        if index >= self.chunk_count() {
            return None;
        }
        let start = index * self.chunk_len;
        Some(start..(start + self.chunk_len).min(self.total_samples))
    }

    /// The chunk holding `sample`, or `None` at or past the end.
    pub fn chunk_of_sample(&self, sample: u64) -> Option<u64> {
        (sample < self.total_samples).then(|| sample / self.chunk_len)
    }

    /// The sample at `seconds`, rounded to the nearest sample and clamped to `[0, N]`.
    /// Negative, NaN and infinite inputs clamp too, so user input can never escape the track.
    pub fn sample_at_seconds(&self, seconds: f64) -> u64 {
        if !seconds.is_finite() {
            return if seconds == f64::INFINITY {
                self.total_samples
            } else {
                0
            };
        }
        let s = (seconds * self.sample_rate as f64).round();
        if s <= 0.0 {
            0
        } else if s >= self.total_samples as f64 {
            self.total_samples
        } else {
            s as u64
        }
    }

    /// Where a seek to `seconds` lands; `None` for an empty track or a position at/after the end.
    pub fn seek(&self, seconds: f64) -> Option<SeekPoint> {
        let sample = self.sample_at_seconds(seconds);
        let chunk = self.chunk_of_sample(sample)?;
        Some(SeekPoint {
            chunk,
            offset_in_chunk: sample - chunk * self.chunk_len,
            sample,
        })
    }
}

/// Chunk length in samples for `chunk_seconds` at `sample_rate`.
pub fn chunk_len_for(sample_rate: u32, chunk_seconds: f64) -> Result<u64, TimelineError> {
    if sample_rate == 0 {
        return Err(TimelineError::ZeroSampleRate);
    }
    if !chunk_seconds.is_finite() || chunk_seconds <= 0.0 {
        return Err(TimelineError::ZeroChunkLength);
    }
    let len = (chunk_seconds * sample_rate as f64).round();
    if len < 1.0 {
        return Err(TimelineError::ZeroChunkLength);
    }
    Ok(len as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: [u32; 6] = [8_000, 22_050, 44_100, 48_000, 96_000, 192_000];

    fn lengths(l: u64) -> Vec<u64> {
        vec![
            0,
            1,
            2,
            l - 1,
            l,
            l + 1,
            2 * l - 1,
            2 * l,
            2 * l + 1,
            7 * l + l / 3,
            3600 * 48_000 + 17,
        ]
    }

    /// Exhaustive sweep: chunks tile [0, N) exactly, and every derived function agrees.
    #[test]
    fn chunks_tile_every_length_and_rate() {
        for &rate in &RATES {
            for chunk_seconds in [10.0, 1.0, 0.5, 3.7] {
                let l = chunk_len_for(rate, chunk_seconds).unwrap();
                for n in lengths(l) {
                    let t = Timeline::new(n, rate, l).unwrap();
                    let count = t.chunk_count();
                    assert_eq!(count, n.div_ceil(l), "count n={n} l={l}");
                    let mut next = 0;
                    for i in 0..count {
                        let r = t.chunk_range(i).unwrap();
                        assert_eq!(r.start, next, "gap/overlap at chunk {i} n={n} l={l}");
                        assert!(!r.is_empty() && r.end - r.start <= l);
                        if i + 1 < count {
                            assert_eq!(r.end - r.start, l, "only the last chunk may be short");
                        }
                        // first, last and middle sample of each chunk map back to it
                        for s in [r.start, r.start + (r.end - r.start) / 2, r.end - 1] {
                            assert_eq!(t.chunk_of_sample(s), Some(i));
                        }
                        next = r.end;
                    }
                    assert_eq!(next, n, "chunks must end at N");
                    assert_eq!(t.chunk_range(count), None);
                    assert_eq!(t.chunk_of_sample(n), None);
                }
            }
        }
    }

    #[test]
    fn every_sample_of_small_tracks_maps_to_its_chunk() {
        for l in 1..=13u64 {
            for n in 0..=60u64 {
                let t = Timeline::new(n, 48_000, l).unwrap();
                for s in 0..n {
                    let c = t.chunk_of_sample(s).unwrap();
                    assert!(t.chunk_range(c).unwrap().contains(&s));
                }
            }
        }
    }

    #[test]
    fn seek_lands_on_the_right_chunk_and_offset() {
        for &rate in &RATES {
            let l = chunk_len_for(rate, 10.0).unwrap();
            let n = 5 * l + 123;
            let t = Timeline::new(n, rate, l).unwrap();
            for k in 0..5u64 {
                let p = t.seek(k as f64 * 10.0 + 0.25).unwrap();
                assert_eq!(p.chunk, k);
                assert_eq!(p.offset_in_chunk, (0.25 * rate as f64).round() as u64);
                assert_eq!(p.sample, p.chunk * l + p.offset_in_chunk);
            }
            // the short last chunk holds only 123 samples
            let last = t.seek(50.0 + 100.0 / rate as f64).unwrap();
            assert_eq!((last.chunk, last.offset_in_chunk), (5, 100));
            assert_eq!(t.seek(-3.0).unwrap().sample, 0);
            assert_eq!(t.seek(f64::NAN).unwrap().sample, 0);
            assert_eq!(t.seek(1e12), None, "past the end");
            assert_eq!(t.seek(f64::INFINITY), None);
            assert_eq!(t.seek(t.duration_seconds()), None);
        }
    }

    #[test]
    fn default_chunk_is_ten_seconds_at_each_rate() {
        assert_eq!(
            chunk_len_for(44_100, DEFAULT_CHUNK_SECONDS).unwrap(),
            441_000
        );
        assert_eq!(
            chunk_len_for(48_000, DEFAULT_CHUNK_SECONDS).unwrap(),
            480_000
        );
    }

    #[test]
    fn bad_settings_are_errors() {
        assert_eq!(Timeline::new(10, 0, 5), Err(TimelineError::ZeroSampleRate));
        assert_eq!(
            Timeline::new(10, 48_000, 0),
            Err(TimelineError::ZeroChunkLength)
        );
        assert!(chunk_len_for(48_000, 0.0).is_err());
        assert!(chunk_len_for(48_000, -1.0).is_err());
        assert!(chunk_len_for(48_000, f64::NAN).is_err());
        assert!(chunk_len_for(8_000, 1e-9).is_err());
    }

    #[test]
    fn empty_track_has_no_chunks() {
        let t = Timeline::new(0, 44_100, 441_000).unwrap();
        assert_eq!(t.chunk_count(), 0);
        assert_eq!(t.chunk_range(0), None);
        assert_eq!(t.seek(0.0), None);
    }
}
