//! Whole-buffer FLAC encoding on several threads.
//!
//! The frames are cut into block-aligned segments of [`SEGMENT_BLOCKS`] blocks. Worker
//! threads take segments in order, quantise them (the dither is a pure function of the
//! absolute position, so a segment quantises exactly as in one pass), and encode them into
//! finished frames numbered from the segment's first block. The calling thread writes the
//! segments in order and feeds the MD5 in one sequential pass, then rewrites STREAMINFO.
//! The output is byte-identical to [`crate::FlacWriter`] fed the same frames.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use flacenc::source::{Context, Fill};

use crate::quantize::quantize_planar;
use crate::writer::{le_bytes, BlockEncoder};
use crate::{BitDepth, EncodeError, EncoderSettings, BLOCK_SIZE};

/// Blocks per parallel work unit (32 × 4096 frames ≈ 3 s at 44.1 kHz).
pub const SEGMENT_BLOCKS: usize = 32;

/// One encoded segment: frame bytes, the PCM bytes for the MD5, frame-size extremes.
struct Segment {
    flac: Vec<u8>,
    pcm: Vec<u8>,
    min_frame: usize,
    max_frame: usize,
    frames: usize,
}

#[allow(clippy::too_many_arguments)]
fn encode_segment(
    enc: &mut BlockEncoder,
    frames: &[[f32; 2]],
    depth: BitDepth,
    first_sample: u64,
    dither: bool,
    first_block: usize,
    ql: &mut Vec<i32>,
    qr: &mut Vec<i32>,
) -> Result<Segment, EncodeError> {
    quantize_planar(frames, depth, first_sample, dither, ql, qr);
    let mut seg = Segment {
        flac: Vec::with_capacity(frames.len() * 3),
        pcm: Vec::with_capacity(frames.len() * 2 * depth.bits() as usize / 8),
        min_frame: usize::MAX,
        max_frame: 0,
        frames: frames.len(),
    };
    for (i, (l, r)) in ql.chunks(BLOCK_SIZE).zip(qr.chunks(BLOCK_SIZE)).enumerate() {
        le_bytes(l, r, depth, &mut seg.pcm);
        let frame_no = u32::try_from(first_block + i)
            .ok()
            .filter(|n| *n < (1 << 31))
            .ok_or(EncodeError::TooLong)?;
        let bytes = enc.encode_block(l, r, frame_no)?;
        seg.min_frame = seg.min_frame.min(bytes.len());
        seg.max_frame = seg.max_frame.max(bytes.len());
        seg.flac.extend_from_slice(bytes);
    }
    Ok(seg)
}

/// Encode all of `frames` as one FLAC stream written at the current position of `out`, on
/// `threads` worker threads (the caller's thread writes and computes the MD5).
/// `progress` is called with the number of frames written so far.
/// Same output as a [`crate::FlacWriter`] with these settings fed the same frames.
#[allow(clippy::too_many_arguments)]
pub fn write_flac_parallel<W: Write + Seek>(
    mut out: W,
    frames: &[[f32; 2]],
    rate: u32,
    depth: BitDepth,
    first_sample: u64,
    dither: bool,
    settings: &EncoderSettings,
    threads: usize,
    mut progress: impl FnMut(u64),
) -> Result<W, EncodeError> {
    let head = BlockEncoder::new(rate, depth, settings.clone())?;
    let mut md5 = Context::new(depth.bits() as usize, 2);
    let header_pos = out.stream_position()?;
    out.write_all(&head.header_bytes(0, None, &md5.md5_digest())?)?;
    if frames.len().div_ceil(BLOCK_SIZE) >= (1 << 31) {
        return Err(EncodeError::TooLong);
    }
    let seg_len = SEGMENT_BLOCKS * BLOCK_SIZE;
    let nseg = frames.len().div_ceil(seg_len);
    let threads = threads.clamp(1, nseg.max(1));
    let next = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    let bps = depth.bits() as usize / 8;
    let (mut min_frame, mut max_frame, mut total) = (usize::MAX, 0usize, 0u64);

    std::thread::scope(|s| -> Result<(), EncodeError> {
        let (tx, rx) = mpsc::sync_channel::<(usize, Result<Segment, EncodeError>)>(threads * 2);
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, abort) = (&next, &abort);
            let settings = settings.clone();
            s.spawn(move || {
                let mut enc = match BlockEncoder::new(rate, depth, settings) {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = tx.send((0, Err(e)));
                        return;
                    }
                };
                let (mut ql, mut qr) = (Vec::new(), Vec::new());
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= nseg || abort.load(Ordering::Relaxed) {
                        break;
                    }
                    let start = i * seg_len;
                    let end = (start + seg_len).min(frames.len());
                    let seg = encode_segment(
                        &mut enc,
                        &frames[start..end],
                        depth,
                        first_sample.wrapping_add(start as u64),
                        dither,
                        i * SEGMENT_BLOCKS,
                        &mut ql,
                        &mut qr,
                    );
                    if tx.send((i, seg)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        let result = (|| {
            for (i, seg) in &rx {
                pending.insert(i, seg?);
                while let Some(seg) = pending.remove(&want) {
                    out.write_all(&seg.flac)?;
                    md5.fill_le_bytes(&seg.pcm, bps)
                        .map_err(|e| EncodeError::Flac(e.to_string()))?;
                    min_frame = min_frame.min(seg.min_frame);
                    max_frame = max_frame.max(seg.max_frame);
                    total += seg.frames as u64;
                    want += 1;
                    progress(total);
                }
            }
            if want != nseg {
                return Err(EncodeError::Flac("an encoder thread stopped early".into()));
            }
            Ok(())
        })();
        if result.is_err() {
            abort.store(true, Ordering::Relaxed);
        }
        drop(rx);
        result
    })?;

    let sizes = (max_frame > 0).then_some((min_frame, max_frame));
    let header = head.header_bytes(total, sizes, &md5.md5_digest())?;
    let end = out.stream_position()?;
    out.seek(SeekFrom::Start(header_pos))?;
    out.write_all(&header)?;
    out.seek(SeekFrom::Start(end))?;
    out.flush()?;
    Ok(out)
}

/// A segment of frames for a worker: its index and the frames (returned for reuse).
type Job = (usize, Vec<[f32; 2]>);
type Done = (usize, Result<Segment, EncodeError>, Vec<[f32; 2]>);

/// The encoder threads of a [`ParallelFlacWriter`]; dropping it stops and joins them.
struct Pool {
    jobs: Option<mpsc::SyncSender<Job>>,
    results: mpsc::Receiver<Done>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the job channel ends every worker's loop.
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// [`write_flac_parallel`] for a stream whose frames arrive in pieces (bounded memory): frames
/// are cut into the same block-aligned segments, encoded on `threads` worker threads, and
/// written in order with one sequential MD5 pass by the thread that calls
/// [`ParallelFlacWriter::write`] / [`ParallelFlacWriter::finish`]. At most `threads + 1`
/// segments (about 3 s of audio each) are in flight. Byte-identical to [`crate::FlacWriter`]
/// and to [`write_flac_parallel`] fed the same frames.
pub struct ParallelFlacWriter<W: Write + Seek> {
    out: W,
    header: BlockEncoder,
    header_pos: u64,
    md5: Context,
    bps: usize,
    pending: Vec<[f32; 2]>,
    spare: Vec<Vec<[f32; 2]>>,
    dispatched: usize,
    written: usize,
    done: BTreeMap<usize, Segment>,
    pool: Pool,
    max_in_flight: usize,
    min_frame: usize,
    max_frame: usize,
    total: u64,
}

impl<W: Write + Seek> ParallelFlacWriter<W> {
    /// Starts a stream at the current position of `out` (see [`crate::FlacWriter::new`] for
    /// `first_sample` and `dither`).
    pub fn new(
        mut out: W,
        rate: u32,
        depth: BitDepth,
        first_sample: u64,
        dither: bool,
        settings: &EncoderSettings,
        threads: usize,
    ) -> Result<Self, EncodeError> {
        let header = BlockEncoder::new(rate, depth, settings.clone())?;
        let md5 = Context::new(depth.bits() as usize, 2);
        let header_pos = out.stream_position()?;
        out.write_all(&header.header_bytes(0, None, &md5.md5_digest())?)?;
        let threads = threads.max(1);
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(1);
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let mut pool = Pool {
            jobs: Some(job_tx),
            results: done_rx,
            workers: Vec::with_capacity(threads),
        };
        for _ in 0..threads {
            let job_rx = std::sync::Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            let mut enc = BlockEncoder::new(rate, depth, settings.clone())?;
            pool.workers.push(std::thread::spawn(move || {
                let (mut ql, mut qr) = (Vec::new(), Vec::new());
                loop {
                    // A poisoned lock means another worker panicked: stop too.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((i, frames)) = job else { break };
                    let seg = encode_segment(
                        &mut enc,
                        &frames,
                        depth,
                        first_sample.wrapping_add((i * SEGMENT_BLOCKS * BLOCK_SIZE) as u64),
                        dither,
                        i * SEGMENT_BLOCKS,
                        &mut ql,
                        &mut qr,
                    );
                    if done_tx.send((i, seg, frames)).is_err() {
                        break;
                    }
                }
            }));
        }
        Ok(Self {
            out,
            header,
            header_pos,
            md5,
            bps: depth.bits() as usize / 8,
            pending: Vec::with_capacity(SEGMENT_BLOCKS * BLOCK_SIZE),
            spare: Vec::new(),
            dispatched: 0,
            written: 0,
            done: BTreeMap::new(),
            pool,
            max_in_flight: threads + 1,
            min_frame: usize::MAX,
            max_frame: 0,
            total: 0,
        })
    }

    /// Frames accepted so far.
    pub fn frames_written(&self) -> u64 {
        (self.dispatched * SEGMENT_BLOCKS * BLOCK_SIZE + self.pending.len()) as u64
    }

    /// Queues `frames`; full segments go to the workers, finished ones are written.
    pub fn write(&mut self, mut frames: &[[f32; 2]]) -> Result<(), EncodeError> {
        let seg_len = SEGMENT_BLOCKS * BLOCK_SIZE;
        while !frames.is_empty() {
            let take = (seg_len - self.pending.len()).min(frames.len());
            self.pending.extend_from_slice(&frames[..take]);
            frames = &frames[take..];
            if self.pending.len() == seg_len {
                self.dispatch()?;
            }
        }
        Ok(())
    }

    fn dispatch(&mut self) -> Result<(), EncodeError> {
        if (self.dispatched + 1) * SEGMENT_BLOCKS >= (1 << 31) {
            return Err(EncodeError::TooLong);
        }
        let next = self.spare.pop().unwrap_or_default();
        let frames = std::mem::replace(&mut self.pending, next);
        self.pending.clear();
        let jobs = self
            .pool
            .jobs
            .as_ref()
            .ok_or_else(|| EncodeError::Flac("writer already finished".into()))?;
        jobs.send((self.dispatched, frames))
            .map_err(|_| EncodeError::Flac("an encoder thread stopped early".into()))?;
        self.dispatched += 1;
        while self.dispatched - self.written > self.max_in_flight {
            self.receive_one()?;
        }
        // Write whatever is already finished, without waiting.
        while let Ok(d) = self.pool.results.try_recv() {
            self.accept(d)?;
        }
        Ok(())
    }

    fn receive_one(&mut self) -> Result<(), EncodeError> {
        let d = self
            .pool
            .results
            .recv()
            .map_err(|_| EncodeError::Flac("an encoder thread stopped early".into()))?;
        self.accept(d)
    }

    fn accept(&mut self, (i, seg, frames): Done) -> Result<(), EncodeError> {
        if self.spare.len() < 2 {
            self.spare.push(frames);
        }
        self.done.insert(i, seg?);
        while let Some(seg) = self.done.remove(&self.written) {
            self.out.write_all(&seg.flac)?;
            self.md5
                .fill_le_bytes(&seg.pcm, self.bps)
                .map_err(|e| EncodeError::Flac(e.to_string()))?;
            self.min_frame = self.min_frame.min(seg.min_frame);
            self.max_frame = self.max_frame.max(seg.max_frame);
            self.total += seg.frames as u64;
            self.written += 1;
        }
        Ok(())
    }

    /// Encodes the rest, rewrites STREAMINFO (total samples, MD5, frame sizes), returns the
    /// output.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        if !self.pending.is_empty() {
            self.dispatch()?;
        }
        while self.written < self.dispatched {
            self.receive_one()?;
        }
        drop(self.pool);
        let sizes = (self.max_frame > 0).then_some((self.min_frame, self.max_frame));
        let header = self
            .header
            .header_bytes(self.total, sizes, &self.md5.md5_digest())?;
        let end = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(self.header_pos))?;
        self.out.write_all(&header)?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }
}
