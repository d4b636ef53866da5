// Injected into the player page by the tests: records what the engine outputs (an AudioWorklet
// tap on engine.output, every 128-frame block stamped with its context frame) and compares it
// sample by sample with references decoded from the server's own chunks.
window.T = (() => {
  // Each block is stamped with its context frame. Now and then (a late render on a loaded
  // machine) Chromium hands process() the previous quantum's currentFrame again: seen as two
  // blocks with one stamp and the next stamp 256 frames on, the audio all there. A stamp that
  // does not move forward is the block after the last one; a stamp that jumps ahead is still a
  // hole.
  const WORKLET = `registerProcessor('auralis-rec', class extends AudioWorkletProcessor {
    process(inputs) { const c = inputs[0] && inputs[0][0];
      const f = this.last === undefined ? currentFrame : Math.max(currentFrame, this.last + 128);
      this.last = f;
      this.port.postMessage({ f, d: c ? c.slice() : new Float32Array(128) }); return true; } });`;
  const engine = () => window.auralis.engine;
  let tapped = null; // { ctx, rec }
  let blocks = [];
  let recording = false;
  let from = 0; // context frame at start(): blocks rendered before it are not recorded

  async function tap() {
    const e = engine();
    if (tapped && tapped.ctx === e.ctx) return;
    const ctx = e.ctx;
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' })));
    const rec = new AudioWorkletNode(ctx, 'auralis-rec');
    // A block can arrive after start() although it was rendered before (the port is busy when the
    // machine is), so blocks are taken by their own frame stamp, not by their arrival.
    rec.port.onmessage = (m) => { if (recording && m.data.f >= from) blocks.push(m.data); };
    e.output.connect(rec);
    rec.connect(ctx.destination); // it writes nothing: silence, but keeps the node pulled
    tapped = { ctx, rec };
  }
  function start() { blocks = []; from = Math.floor(engine().ctx.currentTime * engine().ctx.sampleRate); recording = true; }
  function stop() {
    recording = false;
    if (!blocks.length) return { frame0: 0, x: new Float32Array(0), holes: 0 };
    const frame0 = blocks[0].f;
    const n = blocks[blocks.length - 1].f + 128 - frame0;
    const x = new Float32Array(n);
    let holes = 0;
    for (const b of blocks) x.set(b.d, b.f - frame0);
    for (let i = 1; i < blocks.length; i++) if (blocks[i].f !== blocks[i - 1].f + 128) holes++;
    return { frame0, x, holes };
  }

  const refs = new Map();
  /** Channel 0 of every chunk of a track and variant, decoded on the engine's context, joined. */
  async function reference(trackId, variant, preset) {
    const key = `${trackId}/${variant}/${preset}`;
    if (refs.has(key)) return refs.get(key);
    const meta = await (await fetch(`/api/stream/${trackId}/metadata`)).json();
    const out = new Float32Array(meta.total_samples);
    for (let k = 0; k < meta.total_chunks; k++) {
      const q = new URLSearchParams({ variant });
      if (preset) q.set('preset', preset);
      const res = await fetch(`/api/stream/${trackId}/chunk/${k}?${q}`);
      if (!res.ok) throw new Error(`chunk ${k}: HTTP ${res.status}`);
      const buf = await engine().ctx.decodeAudioData(await res.arrayBuffer());
      out.set(buf.getChannelData(0).subarray(0, Math.min(buf.length, meta.total_samples - k * meta.chunk_samples)), k * meta.chunk_samples);
    }
    refs.set(key, out);
    return out;
  }
  function concat(...arrays) {
    const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
    let o = 0;
    for (const a of arrays) { out.set(a, o); o += a.length; }
    return out;
  }

  /** Lag L such that x[i] == ref[i + L] exactly on a stretch of audible samples, searching near `guess`. */
  function align(x, ref, guess, radius = 24000, from = 0) {
    let i0 = from;
    while (i0 < x.length && Math.abs(x[i0]) < 1e-3) i0++;
    i0 += 256;
    const n = 256;
    if (i0 + n > x.length) return null;
    for (let d = 0; d <= radius; d++) {
      for (const L of d ? [guess + d, guess - d] : [guess]) {
        if (i0 + L < 0 || i0 + L + n > ref.length) continue;
        let ok = true;
        for (let i = i0; i < i0 + n; i++) if (Math.abs(x[i] - ref[i + L]) > 1e-6) { ok = false; break; }
        if (ok) return L;
      }
    }
    return null;
  }
  /** Where x differs from ref shifted by L, over [from, to). */
  function compare(x, ref, L, from, to, tol = 1e-6) {
    let bad = 0; let first = -1; let max = 0;
    for (let i = from; i < to; i++) {
      const e = Math.abs(x[i] - (ref[i + L] ?? 0));
      if (e > tol) { bad++; if (first < 0) first = i; }
      if (e > max) max = e;
    }
    return { bad, first, max, n: to - from };
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  async function waitFor(fn, ms = 10000, what = 'condition') {
    const t0 = performance.now();
    while (!(await fn())) { if (performance.now() - t0 > ms) throw new Error(`timeout waiting for ${what}`); await sleep(20); }
  }
  // ---- waits on the audio clock and on engine state (no fixed sleeps) ----
  /** Frames recorded since start(). */
  function recorded() { return blocks.length ? blocks[blocks.length - 1].f + 128 - blocks[0].f : 0; }
  /** Records until `seconds` more of output (audio clock) are in the recording. */
  async function recordFor(seconds) {
    const want = recorded() + Math.round(seconds * engine().ctx.sampleRate);
    await waitFor(() => recorded() >= want, seconds * 1000 + 10000, `${seconds}s of recorded output`);
  }
  /** Records until the recording reaches context frame `frame`. */
  async function recordUntil(frame) {
    await waitFor(() => blocks.length && blocks[blocks.length - 1].f + 128 >= frame, 30000, `recording up to frame ${frame}`);
  }
  /** Waits until the render thread has passed every scheduled fade/ramp/splice of the engine. */
  async function settled(ms = 10000) {
    const e = engine();
    await waitFor(() => e.ctx.currentTime >= e.settledAt, ms, 'scheduled changes to be rendered');
  }
  /** Waits until the decoded chunks have the processed variant of `preset`, none stood in for. */
  async function processedReady(preset = engine().enh.preset, ms = 20000) {
    const e = engine();
    await waitFor(() => e.slots.length && e.slots.every((s) => s.buf.processed && s.preset === preset
      && (!s.src.processed || !s.src.processed.stand_in)), ms, `processed chunks of ${preset}`);
  }
  return { tap, start, stop, reference, concat, align, compare, waitFor, engine, recorded, recordFor, recordUntil, settled, processedReady };
})();
