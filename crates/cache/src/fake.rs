//! A deterministic fake [`Renderer`] for tests and benchmarks: bytes are a pure function of
//! (file signature, DSP version, track, chunk, variant), and a gate lets a test hold renders
//! and release them one by one to observe the worker's order without sleeping.
//!
//! Not for: production (`auralis-engine` implements `Renderer` over `auralis-render`).

use crate::{FileSignature, RenderError, RenderErrorKind, Renderer, TrackDesc, TrackId, Variant};
use parking_lot::{Condvar, Mutex};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct FakeTrack {
    pub chunk_count: u64,
    /// Base payload size; chunk `i` is `chunk_bytes + 13 * (i % 7)` bytes.
    pub chunk_bytes: usize,
    pub signature: FileSignature,
}

#[derive(Default)]
pub struct FakeRenderer {
    tracks: Mutex<HashMap<TrackId, FakeTrack>>,
    dsp_version: AtomicU64,
    log: Mutex<Vec<(TrackId, u64, Vec<Variant>)>>,
    /// None: open; Some(n): n renders may still start.
    permits: Mutex<Option<usize>>,
    permit_cv: Condvar,
    started: Mutex<Option<mpsc::UnboundedSender<(TrackId, u64)>>>,
    panics: Mutex<HashSet<(TrackId, u64)>>,
    failures: Mutex<HashSet<(TrackId, u64)>>,
}

impl FakeRenderer {
    pub fn new() -> FakeRenderer {
        FakeRenderer {
            dsp_version: AtomicU64::new(1),
            ..FakeRenderer::default()
        }
    }

    pub fn add_track(&self, track: TrackId, chunk_count: u64, chunk_bytes: usize) {
        let signature = FileSignature {
            size: 1_000_000 + track.0 as u64,
            mtime_ns: 1,
            content_hash: xxhash_rust::xxh3::xxh3_64(&track.0.to_le_bytes()),
        };
        self.tracks.lock().insert(
            track,
            FakeTrack {
                chunk_count,
                chunk_bytes,
                signature,
            },
        );
    }

    /// Simulates editing the file on disk: new mtime and content hash.
    pub fn modify_file(&self, track: TrackId) {
        if let Some(t) = self.tracks.lock().get_mut(&track) {
            t.signature.mtime_ns += 1;
            t.signature.content_hash = t.signature.content_hash.wrapping_add(1);
        }
    }

    pub fn set_dsp_version(&self, v: u32) {
        self.dsp_version.store(v as u64, Ordering::SeqCst);
    }

    /// The bytes `render` produces for this chunk now.
    pub fn expected(&self, track: TrackId, chunk: u64, variant: Variant) -> Vec<u8> {
        let t = self.tracks.lock().get(&track).cloned();
        let Some(t) = t else { return Vec::new() };
        let head = format!(
            "{track}/{chunk}/{variant}/{:x}/{}|",
            t.signature.content_hash,
            self.dsp_version.load(Ordering::SeqCst)
        );
        let len = t.chunk_bytes + 13 * (chunk % 7) as usize;
        let mut out = head.into_bytes();
        let mut x = xxhash_rust::xxh3::xxh3_64(&out) | 1;
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.truncate(len.max(1));
        out
    }

    /// Every render call so far, in the order they started.
    pub fn renders(&self) -> Vec<(TrackId, u64, Vec<Variant>)> {
        self.log.lock().clone()
    }

    /// How many times `variant` of this chunk was rendered.
    pub fn render_count(&self, track: TrackId, chunk: u64, variant: Variant) -> usize {
        self.log
            .lock()
            .iter()
            .filter(|(t, c, vs)| *t == track && *c == chunk && vs.contains(&variant))
            .count()
    }

    pub fn total_renders(&self) -> usize {
        self.log.lock().len()
    }

    /// Renders block until [`FakeRenderer::release`] or [`FakeRenderer::open_gate`].
    pub fn close_gate(&self) {
        *self.permits.lock() = Some(0);
    }

    /// Lets `n` more renders start.
    pub fn release(&self, n: usize) {
        let mut p = self.permits.lock();
        if let Some(k) = p.as_mut() {
            *k += n;
        }
        self.permit_cv.notify_all();
    }

    pub fn open_gate(&self) {
        *self.permits.lock() = None;
        self.permit_cv.notify_all();
    }

    /// Reports (track, chunk) each time a render is called, before it waits at the gate.
    pub fn watch_started(&self) -> mpsc::UnboundedReceiver<(TrackId, u64)> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.started.lock() = Some(tx);
        rx
    }

    pub fn panic_on(&self, track: TrackId, chunk: u64) {
        self.panics.lock().insert((track, chunk));
    }

    pub fn fail_on(&self, track: TrackId, chunk: u64) {
        self.failures.lock().insert((track, chunk));
    }
}

impl Renderer for FakeRenderer {
    fn describe(&self, track: TrackId) -> Result<TrackDesc, RenderError> {
        let t = self.tracks.lock().get(&track).cloned();
        let t = t.ok_or_else(|| {
            RenderError::new(
                RenderErrorKind::NotFound,
                format!("track {track}: no such track"),
            )
        })?;
        Ok(TrackDesc {
            signature: t.signature,
            chunk_count: t.chunk_count,
            format: "flac16".into(),
            chunk_len: 441_000,
            dsp_version: self.dsp_version.load(Ordering::SeqCst) as u32,
            processed_key: String::new(),
        })
    }

    fn render(
        &self,
        track: TrackId,
        chunk: u64,
        variants: &[Variant],
    ) -> Vec<Result<Vec<u8>, RenderError>> {
        if let Some(tx) = self.started.lock().as_ref() {
            let _ = tx.send((track, chunk));
        }
        {
            let mut p = self.permits.lock();
            while *p == Some(0) {
                self.permit_cv.wait(&mut p);
            }
            if let Some(k) = p.as_mut() {
                *k -= 1;
            }
        }
        self.log.lock().push((track, chunk, variants.to_vec()));
        if self.panics.lock().contains(&(track, chunk)) {
            panic!("fake renderer told to panic on chunk {chunk} of track {track}");
        }
        let fail = self.failures.lock().contains(&(track, chunk));
        variants
            .iter()
            .map(|v| {
                if fail {
                    Err(RenderError::new(
                        RenderErrorKind::Undecodable,
                        format!("track {track}: bad data in chunk {chunk}"),
                    ))
                } else {
                    Ok(self.expected(track, chunk, *v))
                }
            })
            .collect()
    }
}
