//! The small set of types that cross crate seams: which track ([`TrackId`]), which rendition
//! of it ([`Variant`], [`Preset`], [`Loudness`]) and which version of its file ([`FileSignature`]).
//!
//! Every stage names these the same way, so a value parsed once at the edge (an HTTP query,
//! a cache directory name) travels through the cache and the engine without being turned back
//! into a string. Like symphonia's core crate, it holds types and no behaviour of the stages.
//!
//! Not for: preset *parameters* (those are DSP and live in `auralis-master`), or anything with
//! I/O beyond reading one file's signature.

mod loudness;
mod preset;
mod signature;
mod variant;

pub use loudness::{Loudness, UnknownLoudness};
pub use preset::{Preset, UnknownPreset};
pub use signature::{mtime_ns, FileSignature};
pub use variant::{InvalidVariant, Variant};

use serde::{Deserialize, Serialize};
use std::fmt;

/// A track of the library: its row id in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrackId(pub i64);

impl fmt::Display for TrackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
