// Audio tests of the player against the real server: what the engine outputs is recorded with an
// AudioWorklet tap and compared sample by sample with the server's own decoded chunks.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPlayer, playAlbum, setEnhancement, until } from './lib/harness.mjs';
import { measureOriginal, measureToggle, assertToggle } from './lib/measure.mjs';
import { toneSource, TRACK_SECONDS, CHUNK_SECONDS } from './lib/fixtures.mjs';

// The README's screenshot is refreshed only on request (AURALIS_SCREENSHOT=1), so a test run
// leaves the work tree clean; otherwise the shot goes to a temporary file and is still checked.
const SCREENSHOT = process.env.AURALIS_SCREENSHOT
  ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/screenshot.png')
  : path.join(os.tmpdir(), `auralis-screenshot-${process.pid}.png`);
let h;
let page;
let ids; // track ids of the album, in order

describe('player audio (real server, headless chromium)', { timeout: 240_000 }, () => {
  before(async () => {
    h = await openPlayer();
    page = h.page;
    await setEnhancement(page, { enabled: false, preset: 'adaptive', intensity: 1 });
    await playAlbum(page);
    ids = await page.evaluate(() => window.auralis.state.queue.map((t) => t.id));
  });
  after(async () => { await h?.close(); });

  it('the server\'s original chunks are bit-exact with the source signal', async () => {
    const r = await page.evaluate(async ({ id, src }) => {
      const tone = eval(src);
      const ref = await T.reference(id, 'original');
      let bad = 0; let max = 0;
      for (let i = 0; i < ref.length; i++) {
        const q = Math.max(-32768, Math.min(32767, Math.round(tone(i / 48000) * 32767)));
        const want = q > 0 ? q / 32767 : q / 32768; // Chromium scales int16 asymmetrically
        const e = Math.abs(ref[i] - want);
        if (e > 1e-7) bad++;
        if (e > max) max = e;
      }
      return { n: ref.length, bad, max };
    }, { id: ids[0], src: toneSource });
    assert.equal(r.n, TRACK_SECONDS * 48000);
    assert.equal(r.bad, 0, `max error ${r.max}`);
  });

  it('plays and advances in real time at the stream sample rate', async () => {
    const r = await page.evaluate(async () => {
      const e = T.engine();
      const sr = e.ctx.sampleRate;
      const h0 = e.playhead; const t0 = performance.now();
      // 0.7 s of media played (the engine's own playhead), timed against the wall clock
      await T.waitFor(() => e.playhead && e.playhead.sample >= h0.sample + 0.7 * sr, 5000, 'the playhead to advance 0.7 s');
      const h1 = e.playhead;
      return { adv: (h1.sample - h0.sample) / sr, wall: (performance.now() - t0) / 1000, sr, state: e.ctx.state, title: document.querySelector('#np-title').textContent };
    });
    assert.equal(r.sr, 48000);
    assert.equal(r.state, 'running');
    assert.ok(Math.abs(r.adv - r.wall) < 0.2, `advanced ${r.adv}s in ${r.wall}s`);
    assert.equal(r.title, 'First Movement');
    assert.equal(await page.isHidden('#buffering'), true, 'buffering shown while playing');
    assert.equal(await page.getAttribute('#play', 'aria-label'), 'Pause');
  });

  for (let j = CHUNK_SECONDS; j < TRACK_SECONDS; j += CHUNK_SECONDS) {
    const fresh = j % (2 * CHUNK_SECONDS) === 0;
    it(`chunk join at ${j}s is sample-exact (original variant, ${fresh ? 'look-ahead' : 'after a seek'})`, async () => {
      const r = await measureOriginal(page, j - 0.5, 1.0, [ids[0]], fresh);
      assert.notEqual(r.L, null, `could not align the recording (guess ${r.guess})`);
      assert.equal(r.holes, 0, 'the recorder lost blocks');
      assert.ok(r.startSample < j * 48000 && r.endSample > j * 48000 + 4800, `recording ${r.startSample}..${r.endSample} misses the join`);
      assert.ok(r.audible > r.n * 0.9, `only ${r.audible}/${r.n} samples audible (gap?)`);
      assert.equal(r.cmp.bad, 0, `${r.cmp.bad} samples differ, first at ${r.cmp.first}, max ${r.cmp.max}`);
    });
  }

  it('the join from track 1 to track 2 is gapless and sample-exact', async () => {
    const r = await measureOriginal(page, TRACK_SECONDS - 0.6, 1.2, [ids[0], ids[1]]);
    assert.notEqual(r.L, null, 'could not align the recording');
    assert.equal(r.holes, 0, 'the recorder lost blocks');
    assert.ok(r.startSample < TRACK_SECONDS * 48000 && r.endSample > TRACK_SECONDS * 48000 + 4800, `recording ${r.startSample}..${r.endSample} misses the join`);
    assert.equal(r.cmp.bad, 0, `${r.cmp.bad} samples differ, first at ${r.cmp.first}, max ${r.cmp.max}`);
    await page.waitForFunction((id) => window.auralis.engine.trackId === id, ids[1]);
    assert.equal(await page.textContent('#np-title'), 'Second Movement');
  });

  it('the enhancement toggle switches variant within 50 ms, with a short ramp and no gap', async () => {
    assertToggle(await measureToggle(page));
  });

  it('intensity 0.5 plays 0.5*original + 0.5*processed', async () => {
    await setEnhancement(page, { enabled: true, intensity: 0.5 });
    const r = await page.evaluate(async () => {
      const e = T.engine();
      const id = e.trackId;
      const [O, P] = await Promise.all([T.reference(id, 'original'), T.reference(id, 'processed', e.enh.preset)]);
      const M = new Float32Array(O.length);
      for (let i = 0; i < O.length; i++) M[i] = 0.5 * O[i] + 0.5 * P[i];
      await T.processedReady();
      await T.settled(); // the intensity ramp is done
      T.start(); await T.recordFor(0.4);
      const { frame0, x } = T.stop();
      const s = e.stats.lastSeek;
      const L = T.align(x, M, s.sample + (frame0 - s.frame), 48000);
      return { L, cmp: L === null ? null : T.compare(x, M, L, 0, x.length, 1e-6) };
    });
    await setEnhancement(page, { intensity: 1 });
    assert.notEqual(r.L, null, 'the output is not the 50/50 mix anywhere');
    assert.equal(r.cmp.bad, 0, `${r.cmp.bad} samples off the mix, max ${r.cmp.max}`);
  });

  it('a new preset is spliced in when its chunk arrives, without a gap', async () => {
    const r = await page.evaluate(async () => {
      const e = T.engine();
      const id = e.trackId;
      const [A, W] = await Promise.all([T.reference(id, 'processed', e.enh.preset), T.reference(id, 'processed', 'warm')]);
      await e.seek(12);
      await T.processedReady(); // the adaptive chunks, not the original standing in for them
      await T.settled();
      T.start();
      await T.recordFor(0.1);
      const sel = document.querySelector('#preset');
      sel.value = 'warm';
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      const t0 = performance.now();
      await T.waitFor(() => e.slots.length && e.slots[0].preset === 'warm', 30000, 'warm chunk');
      const arrived = (performance.now() - t0) / 1000;
      await T.settled(); // the splice's crossfade has been rendered
      await T.recordFor(0.2);
      const { frame0, x } = T.stop();
      const s = e.stats.lastSeek;
      const L = T.align(x, A, s.sample + (frame0 - s.frame), 4800);
      if (L === null) return { L };
      let hull = 0;
      for (let i = 0; i < x.length; i++) {
        const lo = Math.min(A[i + L], W[i + L]) - 1e-6; const hi = Math.max(A[i + L], W[i + L]) + 1e-6;
        if (x[i] < lo || x[i] > hi) hull++;
      }
      const tail = T.compare(x, W, L, x.length - 4800, x.length);
      const differ = T.compare(A, W, 0, 12 * 48000, 13 * 48000, 1e-4).bad;
      return { L, hull, tail, arrived, differ };
    });
    assert.notEqual(r.L, null, 'could not align the recording');
    assert.ok(r.differ > 0, 'the warm and adaptive presets gave identical chunks: nothing to test');
    assert.equal(r.hull, 0, 'samples outside the adaptive/warm envelope (gap or click at the splice)');
    assert.equal(r.tail.bad, 0, 'the warm preset is not what plays after its chunk arrived');
  });

  it('a seek lands on the exact sample', async () => {
    await setEnhancement(page, { enabled: false, preset: 'adaptive' });
    const target = 17.3456;
    const r = await page.evaluate(async (target) => {
      const e = T.engine();
      const O = await T.reference(e.trackId, 'original');
      T.start();
      await T.recordFor(0.1);
      const t0 = performance.now();
      await e.seek(target);
      const latency = performance.now() - t0;
      await T.recordUntil(e.stats.lastSeek.frame + 0.3 * e.ctx.sampleRate);
      const { frame0, x } = T.stop();
      const s = e.stats.lastSeek;
      const idx = s.frame - frame0;
      const fade = Math.ceil(0.004 * 48000) + 1;
      return {
        sample: s.sample, latency,
        after: T.compare(x, O, s.sample - idx, idx + fade, x.length),
        lag: T.align(x, O, s.sample - idx, 100, idx + fade),
        expectedLag: s.sample - idx,
      };
    }, target);
    assert.equal(r.sample, Math.round(target * 48000));
    assert.equal(r.lag, r.expectedLag);
    assert.equal(r.after.bad, 0, `${r.after.bad} samples differ after the seek`);
    assert.ok(r.latency < 1000, `seek took ${r.latency} ms`);
  });

  it('keeps at most the current and the next chunk decoded', async () => {
    const r = await page.evaluate(() => window.auralis.engine.stats.maxDecoded);
    assert.ok(r >= 1 && r <= 2, `max decoded chunks ${r}`);
  });

  it('the cache indicator reaches 100% for the playing track', async () => {
    await page.waitForSelector('#cache.full', { timeout: 90_000 });
    assert.match(await page.textContent('#cache'), /Cached/);
    const pct = await page.getAttribute('#cache', 'data-percent');
    assert.equal(pct, '100');
    // the waveform seek bar shows every chunk of the track as cached
    assert.equal(await page.getAttribute('#seek', 'data-cached-chunks'), String(TRACK_SECONDS / CHUNK_SECONDS));
  });

  it('an uncached seek shows buffering, then lands on the exact sample', async () => {
    await setEnhancement(page, { enabled: false });
    // Chunks the page fetched before are in Chromium's HTTP cache (Cache-Control: max-age), which
    // DELETE /api/cache does not reach: switch it off so the chunk really comes from the renderer.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const id = ids[1];
    const target = 21.2345; // chunk 4: neither decoded in the page (0 and 1 are) nor cached (cleared)
    const r = await page.evaluate(async ({ id, target }) => {
      const e = T.engine();
      const O = await T.reference(id, 'original'); // fetched before the cache is cleared
      if (e.trackId === id && e.playing) await e.seek(1);
      else await e.load(id, { at: 1 });
      await T.tap();
      await T.settled();
      const k = Math.floor(target * 48000 / e.cur.meta.chunk_samples);
      const inPage = e.slots.some((s) => s.k === k);
      const el = document.querySelector('#buffering');
      const seen = { indicator: false, engine: false };
      const mo = new MutationObserver(() => { if (!el.hidden) seen.indicator = true; });
      mo.observe(el, { attributes: true, attributeFilter: ['hidden'] });
      const onState = (ev) => { if (ev.detail.buffering) seen.engine = true; };
      e.addEventListener('statechange', onState);
      const chunks = [];
      const onChunk = (ev) => chunks.push(ev.detail);
      e.addEventListener('chunk', onChunk);
      T.start();
      await T.recordFor(0.1);
      const del = await fetch('/api/cache', { method: 'DELETE' });
      const t0 = performance.now();
      await e.seek(target);
      const latency = performance.now() - t0;
      const s = e.stats.lastSeek;
      await T.recordUntil(s.frame + 0.3 * e.ctx.sampleRate);
      await T.waitFor(() => el.hidden, 5000, 'the buffering indicator to hide');
      const { frame0, x, holes } = T.stop();
      mo.disconnect();
      e.removeEventListener('statechange', onState);
      e.removeEventListener('chunk', onChunk);
      const idx = s.frame - frame0;
      const fade = Math.ceil(0.004 * 48000) + 1;
      let silentBefore = 0; // between the old position and the new one: silence, never garbage
      for (let i = Math.max(0, idx - 4800); i < idx; i++) if (Math.abs(x[i]) < 1e-6) silentBefore++;
      return {
        del: del.status, inPage, k, seen, latency, holes, sample: s.sample, chunks,
        tier: chunks.find((c) => c.k === k && c.variant === 'original')?.tier ?? null,
        after: T.compare(x, O, s.sample - idx, idx + fade, x.length),
        lag: T.align(x, O, s.sample - idx, 100, idx + fade),
        expectedLag: s.sample - idx,
        tail: x.length - idx,
        hiddenAtEnd: el.hidden, buffering: e.buffering,
      };
    }, { id, target }).finally(() => cdp.send('Network.setCacheDisabled', { cacheDisabled: false }).then(() => cdp.detach()));
    assert.equal(r.del, 204);
    assert.equal(r.inPage, false, `chunk ${r.k} was already decoded in the page`);
    assert.equal(r.tier, 'miss', `chunk ${r.k} came from the server cache (${r.tier}): ${JSON.stringify(r.chunks)}`);
    assert.ok(r.seen.engine, 'the engine never reported buffering');
    assert.ok(r.seen.indicator, 'the buffering indicator never showed');
    assert.equal(r.sample, Math.round(target * 48000));
    assert.ok(r.tail >= 0.3 * 48000, 'recording ends before the new position was heard');
    assert.equal(r.lag, r.expectedLag, 'the output after the seek is not at the seek target');
    assert.equal(r.after.bad, 0, `${r.after.bad} samples differ after the seek (first at ${r.after.first})`);
    assert.equal(r.hiddenAtEnd, true);
    assert.equal(r.buffering, false);
  });

  it('sets Media Session metadata and takes a screenshot', async () => {
    const title = await page.evaluate(() => navigator.mediaSession.metadata?.title);
    assert.equal(title, 'Second Movement');
    await setEnhancement(page, { enabled: true, preset: 'warm', intensity: 0.8 });
    await page.evaluate(() => window.auralis.engine.seek(12.3));
    await page.goto(page.url().replace(/#.*$/, '') + '#/album/' + (await page.evaluate(() => window.auralis.state.queue[0].album_id)));
    await page.waitForSelector('table.tracks');
    await page.getByRole('button', { name: 'Lyrics', exact: true }).click(); // the lyrics panel beside the view
    await page.waitForSelector('#lyrics .lyrics-plain');
    // what the screenshot shows is in place: the seek heard and drawn, no spinner, images and fonts loaded
    await until(page, async () => {
      await document.fonts.ready;
      const e = window.auralis.engine;
      return e.playhead && e.playhead.sample >= 12.3 * 48000 && e.position >= 12.3
        && document.querySelector('#buffering').hidden
        && Number(document.querySelector('#seek').getAttribute('aria-valuenow')) >= 12 // the waveform seek bar
        && [...document.images].every((i) => i.hidden || i.complete);
    }, null, { polling: 20, timeout: 10_000, what: 'the page to be ready for the screenshot' });
    const png = await page.screenshot({ path: SCREENSHOT });
    assert.ok(png.length > 10_000, 'the screenshot holds a rendered page');
    assert.deepEqual(h.errors.filter((e) => !/favicon/.test(e)), []);
  });

  it('the seek bar shows the cached part growing chunk by chunk once the cache is cleared', async () => {
    await playAlbum(page, 'First Movement');
    const r = await page.evaluate(async () => {
      const bar = document.querySelector('#seek');
      const total = T.engine().cur.meta.total_chunks;
      // Every value the bar shows, in order: each mutation's old value, then the last one.
      const shown = [];
      const mo = new MutationObserver((records) => { for (const m of records) shown.push(Number(m.oldValue)); });
      mo.observe(bar, { attributes: true, attributeFilter: ['data-cached-chunks'], attributeOldValue: true });
      const del = await fetch('/api/cache', { method: 'DELETE' });
      await T.waitFor(() => shown.includes(0) && Number(bar.dataset.cachedChunks) === total, 90_000,
        'the bar to show the cache cleared, then the whole track cached again');
      mo.disconnect();
      shown.push(Number(bar.dataset.cachedChunks));
      return { del: del.status, total, shown };
    });
    assert.equal(r.del, 204);
    const after = r.shown.slice(r.shown.lastIndexOf(0));
    assert.ok(after.some((n) => n > 0 && n < r.total), `the bar jumped from empty to full: ${r.shown}`);
    assert.ok(after.every((n, i) => i === 0 || n >= after[i - 1]), `the cached part shrank while it was rebuilt: ${r.shown}`);
    assert.equal(after.at(-1), r.total);
  });
});
