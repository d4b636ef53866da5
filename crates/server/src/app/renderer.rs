//! The engine behind the cache: implements `auralis_cache::Renderer` on top of
//! `auralis-source`/`auralis-analysis`/`auralis-render`, and keeps per-track facts in memory
//! (a small bounded map) so a file is not reopened per request.
//!
//! Profile rule (why stale audio is never served): a track's processed audio depends on its
//! analysis profile, which is not part of the cache key. So a track has exactly one profile per
//! file version: the first one stored in the library wins, whether it is the full profile of the
//! background analysis or the fast profile computed when a never-analysed track is played. Once
//! stored it never changes until the file changes, and a changed file has a new signature, hence
//! a new cache key. Both writers go through `store_profile_once`, which checks and stores under
//! one lock.
//!
//! Not for: choosing what to render or when (the cache's worker does that).

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use auralis_analysis::Profile;
use auralis_cache::{RenderError, TrackDesc, TrackId, Variant};
use auralis_library::{FileSignature, Library};
use auralis_render::TrackAudio;
use auralis_source::SourceInfo;
use auralis_timeline::Timeline;
use parking_lot::Mutex;

use super::bounded::Bounded;
use super::error::{Error, Result};

/// Tracks whose facts (and profiles) stay in memory.
const TRACKS_KEPT: usize = 16;

/// Tags on render/describe error messages, so the server can map them back to a status after
/// they went through the cache's string errors.
const TAG_NOT_FOUND: &str = "[not_found] ";
const TAG_UNDECODABLE: &str = "[undecodable] ";

/// What the server knows about one playable track.
#[derive(Debug)]
pub struct TrackInfo {
    pub id: i64,
    pub path: PathBuf,
    pub signature: FileSignature,
    pub source: SourceInfo,
    pub timeline: Timeline,
    /// 16 or 24: the FLAC chunks' bit depth.
    pub bits: u32,
}

impl TrackInfo {
    /// The cache key's description of this track.
    pub fn desc(&self) -> TrackDesc {
        TrackDesc {
            signature: auralis_cache::FileSignature {
                size: self.signature.size,
                mtime_ns: u128::try_from(self.signature.mtime_ns).unwrap_or(0),
                content_hash: self.signature.content_hash,
            },
            chunk_count: self.timeline.chunk_count(),
            format: format!("flac{}", self.bits),
            chunk_len: self.timeline.chunk_len(),
            dsp_version: auralis_master::DSP_VERSION,
        }
    }

    /// An ETag naming exactly the bytes of one chunk: its whole cache key, hashed.
    pub fn etag(&self, chunk: u64, variant: &Variant) -> String {
        let d = self.desc();
        let text = format!(
            "{:?};{};{};{};{};{}",
            d.signature, d.format, d.chunk_len, d.dsp_version, variant, chunk
        );
        format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
    }
}

pub struct AudioRenderer {
    library: Arc<Library>,
    /// The canonical music folder: no file outside it is ever opened.
    music_root: PathBuf,
    chunk_seconds: f64,
    tracks: Mutex<Bounded<i64, Arc<TrackInfo>>>,
    profiles: Mutex<Bounded<i64, Arc<Profile>>>,
    /// Serialises "is there a stored profile? else store this one".
    profile_store: Mutex<()>,
}

impl AudioRenderer {
    pub fn new(library: Arc<Library>, music_dir: &std::path::Path, chunk_seconds: f64) -> Self {
        let music_root = music_dir
            .canonicalize()
            .unwrap_or_else(|_| music_dir.to_path_buf());
        Self {
            library,
            music_root,
            chunk_seconds,
            tracks: Mutex::new(Bounded::new(TRACKS_KEPT)),
            profiles: Mutex::new(Bounded::new(TRACKS_KEPT)),
            profile_store: Mutex::new(()),
        }
    }

    /// The facts of a track already in memory whose file is unchanged (one `stat`, no open):
    /// the request path's fast lane.
    pub fn cached_info(&self, id: i64) -> Option<Arc<TrackInfo>> {
        let info = self.tracks.lock().get(&id)?;
        file_matches(&info.path, &info.signature).then_some(info)
    }

    /// Facts of a track (blocking: may stat and open the file). A file that changed since it
    /// was opened is reopened; one that changed since the last scan is refused until a rescan.
    pub fn track_info(&self, id: i64) -> Result<Arc<TrackInfo>> {
        let cached = self.tracks.lock().get(&id);
        if let Some(info) = cached {
            if file_matches(&info.path, &info.signature) {
                return Ok(info);
            }
            self.tracks.lock().remove(&id);
            self.profiles.lock().remove(&id);
        }
        let track = self
            .library
            .track(id)?
            .ok_or_else(|| Error::not_found(format!("no track with id {id}")))?;
        let path = self.checked_path(id)?;
        if !file_matches(&path, &track.signature) {
            return Err(Error::Undecodable(format!(
                "the file of track {id} changed or disappeared since the last scan; rescan the library"
            )));
        }
        let audio = TrackAudio::open_with_chunk_seconds(&path, self.chunk_seconds)
            .map_err(|e| Error::Undecodable(e.to_string()))?;
        let info = Arc::new(TrackInfo {
            id,
            signature: track.signature,
            source: audio.info().clone(),
            timeline: *audio.timeline(),
            bits: audio.bit_depth().bits(),
            path,
        });
        self.tracks.lock().insert(id, info.clone());
        Ok(info)
    }

    /// The track's file, if it lies inside the music folder this server was started with (the
    /// library resolves paths against the folder of its last scan, which may be another one
    /// until the first scan of this run has finished).
    pub fn checked_path(&self, id: i64) -> Result<PathBuf> {
        let path = self.library.track_path(id)?;
        if path.starts_with(&self.music_root) {
            Ok(path)
        } else {
            Err(Error::not_found(format!(
                "track {id} is not in the music folder; rescan the library"
            )))
        }
    }

    /// The track's profile (blocking): in memory, else stored, else a fast profile computed
    /// now and stored (see the module docs for why it then never changes).
    pub fn profile(&self, info: &TrackInfo) -> Result<Arc<Profile>> {
        if let Some(p) = self.profiles.lock().get(&info.id) {
            return Ok(p);
        }
        if let Some(p) = self.library.profile::<Profile>(info.id)? {
            return Ok(self.remember(info.id, p));
        }
        let fast = TrackAudio::open_with_timeline(&info.path, info.timeline)
            .and_then(|mut a| a.fast_profile())
            .map_err(|e| Error::Undecodable(e.to_string()))?;
        let kept = self.store_profile_once(info.id, fast)?;
        Ok(self.remember(info.id, kept))
    }

    /// Computes and stores the full profile of a track that has none (blocking, reads the whole
    /// file in bounded blocks). A profile stored meanwhile (by playback) is kept instead.
    pub fn analyse_full(&self, id: i64) -> Result<()> {
        if self.library.profile::<Profile>(id)?.is_some() {
            return Ok(());
        }
        let info = self.track_info(id)?;
        let full = TrackAudio::open_with_timeline(&info.path, info.timeline)
            .and_then(|mut a| a.full_profile())
            .map_err(|e| Error::Undecodable(e.to_string()))?;
        let kept = self.store_profile_once(id, full)?;
        self.remember(id, kept);
        Ok(())
    }

    fn store_profile_once(&self, id: i64, candidate: Profile) -> Result<Profile> {
        let _guard = self.profile_store.lock();
        if let Some(existing) = self.library.profile::<Profile>(id)? {
            return Ok(existing);
        }
        self.library.set_profile(id, &candidate)?;
        Ok(candidate)
    }

    fn remember(&self, id: i64, p: Profile) -> Arc<Profile> {
        let p = Arc::new(p);
        self.profiles.lock().insert(id, p.clone());
        p
    }

    /// After a rescan, ids may point at other files: forget everything.
    pub fn forget_changed(&self) {
        self.tracks.lock().clear();
        self.profiles.lock().clear();
    }

    /// Renders `variants` of one chunk from one decode (blocking).
    fn render_variants(
        &self,
        id: i64,
        chunk: u64,
        variants: &[Variant],
    ) -> Result<Vec<Result<Vec<u8>, RenderError>>> {
        let info = self.track_info(id)?;
        let profile = self.profile(&info)?;
        let wanted = variants
            .iter()
            .map(|v| {
                auralis_render::Variant::from_str(v.name())
                    .map_err(|_| Error::bad_request(format!("unknown variant {v}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut audio = auralis_render::TrackAudio::open_with_timeline(&info.path, info.timeline)
            .map_err(|e| Error::Undecodable(e.to_string()))?;
        Ok(audio
            .render_variants(&profile, chunk, &wanted)
            .into_iter()
            .map(|r| r.map_err(|e| RenderError::new(format!("{TAG_UNDECODABLE}{e}"))))
            .collect())
    }
}

/// Does the file on disk still have the size and mtime it had when `sig` was taken?
fn file_matches(path: &std::path::Path, sig: &FileSignature) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    meta.len() == sig.size && mtime_ns == sig.mtime_ns
}

fn to_render_error(e: Error) -> RenderError {
    match e {
        Error::NotFound(m) => RenderError::new(format!("{TAG_NOT_FOUND}{m}")),
        Error::Undecodable(m) => RenderError::new(format!("{TAG_UNDECODABLE}{m}")),
        other => RenderError::new(other.to_string()),
    }
}

/// Maps a renderer message that went through the cache back to an error kind; `full` is the
/// cache's whole message, used for anything untagged.
pub fn classify(message: &str, full: String) -> Error {
    if let Some(m) = message.strip_prefix(TAG_NOT_FOUND) {
        Error::NotFound(m.to_string())
    } else if let Some(m) = message.strip_prefix(TAG_UNDECODABLE) {
        Error::Undecodable(m.to_string())
    } else {
        Error::Internal(full)
    }
}

impl auralis_cache::Renderer for AudioRenderer {
    fn describe(&self, track: TrackId) -> Result<TrackDesc, RenderError> {
        self.track_info(track.0)
            .map(|i| i.desc())
            .map_err(to_render_error)
    }

    fn render(
        &self,
        track: TrackId,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        match self.render_variants(track.0, chunk, variants) {
            Ok(results) => results,
            Err(e) => {
                let e = to_render_error(e);
                variants.iter().map(|_| Err(e.clone())).collect()
            }
        }
    }
}
