//! Which rendition of a track a chunk holds.

use crate::{Loudness, Preset, UnknownPreset};
use std::fmt;
use std::str::FromStr;

/// The untouched original, or the output of one preset at intensity 1.0 (the player mixes the
/// two for lower intensities), loudness-normalised per track (`Processed`) or per album
/// (`Album`). Serialised as its name: `"original"`, the preset name, or the preset name with
/// `.album` (e.g. `"adaptive.album"`), which is also its directory name in the disk cache, so
/// album-mastered and track-mastered chunks are distinct cache entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    Original,
    Processed(Preset),
    Album(Preset),
}

/// Names of the album variants, in `Preset::ALL` order.
const ALBUM_NAMES: [&str; 5] = [
    "adaptive.album",
    "gentle.album",
    "warm.album",
    "bright.album",
    "punchy.album",
];

impl Variant {
    /// The processed variant of `preset` in loudness mode `loudness`.
    pub fn processed(preset: Preset, loudness: Loudness) -> Variant {
        match loudness {
            Loudness::Track => Variant::Processed(preset),
            Loudness::Album => Variant::Album(preset),
        }
    }

    /// `"original"`, the preset name, or `"<preset>.album"`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Processed(p) => p.name(),
            Variant::Album(p) => match p {
                Preset::Adaptive => ALBUM_NAMES[0],
                Preset::Gentle => ALBUM_NAMES[1],
                Preset::Warm => ALBUM_NAMES[2],
                Preset::Bright => ALBUM_NAMES[3],
                Preset::Punchy => ALBUM_NAMES[4],
            },
        }
    }

    /// The preset of a processed variant (either loudness mode).
    pub fn preset(self) -> Option<Preset> {
        match self {
            Variant::Original => None,
            Variant::Processed(p) | Variant::Album(p) => Some(p),
        }
    }

    /// The loudness mode of a processed variant.
    pub fn loudness(self) -> Option<Loudness> {
        match self {
            Variant::Original => None,
            Variant::Processed(_) => Some(Loudness::Track),
            Variant::Album(_) => Some(Loudness::Album),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string that names no variant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown variant {0:?}: use original or a preset name (adaptive, gentle, warm, bright, \
     punchy), optionally followed by .album"
)]
pub struct InvalidVariant(pub String);

impl From<UnknownPreset> for InvalidVariant {
    fn from(e: UnknownPreset) -> Self {
        InvalidVariant(e.0)
    }
}

impl FromStr for Variant {
    type Err = InvalidVariant;
    /// Exact names only (they come from directory names and wire values, never from people).
    fn from_str(s: &str) -> Result<Variant, InvalidVariant> {
        if s == "original" {
            return Ok(Variant::Original);
        }
        if let Some(i) = ALBUM_NAMES.iter().position(|n| *n == s) {
            return Ok(Variant::Album(Preset::ALL[i]));
        }
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .map(Variant::Processed)
            .ok_or_else(|| InvalidVariant(s.to_string()))
    }
}

impl serde::Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Variant, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        let all = std::iter::once(Variant::Original)
            .chain(Preset::ALL.map(Variant::Processed))
            .chain(Preset::ALL.map(Variant::Album));
        let mut names = std::collections::HashSet::new();
        for v in all {
            assert!(names.insert(v.name()), "{v:?} has a name of its own");
            assert_eq!(v.name().parse::<Variant>(), Ok(v));
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.name()));
            assert_eq!(serde_json::from_str::<Variant>(&json).unwrap(), v);
        }
        for p in Preset::ALL {
            assert_eq!(Variant::Album(p).name(), format!("{}.album", p.name()));
            assert_eq!(Variant::processed(p, Loudness::Album), Variant::Album(p));
            assert_eq!(
                Variant::processed(p, Loudness::Track),
                Variant::Processed(p)
            );
            assert_eq!(Variant::Album(p).preset(), Some(p));
        }
        for bad in [
            "",
            "../x",
            "a/b",
            "Warm",
            ".",
            "original2",
            "processed",
            "original.album",
            ".album",
            "warm.Album",
        ] {
            assert!(bad.parse::<Variant>().is_err(), "{bad}");
        }
    }
}
