//! The engine behind the chunk cache: implements `auralis_cache::Renderer` on top of
//! `auralis-source`/`auralis-analysis`/`auralis-render`, so a cache miss flows server → cache →
//! engine and never back up into the server.
//!
//! - It reaches the library only through the [`TrackStore`] trait (where a track's file is,
//!   its stored profile), which the server implements over SQLite.
//! - It keeps per-track facts in memory (small bounded maps) and an open [`TrackAudio`] per
//!   recently rendered track, so consecutive chunks of a playing track continue decoding where
//!   the last one stopped instead of reopening and re-probing the file (an AAC track would
//!   otherwise re-decode from its start for every random chunk, a long MP4 re-read its index).
//! - Errors carry a [`RenderErrorKind`] and messages that name the track by id and by its path
//!   relative to the music folder, never by an absolute path of this machine.
//!
//! Profile rule (why stale audio is never served): a track's processed audio depends on its
//! analysis profile, so the profile's kind is part of the cache key
//! ([`TrackDesc::processed_key`], `profile=fast|full`). A never-analysed track that is played
//! gets a fast profile (a few excerpts), stored; when the background analysis finishes, its full
//! profile replaces the fast one, the track's next description names `profile=full`, and the
//! cache files the chunks rendered from then on under that new key: later chunks of a playing
//! track switch over at a chunk boundary (inaudibly, see DESIGN.md). A full profile is never
//! replaced (until the file changes, which changes the signature and so the key). A chunk is
//! always rendered with exactly the profile its key names ([`Renderer::render_keyed`]): the fast
//! profile is a deterministic function of the file, so a chunk keyed `profile=fast` that is
//! rendered after the full profile arrived uses the fast profile recomputed, never the full one.
//! The fast writer goes through `store_profile_once` (stores only if nothing is stored), the
//! full one through `store_full`, both under one lock.
//!
//! Album rule (why album-mastered chunks never mix gains): an album variant
//! ([`Variant::Album`]) is mastered at one gain for the whole album
//! ([`auralis_master::album_loudness`] over the profiles of every track of the album). The gain
//! comes from the full profiles of all the album's tracks once every one of them is analysed,
//! and until then from all their fast profiles (a track never analysed gets its fast profile
//! computed and stored, as above; an analysed one has its fast profile recomputed, which is
//! deterministic). So the gain is fixed by the album's membership (track ids and file
//! signatures) and one bit (all full or not), and both are in every album track's cache key
//! (`album=<membership hash>.<full|fast>`): a rescan that adds, removes or changes a track of
//! the album, or the last analysis of the album, gives every track of the album a new key, so
//! chunks mastered at the old gain can never be served next to chunks at the new one. The gain
//! itself is kept in memory per (membership, bit, preset) and recomputed identically when
//! forgotten.
//!
//! Not for: choosing what to render or when (the cache's worker does that), HTTP, SQL.

mod bounded;
pub use auralis_analysis::waveform;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use auralis_analysis::{Profile, ProfileKind};
use auralis_cache::{TrackDesc, TrackId, Variant};
use auralis_core::{FileSignature, Loudness, Preset};
use auralis_master::Plan;
use auralis_render::TrackAudio;
use auralis_source::SourceInfo;
use auralis_timeline::Timeline;
use parking_lot::Mutex;

pub use auralis_cache::{RenderError, RenderErrorKind};
use bounded::Bounded;

/// Tracks whose facts (and profiles) stay in memory.
const TRACKS_KEPT: usize = 16;
/// Open decoders kept between chunks (a couple per playing track).
const OPEN_KEPT: usize = 8;
/// Album gains kept in memory (a few albums, each preset).
const ALBUM_GAINS_KEPT: usize = 64;
/// Profile kinds kept in memory (a few large albums).
const KINDS_KEPT: usize = 512;

/// Where a track's file is, as the library knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    /// Absolute path (never shown to clients).
    pub path: PathBuf,
    /// Path relative to the music folder, for messages.
    pub relative: String,
    /// The file as it was at the last scan.
    pub signature: FileSignature,
}

/// The engine's view of the library: file locations and stored profiles. Blocking calls.
pub trait TrackStore: Send + Sync + 'static {
    /// Where the track's file is; `None` when there is no such track.
    fn locate(&self, track: TrackId) -> Result<Option<TrackFile>, RenderError>;
    /// The profile stored for the track's current file version, if any.
    fn load_profile(&self, track: TrackId) -> Result<Option<Profile>, RenderError>;
    /// Stores a profile for the track's current file version.
    fn save_profile(&self, track: TrackId, profile: &Profile) -> Result<(), RenderError>;
    /// Is a waveform stored for the track's current file version?
    fn has_waveform(&self, track: TrackId) -> Result<bool, RenderError>;
    /// Stores the waveform (peaks 0-255 per slice) of the track's current file version.
    fn save_waveform(&self, track: TrackId, peaks: &[u8]) -> Result<(), RenderError>;
    /// Every track of the track's album (the track included) with its file signature as the
    /// library last scanned it; empty when the track belongs to no album (album mode then
    /// treats it as an album of one).
    fn album_members(&self, track: TrackId) -> Result<Vec<(TrackId, FileSignature)>, RenderError> {
        let _ = track;
        Ok(Vec::new())
    }
}

/// The album a track belongs to, as the library knew it when the track was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlbumRef {
    /// The album's tracks, by id (the track itself included).
    pub members: Vec<TrackId>,
    /// A hash of the members' ids and file signatures: part of the cache key.
    pub key: u64,
}

impl AlbumRef {
    fn of(
        track: TrackId,
        signature: FileSignature,
        mut members: Vec<(TrackId, FileSignature)>,
    ) -> AlbumRef {
        if !members.iter().any(|(id, _)| *id == track) {
            members.push((track, signature));
        }
        members.sort_by_key(|(id, _)| *id);
        members.dedup_by_key(|(id, _)| *id);
        let text: String = members
            .iter()
            .map(|(id, s)| format!("{id}:{}:{}:{:016x};", s.size, s.mtime_ns, s.content_hash))
            .collect();
        AlbumRef {
            members: members.into_iter().map(|(id, _)| id).collect(),
            key: xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
        }
    }
}

/// What the engine knows about one playable track.
#[derive(Debug)]
pub struct TrackInfo {
    pub id: TrackId,
    pub file: TrackFile,
    pub source: SourceInfo,
    pub timeline: Timeline,
    /// 16 or 24: the FLAC chunks' bit depth.
    pub bits: u32,
    /// The track's album (see the crate docs' album rule).
    pub album: AlbumRef,
}

/// What a track's processed chunks are rendered with, beyond the file: the kind of its own
/// profile, and whether its album's gain comes from full profiles. Named in the cache key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileKey {
    pub own: ProfileKind,
    pub album_full: bool,
}

fn kind_name(kind: ProfileKind) -> &'static str {
    match kind {
        ProfileKind::Fast => "fast",
        ProfileKind::Full => "full",
    }
}

impl ProfileKey {
    /// The key text: `profile=<fast|full>;album=<membership hash>.<full|fast>`.
    pub fn text(&self, album: &AlbumRef) -> String {
        format!(
            "profile={};album={:016x}.{}",
            kind_name(self.own),
            album.key,
            if self.album_full { "full" } else { "fast" }
        )
    }

    /// Reads a key text back: the key and the album membership hash it names.
    pub fn parse(text: &str) -> Option<(ProfileKey, u64)> {
        let rest = text.strip_prefix("profile=")?;
        let (own, rest) = rest.split_once(";album=")?;
        let (hash, full) = rest.split_once('.')?;
        let own = match own {
            "fast" => ProfileKind::Fast,
            "full" => ProfileKind::Full,
            _ => return None,
        };
        let album_full = match full {
            "full" => true,
            "fast" => false,
            _ => return None,
        };
        let hash = u64::from_str_radix(hash, 16).ok()?;
        Some((ProfileKey { own, album_full }, hash))
    }
}

impl TrackInfo {
    /// The cache key's description of this track when rendered with `key`.
    pub fn desc(&self, key: &ProfileKey) -> TrackDesc {
        TrackDesc {
            signature: self.file.signature,
            chunk_count: self.timeline.chunk_count(),
            format: format!("flac{}", self.bits),
            chunk_len: self.timeline.chunk_len(),
            dsp_version: auralis_master::DSP_VERSION,
            processed_key: key.text(&self.album),
        }
    }
}

/// An open decoder of one file version, kept for the next chunk.
struct OpenTrack {
    id: TrackId,
    signature: FileSignature,
    audio: TrackAudio,
    used: u64,
}

pub struct Engine {
    store: Arc<dyn TrackStore>,
    /// The canonical music folder: no file outside it is ever opened.
    music_root: PathBuf,
    /// The music folder as configured (messages are scrubbed of both spellings).
    music_dir: PathBuf,
    chunk_seconds: f64,
    tracks: Mutex<Bounded<TrackId, Arc<TrackInfo>>>,
    profiles: Mutex<Bounded<TrackId, Arc<Profile>>>,
    /// Album gains (dB) by (album membership key, from full profiles, preset): see the album
    /// rule.
    album_gains: Mutex<Bounded<(u64, bool, Preset), f64>>,
    /// Fast profiles recomputed for chunks keyed `profile=fast` after a full one was stored.
    fast_profiles: Mutex<Bounded<(TrackId, FileSignature), Arc<Profile>>>,
    /// The kind of each track's stored profile (`None`: none stored), as this engine stored or
    /// read it: every profile is stored through this engine.
    kinds: Mutex<Bounded<TrackId, Option<ProfileKind>>>,
    /// Serialises "is there a stored profile? else store this one".
    profile_store: Mutex<()>,
    open: Mutex<(Vec<OpenTrack>, u64)>,
    /// Files opened for decoding so far (a measure of the open-once rule).
    opened: std::sync::atomic::AtomicU64,
}

impl Engine {
    pub fn new(store: Arc<dyn TrackStore>, music_dir: &Path, chunk_seconds: f64) -> Self {
        let music_root = music_dir
            .canonicalize()
            .unwrap_or_else(|_| music_dir.to_path_buf());
        Self {
            store,
            music_root,
            music_dir: music_dir.to_path_buf(),
            chunk_seconds,
            tracks: Mutex::new(Bounded::new(TRACKS_KEPT)),
            profiles: Mutex::new(Bounded::new(TRACKS_KEPT)),
            album_gains: Mutex::new(Bounded::new(ALBUM_GAINS_KEPT)),
            fast_profiles: Mutex::new(Bounded::new(TRACKS_KEPT)),
            kinds: Mutex::new(Bounded::new(KINDS_KEPT)),
            profile_store: Mutex::new(()),
            open: Mutex::new((Vec::new(), 0)),
            opened: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The facts of a track already in memory whose file is unchanged (one `stat`, no open):
    /// the request path's fast lane.
    pub fn cached_info(&self, id: TrackId) -> Option<Arc<TrackInfo>> {
        let info = self.tracks.lock().get(&id)?;
        info.file
            .signature
            .matches_file(&info.file.path)
            .then_some(info)
    }

    /// Facts of a track (blocking: may stat and open the file). A file that changed since it
    /// was opened is reopened; one that changed since the last scan is refused until a rescan.
    pub fn track_info(&self, id: TrackId) -> Result<Arc<TrackInfo>, RenderError> {
        if let Some(info) = self.cached_info(id) {
            return Ok(info);
        }
        self.tracks.lock().remove(&id);
        self.profiles.lock().remove(&id);
        self.kinds.lock().remove(&id);
        let file = self.checked_file(id)?;
        if !file.signature.matches_file(&file.path) {
            return Err(RenderError::new(
                RenderErrorKind::Changed,
                format!(
                    "the file of track {id} ({}) changed or disappeared since the last scan; \
                     rescan the library",
                    file.relative
                ),
            ));
        }
        let audio = TrackAudio::open_with_chunk_seconds(&file.path, self.chunk_seconds)
            .map_err(|e| self.undecodable(id, &file, e))?;
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let album = AlbumRef::of(id, file.signature, self.store.album_members(id)?);
        let info = Arc::new(TrackInfo {
            album,
            id,
            source: audio.info().clone(),
            timeline: *audio.timeline(),
            bits: audio.bit_depth().bits(),
            file,
        });
        self.tracks.lock().insert(id, info.clone());
        self.put_open(id, info.file.signature, audio);
        Ok(info)
    }

    /// The track's file, if the track exists and its file lies inside the music folder this
    /// engine was started with (the library may know another folder until the first scan of
    /// this run has finished).
    pub fn checked_file(&self, id: TrackId) -> Result<TrackFile, RenderError> {
        let file = self.store.locate(id)?.ok_or_else(|| {
            RenderError::new(RenderErrorKind::NotFound, format!("no track with id {id}"))
        })?;
        if file.path.starts_with(&self.music_root) {
            Ok(file)
        } else {
            Err(RenderError::new(
                RenderErrorKind::Changed,
                format!("track {id} is not in the music folder; rescan the library"),
            ))
        }
    }

    /// The track's current profile (blocking): in memory, else stored, else a fast profile
    /// computed now and stored (the analysis replaces it with the full one later; see the
    /// crate docs' profile rule).
    pub fn profile(&self, info: &TrackInfo) -> Result<Arc<Profile>, RenderError> {
        if let Some(p) = self.profiles.lock().get(&info.id) {
            return Ok(p);
        }
        if let Some(p) = self.load_remembered(info.id)? {
            return Ok(p);
        }
        let fast = self.compute_fast(info)?;
        self.store_profile_once(info.id, fast)
    }

    /// The stored profile, remembered (under the store lock, so a full profile stored
    /// meanwhile is never overwritten in memory by the fast one read before it).
    fn load_remembered(&self, id: TrackId) -> Result<Option<Arc<Profile>>, RenderError> {
        let _guard = self.profile_store.lock();
        Ok(self.store.load_profile(id)?.map(|p| self.remember(id, p)))
    }

    /// The fast profile playback computes (deterministic: the same file gives the same
    /// profile). It is marked `Fast` even when a short track was read whole (such a profile
    /// lacks the calibrations the analysis measures), so the analysis always replaces it.
    fn compute_fast(&self, info: &TrackInfo) -> Result<Profile, RenderError> {
        let mut audio = self.take_open(info)?;
        let mut fast = audio
            .fast_profile()
            .map_err(|e| self.undecodable(info.id, &info.file, e))?;
        self.put_open(info.id, info.file.signature, audio);
        fast.kind = ProfileKind::Fast;
        Ok(fast)
    }

    /// Computes and stores what the background analysis keeps of a track: its full profile
    /// (replacing a fast one stored by playback; see the profile rule) and its waveform
    /// (blocking, reads the whole file in bounded blocks).
    pub fn analyse_full(&self, id: TrackId) -> Result<(), RenderError> {
        let need_profile = self.store.load_profile(id)?.map(|p| p.kind) != Some(ProfileKind::Full);
        let need_waveform = !self.store.has_waveform(id)?;
        if !need_profile && !need_waveform {
            return Ok(());
        }
        let info = self.track_info(id)?;
        let open = || {
            TrackAudio::open_with_timeline(&info.file.path, info.timeline)
                .map_err(|e| self.undecodable(id, &info.file, e))
        };
        match (need_profile, need_waveform) {
            // One decode feeds both (the usual case: a track new to the library).
            (true, true) => {
                let (full, peaks) = open()?
                    .full_profile_and_waveform()
                    .map_err(|e| self.undecodable(id, &info.file, e))?;
                self.store_full(id, full)?;
                self.store.save_waveform(id, &peaks)?;
            }
            (true, false) => {
                let full = open()?
                    .full_profile()
                    .map_err(|e| self.undecodable(id, &info.file, e))?;
                self.store_full(id, full)?;
            }
            // Analysed before waveforms were kept.
            (false, true) => {
                let peaks = open()?
                    .waveform()
                    .map_err(|e| self.undecodable(id, &info.file, e))?;
                self.store.save_waveform(id, &peaks)?;
            }
            (false, false) => {}
        }
        Ok(())
    }

    /// Stores `candidate` unless a profile is stored; remembers and returns the stored one.
    fn store_profile_once(
        &self,
        id: TrackId,
        candidate: Profile,
    ) -> Result<Arc<Profile>, RenderError> {
        let _guard = self.profile_store.lock();
        if let Some(existing) = self.store.load_profile(id)? {
            return Ok(self.remember(id, existing));
        }
        self.store.save_profile(id, &candidate)?;
        Ok(self.remember(id, candidate))
    }

    /// Stores a full profile, replacing a fast one (and remembers it under the same lock, so
    /// the next description names it).
    fn store_full(&self, id: TrackId, full: Profile) -> Result<(), RenderError> {
        let _guard = self.profile_store.lock();
        self.store.save_profile(id, &full)?;
        self.remember(id, full);
        Ok(())
    }

    fn remember(&self, id: TrackId, p: Profile) -> Arc<Profile> {
        let p = Arc::new(p);
        self.kinds.lock().insert(id, Some(p.kind));
        self.profiles.lock().insert(id, p.clone());
        p
    }

    /// The kind of the track's stored profile, if any (blocking: may read the store once).
    fn kind_of(&self, id: TrackId) -> Result<Option<ProfileKind>, RenderError> {
        if let Some(k) = self.kinds.lock().get(&id) {
            return Ok(k);
        }
        if let Some(p) = self.profiles.lock().get(&id) {
            return Ok(Some(p.kind));
        }
        let _guard = self.profile_store.lock();
        let kind = self.store.load_profile(id)?.map(|p| p.kind);
        self.kinds.lock().insert(id, kind);
        Ok(kind)
    }

    /// What the track's processed chunks are rendered with now (see the profile and album
    /// rules): its own profile's kind (fast when none is stored yet: rendering stores one),
    /// and whether every track of its album has a full profile.
    pub fn profile_key(&self, info: &TrackInfo) -> Result<ProfileKey, RenderError> {
        let own = self.kind_of(info.id)?.unwrap_or(ProfileKind::Fast);
        let mut album_full = true;
        for &m in &info.album.members {
            let kind = if m == info.id {
                Some(own)
            } else {
                self.kind_of(m)?
            };
            album_full &= kind == Some(ProfileKind::Full);
        }
        Ok(ProfileKey { own, album_full })
    }

    /// The track's profile of `kind`: the current one if it is of that kind; a fast one
    /// recomputed (deterministically) when a full one replaced it; an error when a full one is
    /// asked for and only a fast one is stored.
    pub fn profile_of_kind(
        &self,
        info: &TrackInfo,
        kind: ProfileKind,
    ) -> Result<Arc<Profile>, RenderError> {
        let current = self.profile(info)?;
        if current.kind == kind {
            return Ok(current);
        }
        if kind == ProfileKind::Full {
            return Err(RenderError::new(
                RenderErrorKind::Internal,
                format!("track {}: no full profile is stored", info.id),
            ));
        }
        let memo = (info.id, info.file.signature);
        if let Some(p) = self.fast_profiles.lock().get(&memo) {
            return Ok(p);
        }
        let fast = Arc::new(self.compute_fast(info)?);
        self.fast_profiles.lock().insert(memo, fast.clone());
        Ok(fast)
    }

    /// The album gain (dB) of `info`'s album for `preset` (blocking: on first use it reads
    /// the profile of every track of the album, computing and storing a fast profile for a
    /// track never analysed). A track of the album that cannot be decoded is left out.
    pub fn album_gain(&self, info: &TrackInfo, preset: Preset) -> Result<f64, RenderError> {
        let key = self.profile_key(info)?;
        self.album_gain_from(info, preset, key.album_full)
    }

    /// The album gain from the full profiles of all the album's tracks (`full`), or from all
    /// their fast profiles.
    fn album_gain_from(
        &self,
        info: &TrackInfo,
        preset: Preset,
        full: bool,
    ) -> Result<f64, RenderError> {
        let memo = (info.album.key, full, preset);
        if let Some(g) = self.album_gains.lock().get(&memo) {
            return Ok(g);
        }
        let kind = if full {
            ProfileKind::Full
        } else {
            ProfileKind::Fast
        };
        let mut profiles = Vec::with_capacity(info.album.members.len());
        for &member in &info.album.members {
            let profile = if member == info.id {
                self.profile_of_kind(info, kind)
            } else {
                self.track_info(member)
                    .and_then(|m| self.profile_of_kind(&m, kind))
            };
            match profile {
                Ok(p) => profiles.push(p),
                // An undecodable track is left out (it always will be, so the gain stays a
                // function of the key); anything else fails rather than give a gain that a
                // later computation would not repeat.
                Err(e) if e.kind == RenderErrorKind::Undecodable => {
                    tracing::warn!(track = %member, error = %e, "album gain: track left out");
                }
                Err(e) => return Err(e),
            }
        }
        let refs: Vec<&Profile> = profiles.iter().map(|p| p.as_ref()).collect();
        let gain = auralis_master::album_loudness(&refs, preset).gain_db;
        self.album_gains.lock().insert(memo, gain);
        Ok(gain)
    }

    /// The plan a processed variant of the track is mastered with (blocking).
    pub fn plan(
        &self,
        info: &TrackInfo,
        profile: &Profile,
        preset: Preset,
        loudness: Loudness,
    ) -> Result<Plan, RenderError> {
        Ok(match loudness {
            Loudness::Track => Plan::new(profile, preset),
            Loudness::Album => Plan::with_gain_db(profile, preset, self.album_gain(info, preset)?),
        })
    }

    /// The gain (dB) that makes the original of a track as loud as its processed variant of
    /// `preset` in `loudness` mode ([`Plan::level_match_db`]; blocking, see [`Engine::profile`]).
    pub fn level_match_db(
        &self,
        id: TrackId,
        preset: Preset,
        loudness: Loudness,
    ) -> Result<f64, RenderError> {
        let info = self.track_info(id)?;
        let profile = self.profile(&info)?;
        Ok(self
            .plan(&info, &profile, preset, loudness)?
            .level_match_db(&profile))
    }

    /// After a rescan, ids may point at other files: forget everything.
    pub fn forget_changed(&self) {
        self.tracks.lock().clear();
        self.profiles.lock().clear();
        self.album_gains.lock().clear();
        self.fast_profiles.lock().clear();
        self.kinds.lock().clear();
        self.open.lock().0.clear();
    }

    /// An open decoder of this file version: a kept one (it continues where it stopped, so the
    /// next chunk is read without seeking), else a fresh one.
    fn take_open(&self, info: &TrackInfo) -> Result<TrackAudio, RenderError> {
        let kept = {
            let mut open = self.open.lock();
            let at = open
                .0
                .iter()
                .position(|o| o.id == info.id && o.signature == info.file.signature);
            at.map(|i| open.0.swap_remove(i).audio)
        };
        match kept {
            Some(audio) => Ok(audio),
            None => {
                self.opened
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                TrackAudio::open_with_timeline(&info.file.path, info.timeline)
                    .map_err(|e| self.undecodable(info.id, &info.file, e))
            }
        }
    }

    /// Keeps a decoder for the next chunk; the least recently used one goes past the bound.
    fn put_open(&self, id: TrackId, signature: FileSignature, audio: TrackAudio) {
        let mut guard = self.open.lock();
        let (open, tick) = &mut *guard;
        *tick += 1;
        open.push(OpenTrack {
            id,
            signature,
            audio,
            used: *tick,
        });
        if open.len() > OPEN_KEPT {
            if let Some(oldest) = open
                .iter()
                .enumerate()
                .min_by_key(|(_, o)| o.used)
                .map(|(i, _)| i)
            {
                open.swap_remove(oldest);
            }
        }
    }

    /// Open decoders kept now, and files opened for decoding since start (for tests and
    /// benchmarks).
    pub fn decoder_counts(&self) -> (usize, u64) {
        (
            self.open.lock().0.len(),
            self.opened.load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Renders `variants` of one chunk from one decode (blocking), with the profiles
    /// `processed_key` names (the current ones when it is empty).
    fn render_variants(
        &self,
        id: TrackId,
        processed_key: &str,
        chunk: u64,
        variants: &[Variant],
    ) -> Result<Vec<Result<Vec<u8>, RenderError>>, RenderError> {
        let info = self.track_info(id)?;
        let (key, album_hash) = if processed_key.is_empty() {
            (self.profile_key(&info)?, info.album.key)
        } else {
            ProfileKey::parse(processed_key).ok_or_else(|| {
                RenderError::new(
                    RenderErrorKind::Internal,
                    format!("track {id}: unreadable processed key {processed_key:?}"),
                )
            })?
        };
        let profile = self.profile_of_kind(&info, key.own)?;
        let mut album_gains = Vec::new();
        for v in variants {
            if let Variant::Album(preset) = *v {
                // Chunks keyed by an album membership a rescan has changed since cannot be
                // mastered any more (the old album's gain is gone): the listener's next
                // position update moves it to the new key.
                if album_hash != info.album.key {
                    return Err(RenderError::new(
                        RenderErrorKind::Changed,
                        format!(
                            "track {id} ({}): its album changed since the chunk was asked \
                             for; ask again",
                            info.file.relative
                        ),
                    ));
                }
                if !album_gains.iter().any(|(p, _)| *p == preset) {
                    let gain = self.album_gain_from(&info, preset, key.album_full)?;
                    album_gains.push((preset, gain));
                }
            }
        }
        let mut audio = self.take_open(&info)?;
        let results: Vec<_> = audio
            .render_variants_with(&profile, chunk, variants, &album_gains)
            .into_iter()
            .map(|r| r.map_err(|e| self.undecodable(id, &info.file, e)))
            .collect();
        // A decoder that failed is not trusted with the next chunk.
        if results.iter().all(Result::is_ok) {
            self.put_open(id, info.file.signature, audio);
        }
        Ok(results)
    }

    /// An undecodable-file error naming the track, with this machine's paths removed.
    fn undecodable(&self, id: TrackId, file: &TrackFile, e: impl std::fmt::Display) -> RenderError {
        let message = self.scrub(&e.to_string(), file);
        RenderError::new(
            RenderErrorKind::Undecodable,
            format!("track {id}: {message}"),
        )
    }

    /// Replaces the absolute path of the file and of the music folder by relative ones.
    fn scrub(&self, message: &str, file: &TrackFile) -> String {
        let mut out = message.replace(&*file.path.to_string_lossy(), &file.relative);
        for root in [&self.music_root, &self.music_dir] {
            let prefix = format!("{}/", root.display());
            out = out.replace(&prefix, "");
            out = out.replace(&*root.to_string_lossy(), "<music folder>");
        }
        out
    }
}

impl auralis_cache::Renderer for Engine {
    fn describe(&self, track: TrackId) -> Result<TrackDesc, RenderError> {
        let info = self.track_info(track)?;
        Ok(info.desc(&self.profile_key(&info)?))
    }

    fn render(
        &self,
        track: TrackId,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        self.render_keyed(track, "", chunk, variants)
    }

    fn render_keyed(
        &self,
        track: TrackId,
        processed_key: &str,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        match self.render_variants(track, processed_key, chunk, variants) {
            Ok(results) => results,
            Err(e) => variants.iter().map(|_| Err(e.clone())).collect(),
        }
    }
}
