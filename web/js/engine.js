// The Auralis audio engine: plays a track as a sequence of FLAC chunks through Web Audio.
//
// Not for: anything visual. It never touches the DOM; the UI listens to its events.
//
// How it plays (see docs/API.md and docs/DESIGN.md "The player"):
// - The AudioContext runs at the track's sample rate, so decoded chunks are never resampled
//   and chunk k can be started at a whole-sample frame: start(k) = start(k-1) + len(k-1).
// - Both variants of a chunk (original and processed/preset) play in lockstep, each through
//   its own fade GainNode into one of two variant GainNodes -> master -> destination. The
//   enhancement toggle and the intensity (dry/wet) only move the two variant gains with a
//   few-ms ramp, heard at the next render quantum.
// - At most two chunks are decoded at any time: the one playing and the next one (which can
//   be the first chunk of the next track). Memory stays flat however long the track is.
// - A new preset (or a processed chunk that arrived late) is spliced into the chunk that is
//   playing at a whole-sample frame, with a short crossfade between two aligned signals.
// - Pause/resume suspend/resume the context, so the schedule stays sample-exact.
// - Level-matched A/B (on by default): with the enhancement off, the original is heard through
//   a third path, at the gain that makes it as loud as the processed variant (the track's
//   `level_match_db` for the preset, from its metadata), then a look-ahead true-peak limiter at
//   -1.5 dBTP (matched-out.worklet.js). The level-matched path has its own sources, started
//   the limiter's look-ahead (64 frames) earlier, so it comes out aligned with the other two
//   and the original and processed paths never pass through the limiter. So the toggle
//   compares tone and dynamics, not volume. Without it the original path is bit-exact. Where
//   AudioWorklet is missing (a page over plain HTTP from another machine is not a secure
//   context) a soft clip stands in (SAFE_CURVE): sample peaks stay under -1.5 dBFS, true
//   peaks are not held.

const LEAD = 0.03; // s between "now" and the first frame we schedule on (render-thread margin)
const GAIN_RAMP = 0.005; // s, toggle/intensity ramp
const FADE = 0.004; // s, fade on seek and on preset splice
const PROC_WAIT_MS = 2500; // with enhancement on, wait this long for the processed variant
const PUMP_MS = 100;
const REPORT_MS = 1000;

export const PRESETS = ['adaptive', 'gentle', 'warm', 'bright', 'punchy'];
const PATHS = ['original', 'processed', 'matched'];

/** Gains of the three paths for an enhancement state: out = (1-i)*original + i*processed with
 *  the enhancement on; the level-matched original alone (or the plain one) with it off. */
export function variantGains({ enabled, intensity, levelMatch }) {
  return { ...pathGains({ enabled, intensity, levelMatch }), levelMatch: Boolean(levelMatch) };
}
function pathGains({ enabled, intensity, levelMatch }) {
  if (!enabled) return levelMatch ? { original: 0, processed: 0, matched: 1 } : { original: 1, processed: 0, matched: 0 };
  const i = Math.min(1, Math.max(0, Number(intensity)));
  return { original: 1 - i, processed: i, matched: 0 };
}

export const dbToGain = (db) => 10 ** (Number(db || 0) / 20);

/** The sources of one playing variant and the frame each hears `frame` at: the source
 *  itself, and for the original its level-matched companion, `lead` frames earlier. */
function sourcesOf(entry, frame) {
  const out = [[entry, frame]];
  if (entry.matched) out.push([entry.matched, frame - entry.matched.lead]);
  return out;
}

// The level-matched original's peak safety where AudioWorklet is missing. A raised original
// can exceed full scale where the processed variant, limited on the server, never does. A
// WaveShaper adds no latency: identity below KNEE, then a tanh curve that approaches CEILING,
// so only peaks are shaped; it holds sample peaks, not true peaks (the worklet's limiter does
// that). The curve covers +-RANGE (amplitudes up to +12 dBFS; the path is scaled by 1/RANGE
// before it).
const RANGE = 4;
const MATCHED_OUT_URL = new URL('./matched-out.worklet.js', import.meta.url).href;
const MATCHED_CEILING_DB = -1.5; // dBTP, the level-matched original's ceiling
const MATCHED_LEAD = 64; // frames: LOOKAHEAD of matched-out.worklet.js
const KNEE = 10 ** (-4 / 20);
const CEILING = 10 ** (-1.5 / 20);
const SAFE_CURVE = (() => {
  const n = 16385; // odd: x = 0 is a curve point, so silence stays exact silence
  const curve = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.abs(((2 * i) / (n - 1) - 1) * RANGE);
    const y = a <= KNEE ? a : KNEE + (CEILING - KNEE) * Math.tanh((a - KNEE) / (CEILING - KNEE));
    curve[i] = (i < (n - 1) / 2 ? -y : y) / RANGE; // scaled back up by RANGE after the shaper
  }
  return curve;
})();

/** The chunk timeline (docs/DESIGN.md, invariant 1), from the stream metadata. */
export function chunkOf(meta, sample) {
  return Math.min(meta.total_chunks - 1, Math.floor(sample / meta.chunk_samples));
}
export function chunkLength(meta, k) {
  return Math.max(0, Math.min(meta.chunk_samples, meta.total_samples - k * meta.chunk_samples));
}

class Output {
  // One AudioContext and its graph. A new one is only made when the sample rate changes.
  constructor(sampleRate) {
    this.ctx = new AudioContext({ sampleRate, latencyHint: 'interactive' });
    this.sr = this.ctx.sampleRate;
    this.master = new GainNode(this.ctx);
    this.variant = {
      original: new GainNode(this.ctx),
      processed: new GainNode(this.ctx, { gain: 0 }),
      matched: new GainNode(this.ctx, { gain: 0 }),
    };
    this.master.connect(this.ctx.destination);
    // The level-matched sources feed `matchedIn`; it is open while the option is on (the
    // limiter then runs even when the toggle has the path muted, so it is ready at a click).
    this.matchedIn = new GainNode(this.ctx, { gain: 0 });
    this.variant.original.connect(this.master);
    this.variant.processed.connect(this.master);
    this.variant.matched.connect(this.master);
    // Nothing plays before the level-matched stage is wired (load() and the next-track path
    // wait).
    this.limited = false;
    this.lead = 0; // frames the level-matched sources start ahead of the others
    this.ready = this.ctx.audioWorklet
      ? this.ctx.audioWorklet.addModule(MATCHED_OUT_URL).then(() => this.wireLimiter(), (e) => {
        console.warn('level-matched limiter unavailable, using the soft clip:', e);
        this.wireSoftClip();
      })
      : Promise.resolve(this.wireSoftClip());
    this.settle = 0; // context time by which every scheduled fade/ramp/splice is complete
  }
  /** The level-matched original through the look-ahead true-peak limiter. */
  wireLimiter() {
    const node = new AudioWorkletNode(this.ctx, 'auralis-matched-out', {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [2],
      channelCount: 2,
      channelCountMode: 'explicit',
      channelInterpretation: 'speakers',
      processorOptions: { ceilingDb: MATCHED_CEILING_DB },
    });
    this.matchedIn.connect(node).connect(this.variant.matched);
    this.limited = true;
    this.lead = MATCHED_LEAD;
  }
  /** Without AudioWorklet: the soft clip on the level-matched original (no look-ahead). */
  wireSoftClip() {
    const safe = new WaveShaperNode(this.ctx, { curve: SAFE_CURVE, oversample: 'none' });
    this.matchedIn
      .connect(new GainNode(this.ctx, { gain: 1 / RANGE }))
      .connect(safe)
      .connect(new GainNode(this.ctx, { gain: RANGE }))
      .connect(this.variant.matched);
  }
  /** Notes that a scheduled change completes at context time t. */
  settlesAt(t) {
    this.settle = Math.max(this.settle, t);
  }
  /** First whole frame at least LEAD seconds from now. */
  frameSoon(lead = LEAD) {
    return Math.ceil((this.ctx.currentTime + lead) * this.sr);
  }
  nowFrame() {
    return this.ctx.currentTime * this.sr;
  }
  setGains(g, ramp = GAIN_RAMP) {
    const t = this.ctx.currentTime;
    this.matchedIn.gain.setValueAtTime(g.levelMatch ? 1 : 0, t);
    for (const v of PATHS) {
      const p = this.variant[v].gain;
      p.cancelScheduledValues(t);
      p.setValueAtTime(p.value, t);
      p.linearRampToValueAtTime(g[v], t + ramp);
    }
    this.settlesAt(t + ramp);
  }
}

export class Engine extends EventTarget {
  /** @param {object} api the fetch wrappers of api.js (metadata, chunk, reportPosition) */
  constructor(api) {
    super();
    this.api = api;
    this.out = null; // Output
    this.pendingOut = null; // Output prepared for the next track when its rate differs
    this.enh = { enabled: true, preset: 'adaptive', intensity: 1, loudness: 'track', levelMatch: true };
    this.cur = null; // { id, meta } of the playing track
    this.nextId = null;
    this.nextTrack = null; // { id, meta } once its metadata is known
    this.slots = []; // decoded chunks, at most 2: { track, k, length, out, startFrame, buf, src }
    this.gen = 0; // bumps on every load/seek; stale async work checks it and gives up
    this.playing = false;
    this.buffering = false;
    this.position = 0;
    this.loadingNext = null;
    this.stats = { chunksFetched: 0, maxDecoded: 0, lastSeek: null, trackSwitches: [] };
    this.timer = setInterval(() => this.pump(), PUMP_MS);
    this.reporter = setInterval(() => this.playing && this.report(), REPORT_MS);
  }

  // ---- public API -------------------------------------------------------------------------

  get ctx() { return this.out?.ctx ?? null; }
  /** The master GainNode (tests tap it to record exactly what is heard). */
  get output() { return this.out?.master ?? null; }
  get duration() { return this.cur ? this.cur.meta.total_samples / this.cur.meta.sample_rate : 0; }
  get trackId() { return this.cur?.id ?? null; }
  get decodedChunks() { return this.slots.filter((s) => s.buf.original).length; }
  /** Context time (s) by which every scheduled change (seek fade-in, preset splice, gain
   *  ramp) has been rendered; compare with ctx.currentTime. Chunk joins are not changes. */
  get settledAt() { return this.out?.settle ?? 0; }
  /** What the render thread is playing now, read from the audio clock (not the 100 ms pump):
   *  { trackId, sample } with sample the absolute position in the track, or null. */
  get playhead() {
    const out = this.out;
    if (!out) return null;
    const now = Math.floor(out.nowFrame());
    const s = this.slots.find((x) => x.out === out && x.startFrame !== null && x.startFrame <= now && now < x.startFrame + x.length);
    return s ? { trackId: s.track.id, sample: s.k * s.track.meta.chunk_samples + now - s.startFrame } : null;
  }

  snapshot() {
    return {
      trackId: this.trackId, position: this.position, duration: this.duration,
      playing: this.playing, buffering: this.buffering, sampleRate: this.out?.sr ?? null,
      enhancement: { ...this.enh },
    };
  }

  /** Loads a track and (by default) starts playing it at `at` seconds. */
  async load(id, { at = 0, play = true } = {}) {
    const gen = ++this.gen;
    this.dropAll();
    this.setBuffering(true);
    let meta;
    try {
      meta = await this.fetchMeta(id);
    } catch (e) {
      if (gen === this.gen) this.fail(e, id);
      return;
    }
    if (gen !== this.gen) return;
    this.useOutput(meta.sample_rate);
    await this.out.ready;
    if (gen !== this.gen) return;
    this.cur = this.trackOf(id, meta);
    this.position = at;
    this.emit('trackchange', { trackId: id, auto: false });
    this.playing = play;
    if (play) await this.out.ctx.resume();
    else await this.out.ctx.suspend();
    this.emitState();
    await this.seek(at);
  }

  async play() {
    if (!this.out || !this.cur) return;
    this.playing = true;
    await this.out.ctx.resume();
    this.emitState();
    this.report();
  }

  async pause() {
    if (!this.out) return;
    this.playing = false;
    await this.out.ctx.suspend();
    this.emitState();
    this.report();
  }

  toggle() { return this.playing ? this.pause() : this.play(); }

  /** Seeks the playing track. Heard at once if the chunk is decoded, else when it arrives. */
  async seek(seconds) {
    if (!this.cur) return;
    const { meta } = this.cur;
    const out = this.out;
    const sample = Math.max(0, Math.min(meta.total_samples - 1, Math.round(seconds * meta.sample_rate)));
    const k = chunkOf(meta, sample);
    const gen = ++this.gen;
    const track = this.cur;
    this.position = sample / meta.sample_rate;
    // keep what is already decoded for chunks k and k+1 of this track, drop the rest
    const keep = this.slots.filter((s) => s.track === track && (s.k === k || s.k === k + 1));
    for (const s of this.slots) this.stopSlot(s, out.frameSoon());
    for (const s of keep) s.startFrame = null;
    this.slots = keep.sort((a, b) => a.k - b.k);
    this.loadingNext = null;
    let slot = this.slots.find((s) => s.k === k);
    if (!slot) {
      this.setBuffering(true);
      try {
        slot = await this.loadSlot(track, k, gen);
      } catch (e) {
        if (gen === this.gen) this.fail(e, track.id);
        return;
      }
      if (!slot || gen !== this.gen) return;
      this.slots.unshift(slot);
    }
    const F = out.frameSoon();
    slot.startFrame = F - (sample - k * meta.chunk_samples);
    this.schedule(slot, F, true);
    const next = this.slots.find((s) => s.k === k + 1);
    if (next) {
      next.startFrame = slot.startFrame + slot.length;
      this.schedule(next, next.startFrame);
    }
    this.stats.lastSeek = { sample, frame: F, trackId: track.id, at: performance.now() };
    this.setBuffering(false);
    this.report();
    this.pump();
  }

  /** Tells the engine which track follows, so it can fetch its first chunk ahead. */
  setNext(id) {
    id = id ?? null;
    if (id === this.nextId) return;
    this.nextId = id;
    this.nextTrack = null;
    // a preloaded first chunk of a different next track is no longer wanted
    for (const s of this.slots.filter((s) => this.cur && s.track !== this.cur)) {
      this.stopSlot(s, s.out.frameSoon());
      this.slots.splice(this.slots.indexOf(s), 1);
    }
    if (this.pendingOut) { this.pendingOut.ctx.close(); this.pendingOut = null; }
    this.loadingNext = null;
    this.report();
  }

  /** Applies an enhancement state {enabled, preset, intensity, loudness, levelMatch}; gains
   *  move at once; a new preset or loudness mode brings its chunks and level match. */
  setEnhancement(next) {
    const prev = this.enh;
    this.enh = { ...prev, ...next };
    this.out?.setGains(variantGains(this.enh));
    if (this.enh.preset !== prev.preset || this.enh.loudness !== prev.loudness) {
      for (const s of this.slots) this.fetchProcessed(s, this.gen);
      for (const t of new Set([this.cur, this.nextTrack, ...this.slots.map((s) => s.track)])) {
        if (t) this.refreshLevelMatch(t);
      }
    }
    this.emitState();
  }

  /** The gain (dB) the level-matched original of `track` plays at now. */
  levelMatchOf(track) {
    return track?.match?.key === this.matchKey() ? track.match.db : 0;
  }

  /** Silences everything and forgets the track (sign-out): the audio contexts are closed, no
   *  chunk or position report of the old track follows, and the engine can play again. */
  stop() {
    this.gen++; // every load, seek and look-ahead in flight gives up
    this.dropAll();
    this.out?.ctx.close().catch(() => {});
    this.pendingOut?.ctx.close().catch(() => {});
    this.out = null;
    this.pendingOut = null;
    this.cur = null;
    this.nextId = null;
    this.nextTrack = null;
    this.playing = false;
    this.position = 0;
    this.buffering = false;
    this.emitState();
  }

  destroy() {
    clearInterval(this.timer);
    clearInterval(this.reporter);
    this.dropAll();
    this.out?.ctx.close();
    this.pendingOut?.ctx.close();
  }

  // ---- internals --------------------------------------------------------------------------

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
  emitState() { this.emit('statechange', this.snapshot()); }

  setBuffering(b) {
    if (b === this.buffering) return;
    this.buffering = b;
    this.emitState();
  }

  fail(e, trackId) {
    this.setBuffering(false);
    this.emit('error', { trackId, message: e?.message || String(e) });
  }

  useOutput(sampleRate) {
    if (this.out && this.out.sr === sampleRate) return;
    const old = this.out;
    if (this.pendingOut && this.pendingOut.sr === sampleRate) {
      this.out = this.pendingOut;
      this.pendingOut = null;
    } else {
      this.out = new Output(sampleRate);
    }
    this.out.setGains(variantGains(this.enh), 0);
    if (old) old.ctx.close();
    this.emit('context', { sampleRate: this.out.sr });
  }

  dropAll() {
    for (const s of this.slots) this.stopSlot(s, s.out.frameSoon());
    this.slots = [];
    this.loadingNext = null;
  }

  /** Which processed rendition the level match belongs to. */
  matchKey() {
    return `${this.enh.preset}/${this.enh.loudness}`;
  }

  fetchMeta(id) {
    return this.api.metadata(id, { preset: this.enh.preset, loudness: this.enh.loudness });
  }

  /** A track as the engine holds it: its metadata and the level match for the current preset. */
  trackOf(id, meta) {
    return { id, meta, match: { key: this.matchKey(), db: Number(meta.level_match_db) || 0 } };
  }

  /** Fetches the level match of `track` for the current preset and loudness mode, and moves
   *  the level of its playing chunks there (the same short ramp as the toggle). */
  async refreshLevelMatch(track) {
    const key = this.matchKey();
    let meta;
    try {
      meta = await this.fetchMeta(track.id);
    } catch (e) {
      console.warn(`level match of track ${track.id}:`, e);
      return;
    }
    if (key !== this.matchKey()) return; // a newer preset was chosen meanwhile
    this.applyLevelMatch(track, Number(meta.level_match_db) || 0);
  }

  /** Sets the level match (dB) of `track` for the current preset and moves its playing chunks'
   *  level there. */
  applyLevelMatch(track, db) {
    track.match = { key: this.matchKey(), db };
    const g = dbToGain(db);
    for (const s of this.slots) {
      const level = s.track === track ? s.src.original?.level : null;
      if (!level) continue;
      const t = s.out.ctx.currentTime;
      level.gain.cancelScheduledValues(t);
      level.gain.setValueAtTime(level.gain.value, t);
      level.gain.linearRampToValueAtTime(g, t + GAIN_RAMP);
      s.out.settlesAt(t + GAIN_RAMP);
    }
  }

  async fetchDecode(out, id, k, variant, preset, loudness) {
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const t0 = performance.now();
        const { bytes, tier } = await this.api.chunk(id, k, variant, preset, loudness);
        const t1 = performance.now();
        this.stats.chunksFetched++;
        const buf = await out.ctx.decodeAudioData(bytes);
        // observable: which chunk arrived, from which cache tier, how long fetch and decode took
        this.emit('chunk', { trackId: id, k, variant, preset: variant === 'processed' ? preset : null, tier, fetchMs: t1 - t0, decodeMs: performance.now() - t1 });
        return buf;
      } catch (e) {
        lastErr = e;
        if (e?.status && e.status < 500) break; // 4xx/422: retrying will not help
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    throw lastErr;
  }

  /** Fetches and decodes chunk k of a track (both variants, see PROC_WAIT_MS). */
  async loadSlot(track, k, gen, out = this.out) {
    const slot = {
      track, k, out, length: chunkLength(track.meta, k), startFrame: null,
      buf: { original: null, processed: null }, preset: null, src: {},
    };
    const orig = this.fetchDecode(out, track.id, k, 'original');
    const proc = this.fetchProcessed(slot, gen);
    slot.buf.original = await orig;
    if (slot.buf.original.length !== slot.length) {
      console.warn(`chunk ${k} of track ${track.id}: ${slot.buf.original.length} samples, timeline says ${slot.length}`);
    }
    if (this.enh.enabled && !slot.buf.processed) {
      await Promise.race([proc, new Promise((r) => setTimeout(r, PROC_WAIT_MS))]);
    }
    if (gen !== this.gen) return null;
    return slot;
  }

  /** Fetches the processed variant for the current preset and loudness mode and
   *  attaches/splices it. */
  fetchProcessed(slot, gen) {
    const { preset, loudness } = this.enh;
    return this.fetchDecode(slot.out, slot.track.id, slot.k, 'processed', preset, loudness).then(
      (buf) => {
        if (gen !== this.gen && !this.slots.includes(slot)) return;
        // a newer preset or loudness mode was chosen meanwhile
        if (preset !== this.enh.preset || loudness !== this.enh.loudness) return;
        slot.buf.processed = buf;
        slot.preset = preset;
        if (slot.startFrame !== null && slot.src.original) this.splice(slot, 'processed');
      },
      (e) => console.warn(`processed chunk ${slot.k} of track ${slot.track.id}:`, e),
    );
  }

  /** Starts one variant source of a slot from `fromFrame`, through its own fade gain. */
  startSource(slot, variant, fromFrame, fadeIn) {
    const { ctx, sr } = slot.out;
    // until the processed chunk arrives the original stands in for it, so playback never waits
    const buf = slot.buf[variant] ?? slot.buf.original;
    const src = new AudioBufferSourceNode(ctx, { buffer: buf });
    const fade = new GainNode(ctx, { gain: fadeIn ? 0 : 1 });
    src.connect(fade).connect(slot.out.variant[variant]);
    const offset = fromFrame - slot.startFrame;
    const begin = (source, gain, frame) => {
      if (fadeIn) {
        gain.gain.setValueAtTime(0, frame / sr);
        gain.gain.linearRampToValueAtTime(1, frame / sr + FADE);
      }
      source.start(frame / sr, offset / sr);
    };
    begin(src, fade, fromFrame);
    // The original also feeds the level-matched path, at its track's gain, from a source of
    // its own started `lead` frames early (the limiter's look-ahead: it comes out aligned).
    // Every start is at least 5 ms ahead (frameSoon), so the early one is never in the past.
    let level = null;
    let matched = null;
    if (variant === 'original') {
      const lead = slot.out.lead;
      const msrc = new AudioBufferSourceNode(ctx, { buffer: buf });
      const mfade = new GainNode(ctx, { gain: fadeIn ? 0 : 1 });
      level = new GainNode(ctx, { gain: dbToGain(this.levelMatchOf(slot.track)) });
      msrc.connect(mfade).connect(level).connect(slot.out.matchedIn);
      begin(msrc, mfade, fromFrame - lead);
      matched = { src: msrc, fade: mfade, lead };
    }
    if (fadeIn) slot.out.settlesAt(fromFrame / sr + FADE);
    src.onended = () => this.pump();
    return { src, fade, level, matched, stand_in: !slot.buf[variant] };
  }

  schedule(slot, fromFrame, fadeIn = false) {
    for (const v of ['original', 'processed']) slot.src[v] = this.startSource(slot, v, fromFrame, fadeIn);
  }

  /** Replaces the playing source of one variant at a whole frame, with a short crossfade. */
  splice(slot, variant) {
    const { sr } = slot.out;
    const end = slot.startFrame + slot.length;
    const T = Math.max(slot.startFrame, slot.out.frameSoon());
    if (T >= end) return;
    const old = slot.src[variant];
    const fresh = this.startSource(slot, variant, T, T > slot.startFrame);
    if (old) {
      old.src.onended = null;
      for (const [pair, at] of sourcesOf(old, T)) {
        if (T > slot.startFrame) {
          pair.fade.gain.setValueAtTime(1, at / sr);
          pair.fade.gain.linearRampToValueAtTime(0, at / sr + FADE);
          pair.src.stop(at / sr + FADE + 0.001);
        } else {
          pair.src.stop(); // had not started yet
        }
      }
      if (T > slot.startFrame) slot.out.settlesAt(T / sr + FADE + 0.001);
    }
    slot.src[variant] = fresh;
  }

  stopSlot(slot, atFrame) {
    const { sr } = slot.out;
    for (const v of Object.keys(slot.src)) {
      slot.src[v].src.onended = null;
      for (const [{ src, fade }, at] of sourcesOf(slot.src[v], atFrame)) {
        try {
          const t = at / sr;
          fade.gain.cancelScheduledValues(0);
          fade.gain.setValueAtTime(fade.gain.value, Math.max(slot.out.ctx.currentTime, t - FADE));
          fade.gain.linearRampToValueAtTime(0, t);
          src.stop(t);
        } catch { /* never started */ }
      }
    }
    slot.src = {};
  }

  /** The heartbeat: position, chunk window, track change, end of queue. */
  pump() {
    const out = this.out;
    if (!out || !this.cur) return;
    this.stats.maxDecoded = Math.max(this.stats.maxDecoded, this.decodedCount());
    const now = out.nowFrame();
    // drop chunks that have finished playing (their buffers go with them)
    const done = this.slots.filter((s) => s.out === out && s.startFrame !== null && s.startFrame + s.length <= now);
    if (done.length) this.slots = this.slots.filter((s) => !done.includes(s));
    const finished = done.some((s) => s.track === this.cur && s.k === s.track.meta.total_chunks - 1);
    // switch to a prepared context (the next track has another sample rate)
    const head = this.slots[0];
    if (head && head.out !== out && !this.slots.some((s) => s.out === out)) {
      this.switchOutput(head);
      return;
    }
    const playingSlot = this.slots.find((s) => s.out === out && s.startFrame !== null && s.startFrame <= now);
    if (playingSlot) {
      if (playingSlot.track !== this.cur) {
        this.cur = playingSlot.track;
        this.nextConsumed();
        this.stats.trackSwitches.push({ trackId: this.cur.id, frame: playingSlot.startFrame });
        this.emit('trackchange', { trackId: this.cur.id, auto: true });
        this.report();
      }
      const { meta } = this.cur;
      this.position = (playingSlot.k * meta.chunk_samples + now - playingSlot.startFrame) / meta.sample_rate;
      this.setBuffering(false);
    } else if (this.playing && finished && this.slots.length === 0 && !this.nextId) {
      this.playing = false;
      this.position = this.duration;
      this.emit('ended', { trackId: this.cur.id });
      this.emitState();
    } else if (this.playing && !this.slots.some((s) => s.startFrame !== null)) {
      this.setBuffering(true);
    }
    this.emit('timeupdate', this.snapshot());
    this.ensureNext();
  }

  decodedCount() {
    return this.slots.filter((s) => s.buf.original).length;
  }

  /** Makes sure the chunk after the last scheduled one is being fetched and is scheduled. */
  ensureNext() {
    if (this.loadingNext || this.slots.length !== 1 || this.slots[0].startFrame === null) return;
    const last = this.slots[0];
    if (last.k + 1 >= last.track.meta.total_chunks && !this.nextId) return;
    const gen = this.gen;
    const job = (async () => {
      let track = last.track;
      let k = last.k + 1;
      if (k >= track.meta.total_chunks) {
        if (!this.nextId) return;
        const nextId = this.nextId;
        if (!this.nextTrack || this.nextTrack.id !== nextId) {
          const meta = await this.fetchMeta(nextId);
          if (gen !== this.gen || nextId !== this.nextId) return;
          this.nextTrack = this.trackOf(nextId, meta);
        }
        track = this.nextTrack;
        k = 0;
      }
      let out = last.out;
      if (track.meta.sample_rate !== out.sr) {
        // a new context is unavoidable; prepare it now (suspended) so the gap is one switch
        if (!this.pendingOut || this.pendingOut.sr !== track.meta.sample_rate) {
          this.pendingOut?.ctx.close();
          const pending = new Output(track.meta.sample_rate);
          this.pendingOut = pending;
          await pending.ready;
          await pending.ctx.suspend();
          if (gen !== this.gen || this.pendingOut !== pending) return;
          pending.setGains(variantGains(this.enh), 0);
        }
        out = this.pendingOut;
      }
      const slot = await this.loadSlot(track, k, gen, out);
      if (!slot || gen !== this.gen || this.loadingNext !== job) return;
      this.slots.push(slot);
      if (out === last.out) {
        const want = last.startFrame + last.length;
        const soon = out.frameSoon(0.005);
        slot.startFrame = Math.max(want, soon); // late (underrun): start as soon as possible
        this.schedule(slot, slot.startFrame);
      }
    })().catch((e) => {
      if (gen === this.gen) this.fail(e, last.track.id);
    }).finally(() => {
      if (this.loadingNext === job) this.loadingNext = null;
    });
    this.loadingNext = job;
  }

  /** The next track has started: it is the current one now, and what follows it is unknown
   *  until setNext() says (the trackchange listener does at once). Without this a queue with
   *  the same track twice in a row would reuse the playing track's object as its own next,
   *  never announce the second playthrough, and loop it. */
  nextConsumed() {
    this.nextId = null;
    this.nextTrack = null;
  }

  /** The next track has another sample rate: hand over to its (prepared) context. */
  switchOutput(slot) {
    const old = this.out;
    this.out = slot.out;
    this.pendingOut = null;
    slot.startFrame = this.out.frameSoon(0.005);
    this.schedule(slot, slot.startFrame);
    this.cur = slot.track;
    this.nextConsumed();
    this.stats.trackSwitches.push({ trackId: slot.track.id, frame: slot.startFrame, newContext: true });
    if (this.playing) this.out.ctx.resume();
    old.ctx.close();
    this.emit('context', { sampleRate: this.out.sr });
    this.emit('trackchange', { trackId: slot.track.id, auto: true });
    this.report();
  }

  report() {
    if (!this.cur) return;
    this.api.reportPosition(this.cur.id, Math.round(this.position * 1000) / 1000, this.nextId, this.enh.loudness)
      .catch(() => { /* the server may be restarting; the next report will do */ });
  }
}
