//! Which rendition of a track a chunk holds.

use crate::{Preset, UnknownPreset};
use std::fmt;
use std::str::FromStr;

/// The untouched original, or the output of one preset at intensity 1.0 (the player mixes the
/// two for lower intensities). Serialised as its name: `"original"` or the preset name, which
/// is also its directory name in the disk cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    Original,
    Processed(Preset),
}

impl Variant {
    /// `"original"` or the preset name.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Processed(p) => p.name(),
        }
    }

    /// The preset of a processed variant.
    pub fn preset(self) -> Option<Preset> {
        match self {
            Variant::Original => None,
            Variant::Processed(p) => Some(p),
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
    "unknown variant {0:?}: use original or a preset name (adaptive, gentle, warm, bright, punchy)"
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
        let all = std::iter::once(Variant::Original).chain(Preset::ALL.map(Variant::Processed));
        for v in all {
            assert_eq!(v.name().parse::<Variant>(), Ok(v));
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.name()));
            assert_eq!(serde_json::from_str::<Variant>(&json).unwrap(), v);
        }
        for bad in ["", "../x", "a/b", "Warm", ".", "original2", "processed"] {
            assert!(bad.parse::<Variant>().is_err(), "{bad}");
        }
    }
}
