//! How loudness is normalised: per track, or once for a whole album (like ReplayGain's album
//! gain).

use std::fmt;
use std::str::FromStr;

/// Track mode (each track on the preset's target) or album mode (one gain for every track of
/// an album, so the album as a whole sits on the target and a quiet interlude stays quiet).
/// Lower-case names in `FromStr`/`Display`/serde; track mode is the default.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Loudness {
    #[default]
    Track,
    Album,
}

impl Loudness {
    pub const ALL: [Loudness; 2] = [Loudness::Track, Loudness::Album];

    pub fn name(self) -> &'static str {
        match self {
            Loudness::Track => "track",
            Loudness::Album => "album",
        }
    }
}

impl fmt::Display for Loudness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string that names no loudness mode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown loudness mode {0:?}: use track or album")]
pub struct UnknownLoudness(pub String);

impl FromStr for Loudness {
    type Err = UnknownLoudness;
    /// Exact lower-case names only.
    fn from_str(s: &str) -> Result<Loudness, UnknownLoudness> {
        Loudness::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| UnknownLoudness(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for l in Loudness::ALL {
            assert_eq!(l.name().parse::<Loudness>(), Ok(l));
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, format!("\"{}\"", l.name()));
        }
        assert_eq!(Loudness::default(), Loudness::Track);
        for bad in ["", "Album", "tracks", "album ", "none"] {
            assert!(bad.parse::<Loudness>().is_err(), "{bad}");
        }
    }
}
