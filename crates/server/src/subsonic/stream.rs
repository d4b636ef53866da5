//! `stream`: one continuous audio stream of a track, built from the chunk cache.
//!
//! - **What plays.** The user's enhancement state decides: the mastered variant of their preset
//!   (enhancement on), the original (off), or for an intensity under 1 both variants mixed per
//!   chunk, as the web page mixes them. The chunks come through the same cache and worker the
//!   page uses, so what an app plays is cached for the page too, and the reverse.
//! - **Format.** `format` and `maxBitRate` pick raw (the file, with ranges), FLAC (the chunks'
//!   frames under one header: bit-exact, no re-encode), Opus or MP3 (decoded and encoded in
//!   real time); see `auralis_transcode::policy`. A bitrate without a format gets the user's
//!   lossy format (Opus unless they chose MP3).
//! - **`timeOffset`** (OpenSubsonic `transcodeOffset`) starts the stream at that second: the
//!   chunk holding it comes from whichever tier has it, trimmed to the exact sample.
//! - **Kept.** A whole stream from the start is written to tier 2 as it is sent (see
//!   `auralis_cache::streams`), so the next play of the same track, variant, format and
//!   bitrate is a file read, with HTTP ranges and an exact length.
//! - **A listener.** The app is a listener named by its `c` (`app:<c>`): the cache pins its
//!   track and prefetches as it moves through it. Streaming counts no play (`scrobble` does).
//!
//! Not for: encoding (`auralis_transcode`), caching decisions (the cache).

use std::time::Duration;

use auralis_cache::Variant;
use auralis_encode::bit_depth_for;
use auralis_transcode::{
    choose_stream, mix_chunks, ChunkTranscoder, LossyCodec, StreamDefaults, StreamFormat,
};
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::ids::Id;
use super::{media, Answer, Ctx, Params, Reply, SubsonicError};
use crate::app::people::LossyFormat;
use crate::app::{App, Error, ListenerRef};

/// Listener ids of Subsonic apps start with this (a page's ids never do).
pub const APP_LISTENER_PREFIX: &str = "app:";

/// How many times a chunk refused as busy is asked for again before the stream gives up.
const BUSY_RETRIES: u32 = 30;

/// Stream bytes produced ahead of what the client has taken.
const AHEAD: usize = 2;

/// A client that takes nothing for this long loses its stream (and its place under the
/// stream caps). A paused app resumes with `timeOffset`, as apps do.
const STALL_LIMIT: Duration = Duration::from_secs(120);

/// The listener id of an app named `c`.
pub fn app_listener(c: &str) -> String {
    let mut id = format!("{APP_LISTENER_PREFIX}{c}");
    while id.len() > 64 {
        id.pop();
    }
    id
}

/// What a stream plays: one variant, or both mixed at an intensity.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    One(Variant),
    Mixed {
        /// The processed variant (the user's preset in the user's loudness mode).
        processed: Variant,
        wet: f32,
    },
}

impl Source {
    /// The name of its kept streams (see `auralis_cache::valid_stream_name`).
    fn name(&self, format: StreamFormat) -> String {
        let source = match self {
            Source::One(v) => v.name().to_string(),
            Source::Mixed { processed, wet } => {
                format!("{}@{}", processed.name(), (wet * 100.0).round() as u32)
            }
        };
        let format = match format {
            StreamFormat::Raw => "raw".to_string(),
            StreamFormat::Flac => "flac".to_string(),
            StreamFormat::Opus { kbps } => format!("opus-{kbps}"),
            StreamFormat::Mp3 { kbps } => format!("mp3-{kbps}"),
        };
        format!("{source}.{format}")
    }
}

async fn source_for(app: &App, user: i64) -> Result<Source, Error> {
    let state = app.playback.enhancement(user).await?;
    let processed = Variant::processed(state.preset, state.loudness);
    Ok(if !state.enabled || state.intensity <= 0.0 {
        Source::One(Variant::Original)
    } else if state.intensity >= 1.0 {
        Source::One(processed)
    } else {
        Source::Mixed {
            processed,
            wet: state.intensity,
        }
    })
}

async fn defaults_for(app: &App, user: i64) -> Result<StreamDefaults, Error> {
    let prefs = app.people.streaming(user).await?;
    Ok(StreamDefaults {
        lossy: match prefs.lossy {
            LossyFormat::Opus => LossyCodec::Opus,
            LossyFormat::Mp3 => LossyCodec::Mp3,
        },
        ..StreamDefaults::default()
    })
}

fn header_value(v: impl ToString) -> Option<HeaderValue> {
    HeaderValue::from_str(&v.to_string()).ok()
}

pub async fn stream(ctx: &Ctx, p: &Params) -> Answer {
    let id = Id::track(p.required("id")?)?;
    let max_bit_rate = p
        .int("maxBitRate")?
        .map_or(0, |v| u32::try_from(v.max(0)).unwrap_or(u32::MAX));
    let defaults = defaults_for(&ctx.app, ctx.user()).await?;
    let format = choose_stream(p.get("format"), max_bit_rate, &defaults);
    if format == StreamFormat::Raw {
        return Ok(Reply::Media(media::serve_original(ctx, id).await?));
    }
    let offset_s = match p.get("timeOffset") {
        None | Some("") => 0.0,
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| {
                SubsonicError::new(0, format!("timeOffset must be seconds >= 0, got {v:?}"))
            })?,
    };
    let info = ctx.app.playback.track_info(id).await?;
    let tl = info.timeline;
    let start = tl.sample_at_seconds(offset_s);
    if start >= tl.total_samples() {
        return Err(SubsonicError::new(
            0,
            format!(
                "timeOffset {offset_s} s is at or past the end of the track ({:.1} s)",
                tl.duration_seconds()
            ),
        ));
    }
    let source = source_for(&ctx.app, ctx.user()).await?;
    let name = source.name(format);
    let listener = app_listener(&ctx.app_name);
    let who = ListenerRef {
        user: ctx.user(),
        id: Some(&listener),
    };
    let duration = (tl.total_samples() - start) as f64 / f64::from(tl.sample_rate());
    let content_type = format.content_type().unwrap_or("application/octet-stream");

    // A kept stream from the start: a file read, with ranges.
    if start == 0 {
        if let Some(file) = ctx.app.playback.stream_file(id, &name).await? {
            ctx.app.playback.follow_stream(who, id, 0.0).await?;
            let mut r =
                media::serve_file(&file.path, content_type, media::range_request(ctx)?).await?;
            if let Some(v) = header_value(format!("{duration:.3}")) {
                r.headers_mut().insert("x-content-duration", v);
            }
            return Ok(Reply::Media(r));
        }
    }

    let Some(permit) = ctx.app.media_streams.acquire(ctx.user()) else {
        return Err(SubsonicError::new(
            0,
            "too many streams are open; close one (or wait for one to end) and try again",
        ));
    };
    let chunk0 = tl.chunk_of_sample(start).unwrap_or(0);
    let skip = start - tl.chunk_range(chunk0).map_or(start, |r| r.start);
    let depth = bit_depth_for(Some(info.bits));
    let transcoder = ChunkTranscoder::new(
        format,
        tl.sample_rate(),
        depth,
        tl.total_samples() - start,
        skip,
    )
    .map_err(|e| SubsonicError::new(0, format!("cannot stream track {id}: {e}")))?;
    let exact_len = transcoder.exact_len();
    // Ask for the first chunk before answering, so a failure is a Subsonic error, not a cut.
    let first = fetch(&ctx.app, ctx.user(), &listener, id, chunk0, source).await?;
    ctx.app.playback.follow_stream(who, id, offset_s).await?;
    let writer = if start == 0 {
        match ctx.app.playback.stream_writer(id, &name).await {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(track = id, error = %e, "cannot keep this stream in the cache");
                None
            }
        }
    } else {
        None
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(AHEAD);
    let complete = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let job = Producer {
        app: ctx.app.clone(),
        user: ctx.user(),
        listener,
        track: id,
        source,
        chunk_count: tl.chunk_count(),
        chunk_seconds: tl.chunk_seconds(),
        next_chunk: chunk0 + 1,
        transcoder: Some(transcoder),
        rate: tl.sample_rate(),
        started: false,
        writer,
        tx,
        complete: complete.clone(),
        _permit: permit,
    };
    tokio::spawn(job.run(first));

    // The body ends cleanly only after the producer says the stream is complete; if the
    // producer stops early (a failure, a stalled client), the connection is cut instead, so a
    // client never takes a short stream for a whole one.
    let body = Body::from_stream(futures::stream::unfold(
        (rx, complete, false),
        |(mut rx, complete, ended)| async move {
            if ended {
                return None;
            }
            match rx.recv().await {
                Some(item) => Some((item, (rx, complete, false))),
                None if complete.load(std::sync::atomic::Ordering::Acquire) => None,
                None => Some((
                    Err(std::io::Error::other("the stream ended early")),
                    (rx, complete, true),
                )),
            }
        },
    ));
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = header_value(format!("{duration:.3}")) {
        h.insert("x-content-duration", v);
    }
    if let Some(len) = exact_len.and_then(header_value) {
        h.insert(header::CONTENT_LENGTH, len);
    }
    Ok(Reply::Media(r))
}

/// One chunk of what `source` plays, asked again while the cache is busy.
async fn fetch(
    app: &App,
    user: i64,
    listener: &str,
    track: i64,
    n: u64,
    source: Source,
) -> Result<Bytes, Error> {
    let one = |variant: Variant| async move {
        let mut tries = 0;
        loop {
            let who = ListenerRef {
                user,
                id: Some(listener),
            };
            match app.playback.chunk_of(who, track, n, variant).await {
                Err(Error::Busy { retry_after, .. }) if tries < BUSY_RETRIES => {
                    tries += 1;
                    // Back off as the cache asks; a stream is a long request, not a retry loop.
                    tokio::time::sleep(Duration::from_millis(250 * retry_after.clamp(1, 4))).await;
                }
                other => return other.map(|c| c.bytes),
            }
        }
    };
    match source {
        Source::One(v) => one(v).await,
        Source::Mixed { processed, wet } => {
            let (o, p) = tokio::try_join!(one(Variant::Original), one(processed))?;
            let mixed = tokio::task::spawn_blocking(move || mix_chunks(&o, &p, wet)).await?;
            mixed
                .map(Bytes::from)
                .map_err(|e| Error::internal(format!("mixing chunk {n} of track {track}: {e}")))
        }
    }
}

/// Produces the stream's bytes, a chunk at a time, for as long as the client takes them.
struct Producer {
    app: App,
    user: i64,
    listener: String,
    track: i64,
    source: Source,
    chunk_count: u64,
    chunk_seconds: f64,
    next_chunk: u64,
    /// On a blocking thread while a chunk is encoded.
    transcoder: Option<ChunkTranscoder>,
    /// Sample rate of the chunks (the first chunk is encoded a second at a time).
    rate: u32,
    /// Whether the first chunk was encoded.
    started: bool,
    writer: Option<auralis_cache::StreamWriter>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    /// Set once every byte was handed over.
    complete: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Its place under the stream caps, held until it ends.
    _permit: crate::app::StreamPermit,
}

impl Producer {
    async fn run(mut self, first: Bytes) {
        if let Err(e) = self.produce(first).await {
            tracing::warn!(track = self.track, error = %e, "a Subsonic stream stopped early");
            // Dropping the sender cuts the body (it was never marked complete).
        }
    }

    async fn produce(&mut self, first: Bytes) -> Result<(), Error> {
        let mut chunk = Some(first);
        loop {
            let last = chunk.is_none();
            let input = chunk.take();
            let (out, done) = self.encode(input, last).await?;
            if !out.is_empty() {
                let sent = tokio::time::timeout(STALL_LIMIT, self.tx.send(Ok(Bytes::from(out))));
                if !matches!(sent.await, Ok(Ok(()))) {
                    // The client went away or stalled: stop, and keep nothing (the writer's
                    // drop removes its temporary file).
                    return Ok(());
                }
            }
            if done {
                self.complete
                    .store(true, std::sync::atomic::Ordering::Release);
                if let Some(w) = self.writer.take() {
                    let committed = tokio::task::spawn_blocking(move || w.commit()).await?;
                    if let Err(e) = committed {
                        tracing::warn!(track = self.track, error = %e, "could not keep a stream");
                    }
                }
                return Ok(());
            }
            if self.next_chunk < self.chunk_count {
                let n = self.next_chunk;
                let who = ListenerRef {
                    user: self.user,
                    id: Some(&self.listener),
                };
                // Tell the cache where the app is, so it prefetches ahead of it.
                let at = n as f64 * self.chunk_seconds;
                if let Err(e) = self.app.playback.follow_stream(who, self.track, at).await {
                    tracing::debug!(track = self.track, error = %e, "position update failed");
                }
                chunk = Some(
                    fetch(
                        &self.app,
                        self.user,
                        &self.listener,
                        self.track,
                        n,
                        self.source,
                    )
                    .await?,
                );
                self.next_chunk += 1;
            }
        }
    }

    /// Pushes a chunk (or finishes, `last`) on a blocking thread; also writes the kept copy.
    async fn encode(&mut self, chunk: Option<Bytes>, last: bool) -> Result<(Vec<u8>, bool), Error> {
        let mut transcoder = self
            .transcoder
            .take()
            .ok_or_else(|| Error::internal("the stream's encoder was lost after a failure"))?;
        let mut writer = self.writer.take();
        // The first chunk goes out in parts as they are encoded (its first second, not all ten
        // seconds, stands between the request and the first byte). A part is handed to the body
        // only while the channel has room (it is empty at the start), so nothing waits here and
        // the order holds: once a part does not fit, the rest goes out the usual way.
        let early = (!self.started).then(|| self.tx.clone());
        self.started = true;
        let part_frames = (self.rate as usize).max(1);
        let (transcoder, writer, result) = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let mut keep = |part: &[u8]| {
                if let Some(w) = writer.as_mut() {
                    if let Err(e) = w.write(part) {
                        tracing::warn!(error = %e, "could not write the kept copy of a stream");
                        writer = None;
                    }
                }
            };
            let mut held = Vec::new();
            let mut early = early;
            let r = match &chunk {
                Some(b) => transcoder.push_chunk_in_parts(b, &mut out, part_frames, |out| {
                    let Some(tx) = early.as_ref() else { return };
                    if out.is_empty() {
                        return;
                    }
                    let part = std::mem::take(out);
                    keep(&part);
                    if let Err(e) = tx.try_send(Ok(Bytes::from(part))) {
                        if let mpsc::error::TrySendError::Full(Ok(part))
                        | mpsc::error::TrySendError::Closed(Ok(part)) = e
                        {
                            held = part.to_vec();
                        }
                        early = None;
                    }
                }),
                None => transcoder.finish(&mut out),
            };
            let r = r.map_err(|e| Error::internal(format!("encoding: {e}")));
            if r.is_ok() {
                keep(&out);
            }
            // What did not go out early goes first, then the rest of the chunk.
            held.extend_from_slice(&out);
            (transcoder, writer, r.map(|()| held))
        })
        .await?;
        self.transcoder = Some(transcoder);
        self.writer = writer;
        Ok((result?, last))
    }
}
