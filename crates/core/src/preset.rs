//! The mastering presets, by name. Their parameters are DSP and live in `auralis-master`.

use std::fmt;
use std::str::FromStr;

/// A mastering preset. Lower-case names in `FromStr`/`Display`/serde.
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
pub enum Preset {
    #[default]
    Adaptive,
    Gentle,
    Warm,
    Bright,
    Punchy,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Adaptive,
        Preset::Gentle,
        Preset::Warm,
        Preset::Bright,
        Preset::Punchy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Adaptive => "adaptive",
            Preset::Gentle => "gentle",
            Preset::Warm => "warm",
            Preset::Bright => "bright",
            Preset::Punchy => "punchy",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown preset name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPreset(pub String);

impl fmt::Display for UnknownPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown preset '{}' (valid presets: adaptive, gentle, warm, bright, punchy)",
            self.0
        )
    }
}

impl std::error::Error for UnknownPreset {}

impl FromStr for Preset {
    type Err = UnknownPreset;
    fn from_str(s: &str) -> Result<Preset, UnknownPreset> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPreset(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Preset::ALL {
            assert_eq!(p.name().parse::<Preset>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert_eq!(" Warm ".parse::<Preset>(), Ok(Preset::Warm));
        assert!("loud".parse::<Preset>().is_err());
    }
}
