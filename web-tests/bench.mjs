// Browser latency measurement (not a test): real server, headless Chromium, the real player.
// Every figure is read from the recorded output (AudioWorklet tap on the engine's master gain),
// in context frames: "heard" = the first output sample that differs from what would have played
// without the action (toggle, preset) or the first sample of the new position (seek). Two figures:
// "graph" = that frame minus the audio clock (ctx.currentTime) at the click/seek call, i.e. what
// the player adds; "at device" = when that frame reaches the (fake) output device according to
// ctx.getOutputTimestamp(), minus the wall clock of the click: it adds the device's fixed buffering
// (ctx.baseLatency + outputLatency, printed), which no player can avoid.
//
//   node web-tests/bench.mjs            # REPS=5, AURALIS_BIN=target/release/auralis if built
//
// Chromium's HTTP cache is switched off for the whole run (DevTools protocol), so "cached" means
// the server's cache and "uncached" means neither the server nor the browser has the chunk.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPlayer, playAlbum, setEnhancement } from './lib/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!process.env.AURALIS_BIN) {
  const rel = path.join(ROOT, 'target/release/auralis');
  process.env.AURALIS_BIN = fs.existsSync(rel) ? rel : path.join(ROOT, 'target/debug/auralis');
}
const REPS = Number(process.env.REPS || 5);
const CHUNK_SECONDS = 10; // the server's default
const TRACK_SECONDS = 60;
// the issue's targets; "cached seek: at once" has no number, the toggle's 50 ms is the yardstick
const TARGETS = { toggle: 50, preset: 300, cachedSeek: 50, uncachedSeek: 300 };

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const h = await openPlayer({ chunkSeconds: CHUNK_SECONDS, trackSeconds: TRACK_SECONDS });
const { page } = h;
const results = {};
try {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await setEnhancement(page, { enabled: true, preset: 'adaptive', intensity: 1 });
  await playAlbum(page);
  const id = await page.evaluate(() => window.auralis.state.queue[0].id);

  // In-page helpers for the measurements.
  await page.evaluate(({ id, chunkSeconds }) => {
    const e = T.engine();
    const sr = () => e.ctx.sampleRate;
    const B = {
      chunks: [],
      /** The audio clock and the wall clock now (at a click or a seek call). */
      clock() { return { t0: e.ctx.currentTime, p0: performance.now(), ts: e.ctx.getOutputTimestamp() }; },
      /** ms from a clock() to context frame F: in the graph (F vs currentTime) and at the device
       *  (F's output time from getOutputTimestamp vs the wall clock of the click). */
      lat(c, F) {
        const graph = (F / sr() - c.t0) * 1000;
        const audible = c.ts.performanceTime + (F / sr() - c.ts.contextTime) * 1000 - c.p0;
        return { ms: graph, audibleMs: audible };
      },
      async clearCache() { const r = await fetch('/api/cache', { method: 'DELETE' }); if (r.status !== 204) throw new Error(`DELETE /api/cache: ${r.status}`); },
      /** Plays track `id` from `at` s, everything decoded and every fade rendered. */
      async playFrom(at) {
        if (e.trackId === id && e.playing) await e.seek(at);
        else await e.load(id, { at });
        await T.tap();
        if (e.enh.enabled) await T.processedReady();
        await T.settled();
      },
      ref(variant) { return variant === 'original' ? T.reference(id, 'original') : T.reference(id, 'processed', e.enh.preset); },
      /** Lag between the recording and a reference, guessed from the playhead. */
      lagGuess(frame0) {
        const ph = e.playhead; const now = Math.floor(e.ctx.currentTime * sr());
        return ph.sample - (now - frame0);
      },
      /** Seek from a playing position to `target` s; ms from the call to the new position heard. */
      async seek(target) {
        B.chunks = [];
        T.start();
        await T.recordFor(0.05);
        const c = B.clock(); const w0 = performance.now();
        await e.seek(target);
        const wall = performance.now() - w0;
        const s = e.stats.lastSeek;
        await T.recordUntil(s.frame + 0.1 * sr());
        const { frame0, x, holes } = T.stop();
        const idx = s.frame - frame0;
        // check: from the seek frame on, the output is the reference at the target (after the fade-in)
        const R = await B.ref(e.enh.enabled ? 'processed' : 'original');
        const fade = Math.ceil(0.004 * sr()) + 1;
        const cmp = T.compare(x, R, s.sample - idx, idx + fade, x.length);
        // first audible sample at or after the seek call's frame that belongs to the new position
        let first = idx; while (first < x.length && Math.abs(x[first]) < 1e-6) first++;
        const k = Math.floor(s.sample / e.cur.meta.chunk_samples);
        const hit = B.chunks.find((x) => x.k === k && x.variant === (e.enh.enabled ? 'processed' : 'original'));
        return { ...B.lat(c, frame0 + first), wall, targetTier: hit?.tier ?? null, ok: cmp.bad === 0, bad: cmp.bad, firstBad: cmp.first < 0 ? null : cmp.first - idx, maxErr: cmp.max, holes, sample: s.sample, tiers: B.chunks.map((c) => `${c.k}${c.variant[0]}:${c.tier}:${Math.round(c.fetchMs)}ms`) };
      },
    };
    e.addEventListener('chunk', (ev) => B.chunks.push(ev.detail));
    window.B = B;
  }, { id, chunkSeconds: CHUNK_SECONDS });

  // The whole track, both variants, in the server cache (for the cached measures), and the references.
  await page.evaluate(async () => { await B.ref('original'); await B.ref('processed'); });

  // (a) toggle: click -> the output departs from the variant that was playing
  results.toggle = [];
  for (let r = 0; r < REPS; r++) {
    await page.evaluate(() => B.playFrom(2 + Math.random() * 5));
    const m = await page.evaluate(async () => {
      const e = T.engine(); const sr = e.ctx.sampleRate;
      const before = e.enh.enabled ? 'processed' : 'original';
      const R0 = await B.ref(before);
      T.start();
      await T.recordFor(0.1);
      const c = B.clock();
      document.querySelector('#enh-toggle').click();
      await T.settled();
      await T.recordFor(0.05);
      const { frame0, x } = T.stop();
      const L = T.align(x, R0, B.lagGuess(frame0), 4800);
      if (L === null) return { error: 'could not align' };
      const from = Math.floor(c.t0 * sr) - frame0;
      let i = Math.max(0, from); while (i < x.length && Math.abs(x[i] - R0[i + L]) <= 1e-6) i++;
      return { ...B.lat(c, frame0 + i), to: e.enh.enabled ? 'on' : 'off' };
    });
    results.toggle.push(m);
  }
  await setEnhancement(page, { enabled: true });

  // (b) preset change, engine warm, the new preset's chunk not cached (cache cleared just before)
  results.preset = [];
  const presets = ['gentle', 'warm', 'bright', 'punchy', 'adaptive'];
  for (let r = 0; r < REPS; r++) {
    const next = presets[r % presets.length];
    await page.evaluate(() => B.playFrom(10 + 1 + Math.random() * 3)); // early in chunk 1: room for the splice
    const m = await page.evaluate(async (next) => {
      const e = T.engine(); const sr = e.ctx.sampleRate;
      const A = await B.ref('processed');
      await B.clearCache();
      B.chunks = [];
      T.start();
      await T.recordFor(0.1);
      const sel = document.querySelector('#preset');
      const c = B.clock();
      sel.value = next;
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      const playing = e.slots[0];
      await T.waitFor(() => playing.preset === next, 30000, `${next} chunk`);
      await T.settled();
      await T.recordFor(0.05);
      const { frame0, x } = T.stop();
      const L = T.align(x, A, B.lagGuess(frame0), 4800);
      if (L === null) return { error: 'could not align' };
      const from = Math.floor(c.t0 * sr) - frame0;
      let i = Math.max(0, from); while (i < x.length && Math.abs(x[i] - A[i + L]) <= 1e-6) i++;
      const W = await B.ref('processed'); // now the new preset's reference (fetched afterwards)
      const tail = T.compare(x, W, L, x.length - 960, x.length);
      const ch = B.chunks.find((x) => x.k === playing.k && x.variant === 'processed' && x.preset === next);
      return { ...B.lat(c, frame0 + i), ok: tail.bad === 0, tier: ch?.tier, fetchMs: ch?.fetchMs, decodeMs: ch?.decodeMs, preset: next };
    }, next);
    results.preset.push(m);
  }
  await setEnhancement(page, { preset: 'adaptive' });
  await page.evaluate(async () => { await B.ref('processed'); }); // all of adaptive cached again

  // (c) cached seek, (d) uncached seek: to a chunk the page has not decoded
  for (const [name, clear] of [['cachedSeek', false], ['uncachedSeek', true]]) {
    results[name] = [];
    // a render already under way when the cache is cleared can still land in it: such a rep is
    // not an uncached seek, so it is dropped (and counted) and another one is made
    let dropped = 0;
    for (let r = 0; results[name].length < REPS && r < 3 * REPS; r++) {
      await page.evaluate(() => B.playFrom(1 + Math.random() * 3)); // chunks 0 and 1 decoded
      if (!clear) await page.evaluate(async () => { await B.ref('original'); await B.ref('processed'); });
      const target = (2 + (r % 4)) * CHUNK_SECONDS + 1 + Math.random() * 7; // chunks 2..5
      const m = await page.evaluate(async ({ target, clear }) => {
        if (clear) await B.clearCache();
        return B.seek(target);
      }, { target, clear });
      if (clear && m.targetTier !== 'miss') dropped++;
      else results[name].push(m);
    }
    if (dropped) console.log(`${name}: ${dropped} rep(s) dropped, the target chunk was cached again before the seek`);
  }
  // (d') the same with enhancement off (only the original variant is waited for)
  await setEnhancement(page, { enabled: false });
  results.uncachedSeekOriginalOnly = [];
  for (let r = 0; results.uncachedSeekOriginalOnly.length < REPS && r < 3 * REPS; r++) {
    await page.evaluate(() => B.playFrom(1 + Math.random() * 3));
    const target = (2 + (r % 4)) * CHUNK_SECONDS + 1 + Math.random() * 7;
    const m = await page.evaluate(async (target) => { await B.clearCache(); return B.seek(target); }, target);
    if (m.targetTier === 'miss') results.uncachedSeekOriginalOnly.push(m);
  }
  const info = await page.evaluate(() => ({ outputLatency: T.engine().ctx.outputLatency, baseLatency: T.engine().ctx.baseLatency }));

  console.log(`binary: ${process.env.AURALIS_BIN}; chunks ${CHUNK_SECONDS} s, tracks ${TRACK_SECONDS} s, 48 kHz stereo; ${REPS} repetitions`);
  console.log(`ctx.baseLatency ${(info.baseLatency * 1000).toFixed(1)} ms, ctx.outputLatency ${(info.outputLatency * 1000).toFixed(1)} ms (device, not included below)`);
  const target = { toggle: TARGETS.toggle, preset: TARGETS.preset, cachedSeek: TARGETS.cachedSeek, uncachedSeek: TARGETS.uncachedSeek, uncachedSeekOriginalOnly: TARGETS.uncachedSeek };
  for (const [name, rs] of Object.entries(results)) {
    const bad = rs.filter((r) => r.error || (r.ok === false && !r.holes));
    const lost = rs.filter((r) => r.ok === false && r.holes).length; // the recorder lost blocks (CPU load), not the player
    const notMiss = name.startsWith('uncached') ? rs.filter((r) => r.targetTier !== 'miss').length : 0;
    const ms = rs.filter((r) => !r.error).map((r) => r.ms);
    const au = rs.filter((r) => !r.error).map((r) => r.audibleMs);
    console.log(`${name.padEnd(25)} graph median ${median(ms).toFixed(1).padStart(6)} max ${Math.max(...ms).toFixed(1).padStart(6)} ms | at device median ${median(au).toFixed(1).padStart(6)} max ${Math.max(...au).toFixed(1).padStart(6)} ms | target ${target[name]} ms (graph) ${Math.max(...ms) <= target[name] ? 'met' : 'MISSED'}${bad.length ? `  (${bad.length} checks FAILED)` : ''}${notMiss ? `  (${notMiss} target chunks came from the cache)` : ''}${lost ? `  (${lost} recordings lost blocks: not checked)` : ''}`);
    if (process.env.VERBOSE) for (const r of rs) console.log('   ', JSON.stringify(r));
  }
} finally {
  await h.close();
}
