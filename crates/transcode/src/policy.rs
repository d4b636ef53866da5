//! What to send for a Subsonic `stream` request: its `format` and `maxBitRate` (kbps, 0 = no
//! limit) → [`StreamFormat`].
//!
//! | `format`       | `maxBitRate` | sent                                                     |
//! |----------------|--------------|----------------------------------------------------------|
//! | `raw`          | any          | the original file, as it is (the limit is ignored)       |
//! | none / unknown | 0            | FLAC (mastered, lossless)                                |
//! | none / unknown | > 0          | the user's lossy codec (Opus unless set to MP3), limit   |
//! | `flac`         | any          | FLAC (a lossless stream cannot meet a bitrate)           |
//! | `opus`         | 0            | Opus at the default rate (128 kbps)                      |
//! | `opus`         | > 0          | Opus at the limit (at most 510 kbps)                     |
//! | `mp3`          | 0            | MP3 at the default rate (320 kbps)                       |
//! | `mp3`          | > 0          | MP3 at the highest standard bitrate ≤ the limit          |
//!
//! Format names are matched without regard to case. A limit under what a codec can do (MP3
//! under 32 kbps, Opus under 6 kbps) gets the codec's lowest rate: the one case where the
//! stream exceeds the limit, because a playable stream beats an error and no real client asks
//! for that little. An unknown `format` (e.g. `aac`) is treated as no format, as clients send
//! what they would like and play what they get.
//!
//! Not for: parsing the HTTP request, or storing the per-user preference (the server does).

use crate::mp3::{mp3_bitrate_at_most, MP3_BITRATES};
use crate::opus::OPUS_KBPS_RANGE;

/// The lossy codec a user's apps can play, used when they set a limit but no format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LossyCodec {
    #[default]
    Opus,
    Mp3,
}

/// Per-user (or server-wide) defaults for [`choose_stream`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamDefaults {
    /// Codec for a limit without a format.
    pub lossy: LossyCodec,
    /// Opus bitrate for `format=opus` without a limit.
    pub opus_kbps: u32,
    /// MP3 bitrate for `format=mp3` without a limit.
    pub mp3_kbps: u32,
}

impl Default for StreamDefaults {
    fn default() -> Self {
        Self {
            lossy: LossyCodec::Opus,
            // Opus at 128 kbps stereo is transparent for nearly all music and listeners;
            // MP3 needs its top rate to be (the client asked for MP3, not for a small stream).
            opus_kbps: 128,
            mp3_kbps: 320,
        }
    }
}

/// What the stream endpoint sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamFormat {
    /// The original file's bytes.
    Raw,
    /// Continuous FLAC of the mastered chunks.
    Flac,
    /// Ogg Opus at this bitrate (kbps).
    Opus { kbps: u32 },
    /// CBR MP3 at this standard bitrate (kbps).
    Mp3 { kbps: u32 },
}

impl StreamFormat {
    /// MIME type for `Content-Type` (`Raw` has the file's own).
    pub fn content_type(&self) -> Option<&'static str> {
        match self {
            StreamFormat::Raw => None,
            StreamFormat::Flac => Some("audio/flac"),
            StreamFormat::Opus { .. } => Some("audio/ogg"),
            StreamFormat::Mp3 { .. } => Some("audio/mpeg"),
        }
    }

    /// File suffix for Subsonic's `transcodedSuffix` (`Raw` has the file's own).
    pub fn suffix(&self) -> Option<&'static str> {
        match self {
            StreamFormat::Raw => None,
            StreamFormat::Flac => Some("flac"),
            StreamFormat::Opus { .. } => Some("opus"),
            StreamFormat::Mp3 { .. } => Some("mp3"),
        }
    }

    /// The bitrate (kbps) of a lossy stream.
    pub fn kbps(&self) -> Option<u32> {
        match self {
            StreamFormat::Opus { kbps } | StreamFormat::Mp3 { kbps } => Some(*kbps),
            _ => None,
        }
    }
}

fn opus_at(limit: u32, defaults: &StreamDefaults) -> StreamFormat {
    let kbps = if limit == 0 {
        defaults.opus_kbps
    } else {
        limit
    };
    StreamFormat::Opus {
        kbps: kbps.clamp(*OPUS_KBPS_RANGE.start(), *OPUS_KBPS_RANGE.end()),
    }
}

fn mp3_at(limit: u32, defaults: &StreamDefaults) -> StreamFormat {
    let kbps = if limit == 0 { defaults.mp3_kbps } else { limit };
    StreamFormat::Mp3 {
        kbps: mp3_bitrate_at_most(kbps).unwrap_or(MP3_BITRATES[0]),
    }
}

/// The stream to send for a request's `format` and `maxBitRate` (kbps, 0 = unlimited). See
/// the module docs for the rules.
pub fn choose_stream(
    format: Option<&str>,
    max_bit_rate: u32,
    defaults: &StreamDefaults,
) -> StreamFormat {
    let format = format
        .map(str::trim)
        .unwrap_or_default()
        .to_ascii_lowercase();
    match format.as_str() {
        "raw" => StreamFormat::Raw,
        "flac" => StreamFormat::Flac,
        "opus" => opus_at(max_bit_rate, defaults),
        "mp3" => mp3_at(max_bit_rate, defaults),
        _ if max_bit_rate == 0 => StreamFormat::Flac,
        _ => match defaults.lossy {
            LossyCodec::Opus => opus_at(max_bit_rate, defaults),
            LossyCodec::Mp3 => mp3_at(max_bit_rate, defaults),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        let d = StreamDefaults::default();
        let mp3_user = StreamDefaults {
            lossy: LossyCodec::Mp3,
            ..d
        };
        use StreamFormat::*;
        assert_eq!(choose_stream(None, 0, &d), Flac);
        assert_eq!(choose_stream(Some(""), 0, &d), Flac);
        assert_eq!(choose_stream(None, 192, &d), Opus { kbps: 192 });
        assert_eq!(choose_stream(None, 192, &mp3_user), Mp3 { kbps: 192 });
        assert_eq!(choose_stream(None, 150, &mp3_user), Mp3 { kbps: 128 });
        assert_eq!(choose_stream(Some("raw"), 0, &d), Raw);
        assert_eq!(choose_stream(Some("RAW"), 128, &d), Raw);
        assert_eq!(choose_stream(Some("flac"), 128, &d), Flac);
        assert_eq!(choose_stream(Some("opus"), 0, &d), Opus { kbps: 128 });
        assert_eq!(choose_stream(Some("opus"), 96, &d), Opus { kbps: 96 });
        assert_eq!(choose_stream(Some("opus"), 1000, &d), Opus { kbps: 510 });
        assert_eq!(choose_stream(Some("opus"), 2, &d), Opus { kbps: 6 });
        assert_eq!(choose_stream(Some("mp3"), 0, &d), Mp3 { kbps: 320 });
        assert_eq!(choose_stream(Some("mp3"), 100, &d), Mp3 { kbps: 96 });
        assert_eq!(choose_stream(Some("mp3"), 16, &d), Mp3 { kbps: 32 });
        assert_eq!(choose_stream(Some("aac"), 0, &d), Flac);
        assert_eq!(choose_stream(Some("aac"), 64, &d), Opus { kbps: 64 });
        assert_eq!(Opus { kbps: 64 }.content_type(), Some("audio/ogg"));
        assert_eq!(Mp3 { kbps: 64 }.suffix(), Some("mp3"));
        assert_eq!(Raw.content_type(), None);
    }
}
