// Measurements of what a player page outputs, shared by the browser suites: the recording is
// taken with the page's AudioWorklet tap (page-audio.js) and compared sample by sample with the
// server's own decoded chunks.
import assert from 'node:assert/strict';

/** Seeks to `from`, records `dur` seconds of output, compares with the original reference.
 *  fresh: reload the track at `from` (empty chunk window, the next chunk comes through the
 *  normal look-ahead) instead of seeking (which reuses a chunk already decoded).
 *  A recording with holes measures nothing (the tap lost blocks; a gap in the player's own
 *  output is no hole, it is recorded as silence): it is taken again, at most twice. The callers
 *  still assert that the recording they judge has no hole. */
export async function measureOriginal(page, from, dur, trackIds, fresh = false) {
  let r;
  for (let attempt = 0; attempt < 3; attempt++) {
    r = await measureOnce(page, from, dur, trackIds, fresh);
    if (!r.holes) break;
  }
  return r;
}

function measureOnce(page, from, dur, trackIds, fresh) {
  return page.evaluate(async ({ from, dur, trackIds, fresh }) => {
    const e = T.engine();
    await T.tap();
    if (fresh) await e.load(trackIds[0], { at: from });
    else await e.seek(from);
    await T.settled(); // past the seek's fade-in
    T.start();
    await T.recordFor(dur);
    const { frame0, x, holes } = T.stop();
    const ref = T.concat(...(await Promise.all(trackIds.map((id) => T.reference(id, 'original')))));
    const s = e.stats.lastSeek;
    const guess = s.sample + (frame0 - s.frame);
    const L = T.align(x, ref, guess, 4800);
    if (L === null) return { L, guess, holes };
    let audible = 0;
    for (const v of x) if (Math.abs(v) > 1e-3) audible++;
    return { L, guess, holes, startSample: L, endSample: L + x.length, audible, n: x.length, cmp: T.compare(x, ref, L, 0, x.length) };
  }, { from, dur, trackIds, fresh });
}

/** Toggles the enhancement twice on `page` while recording; returns where each switch was heard,
 *  how long the ramps took, and how many samples left the original/processed envelope. */
export function measureToggle(page, at = 7) {
  return page.evaluate(async (at) => {
    const e = T.engine();
    const id = e.trackId;
    await T.tap();
    const preset = e.enh.preset;
    const [O, P] = await Promise.all([T.reference(id, 'original'), T.reference(id, 'processed', preset)]);
    await e.seek(at);
    await T.processedReady(preset);
    await T.settled();
    T.start();
    await T.recordFor(0.3);
    const clicks = [];
    for (let c = 0; c < 2; c++) {
      clicks.push(e.ctx.currentTime * e.ctx.sampleRate);
      document.querySelector('#enh-toggle').click();
      await T.recordFor(0.4);
    }
    const { frame0, x } = T.stop();
    const s = e.stats.lastSeek;
    const L = T.align(x, O, s.sample + (frame0 - s.frame), 4800);
    // walk the recording: O ... ramp ... P ... ramp ... O
    const tol = 1e-6;
    const eq = (i, R) => Math.abs(x[i] - R[i + L]) <= tol;
    const runOf = (i, R, n = 240) => { for (let k = i; k < i + n; k++) if (!eq(k, R)) return false; return true; };
    const phases = [];
    let i = 0;
    let hull = 0;
    for (const [from, to] of [[O, P], [P, O]]) {
      const a = i; while (i < x.length && eq(i, from)) i++;
      const s1 = i; while (i < x.length && !runOf(i, to)) {
        const lo = Math.min(from[i + L], to[i + L]) - tol; const hi = Math.max(from[i + L], to[i + L]) + tol;
        if (x[i] < lo || x[i] > hi) hull++;
        i++;
      }
      phases.push({ start: a, switchAt: s1, settled: i });
    }
    const rest = T.compare(x, O, L, i, x.length);
    const sr = e.ctx.sampleRate;
    return {
      L, hull, rest, n: x.length,
      latency: phases.map((p, k) => (frame0 + p.switchAt - clicks[k]) / sr),
      ramp: phases.map((p) => (p.settled - p.switchAt) / sr),
      dwell: (phases[1].switchAt - phases[0].settled) / sr,
    };
  }, at);
}

/** The toggle is heard within 50 ms of the click, ramps in under 20 ms, and never leaves the
 *  envelope of the two variants (no gap, no click). */
export function assertToggle(r) {
  assert.notEqual(r.L, null, 'could not align the recording');
  for (const l of r.latency) assert.ok(l >= -0.001 && l < 0.05, `switch heard ${(l * 1000).toFixed(1)} ms after the click`);
  for (const d of r.ramp) assert.ok(d < 0.02, `ramp took ${(d * 1000).toFixed(1)} ms`);
  assert.ok(r.dwell > 0.3, `processed variant heard for only ${r.dwell}s`);
  assert.equal(r.hull, 0, 'samples outside the original/processed envelope during the ramp (gap or click)');
  assert.equal(r.rest.bad, 0, 'after toggling back the output is not the original');
}
