// The level-matched A/B (issue 10): with the option on (the default), flipping the enhancement
// toggle changes tone and dynamics, not loudness. Measured in what the page outputs (the
// AudioWorklet tap), K-weighted as BS.1770 weights loudness, before and after each click.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayer, playAlbum, setEnhancement } from './lib/harness.mjs';
import { measureOriginal } from './lib/measure.mjs';

/** In the page: records `before` s, clicks the toggle, records `afterS` s; returns the
 *  K-weighted loudness (dB, ungated) of the two sides, skipping the ramp, and the peak after. */
function toggleLoudness(page, { beforeS = 1.5, afterS = 1.5 } = {}) {
  return page.evaluate(async ({ beforeS, afterS }) => {
    const e = T.engine();
    await T.tap();
    await T.settled();
    const sr = e.ctx.sampleRate;
    // BS.1770 K-weighting: a high shelf (+4 dB above ~1.7 kHz) and a ~38 Hz high pass, as
    // biquads designed for this sample rate (the analog prototypes of the recommendation).
    const shelf = (() => {
      const G = 3.99984385397; const Q = 0.7071752369554193; const fc = 1681.9744509555319;
      const A = 10 ** (G / 40); const w = 2 * Math.PI * fc / sr; const al = Math.sin(w) / (2 * Q); const c = Math.cos(w);
      const a0 = (A + 1) - (A - 1) * c + 2 * Math.sqrt(A) * al;
      return {
        b: [A * ((A + 1) + (A - 1) * c + 2 * Math.sqrt(A) * al) / a0, -2 * A * ((A - 1) + (A + 1) * c) / a0, A * ((A + 1) + (A - 1) * c - 2 * Math.sqrt(A) * al) / a0],
        a: [2 * ((A - 1) - (A + 1) * c) / a0, ((A + 1) - (A - 1) * c - 2 * Math.sqrt(A) * al) / a0],
      };
    })();
    const highpass = (() => {
      const Q = 0.5003270373253953; const fc = 38.13547087613982;
      const w = 2 * Math.PI * fc / sr; const al = Math.sin(w) / (2 * Q); const c = Math.cos(w); const a0 = 1 + al;
      return { b: [(1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0], a: [-2 * c / a0, (1 - al) / a0] };
    })();
    const filter = (x, { b, a }) => {
      const y = new Float64Array(x.length);
      let x1 = 0; let x2 = 0; let y1 = 0; let y2 = 0;
      for (let i = 0; i < x.length; i++) {
        const v = b[0] * x[i] + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2;
        x2 = x1; x1 = x[i]; y2 = y1; y1 = v; y[i] = v;
      }
      return y;
    };
    const weighted = (x) => filter(filter(x, shelf), highpass);
    const loudness = (y, from, to) => {
      let s = 0;
      for (let i = from; i < to; i++) s += y[i] * y[i];
      return 10 * Math.log10(s / (to - from));
    };
    T.start();
    await T.recordFor(beforeS);
    const click = Math.round(e.ctx.currentTime * sr);
    document.querySelector('#enh-toggle').click();
    await T.recordFor(afterS);
    const { frame0, x, holes } = T.stop();
    const y = weighted(x);
    const at = click - frame0;
    const settle = Math.round(0.25 * sr); // filter start-up, the click's latency and ramp
    let peak = 0;
    for (let i = at + settle; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]));
    return {
      holes,
      before: loudness(y, settle, at),
      after: loudness(y, at + settle, x.length),
      peak,
      enabled: e.enh.enabled,
    };
  }, { beforeS, afterS });
}

describe('level-matched A/B (real server, headless chromium)', () => {
  let h;
  let page;
  before(async () => {
    h = await openPlayer({ levelMatch: null }); // the product's default
    page = h.page;
  });
  after(async () => h?.close());

  it('is on by default, and the toggle keeps the loudness heard (< 0.5 LU), both ways', async (t) => {
    assert.equal(await page.isChecked('#level-match'), true, 'level-matched by default');
    await playAlbum(page);
    await setEnhancement(page, { enabled: true, preset: 'adaptive', intensity: 1 });
    const id = await page.evaluate(() => window.auralis.engine.trackId);
    const meta = await page.evaluate(async (id) => (await fetch(`/api/stream/${id}/metadata?preset=adaptive`)).json(), id);
    // the fixture is quiet (about -25 dBFS RMS): its original is far below the processed one
    assert.equal(typeof meta.level_match_db, 'number');
    assert.ok(meta.level_match_db > 3, `level_match_db ${meta.level_match_db}`);
    await page.evaluate(() => T.processedReady());
    const off = await toggleLoudness(page);
    assert.equal(off.enabled, false);
    assert.equal(off.holes, 0);
    const on = await toggleLoudness(page);
    assert.equal(on.enabled, true);
    for (const [what, r] of [['on → off', off], ['off → on', on]]) {
      t.diagnostic(`${what}: ${r.before.toFixed(2)} dB before, ${r.after.toFixed(2)} dB after (level_match_db ${meta.level_match_db.toFixed(2)})`);
      assert.ok(Math.abs(r.after - r.before) < 0.5, `${what}: ${r.before.toFixed(2)} dB before, ${r.after.toFixed(2)} dB after`);
    }
  });

  it('without it the same toggle drops by the level match, and the original is heard exactly', async (t) => {
    await setEnhancement(page, { enabled: true, levelMatch: false });
    await page.evaluate(() => T.processedReady());
    const id = await page.evaluate(() => window.auralis.engine.trackId);
    const meta = await page.evaluate(async (id) => (await fetch(`/api/stream/${id}/metadata?preset=adaptive`)).json(), id);
    const off = await toggleLoudness(page);
    const drop = off.before - off.after;
    t.diagnostic(`plain original: ${drop.toFixed(2)} dB quieter (level_match_db ${meta.level_match_db.toFixed(2)})`);
    // the measure that passed above can fail: here it sees the whole difference
    assert.ok(drop > 3, `plain original only ${drop.toFixed(2)} dB quieter`);
    assert.ok(Math.abs(drop - meta.level_match_db) < 0.5, `dropped ${drop.toFixed(2)} dB, level_match_db ${meta.level_match_db}`);
    // the plain path is the file itself, sample for sample
    const exact = await measureOriginal(page, 6, 1, [id]);
    assert.notEqual(exact.L, null, 'could not align the recording with the original');
    assert.equal(exact.cmp.bad, 0, `${exact.cmp.bad} samples differ from the original`);
    await setEnhancement(page, { levelMatch: true });
  });

  it('below the ceiling the level-matched path is the original bit for bit, and a raised original never passes -1.5 dBTP', async (t) => {
    await setEnhancement(page, { enabled: false, levelMatch: true });
    // at 0 dB nothing comes near the ceiling (the fixture peaks near -16.5 dBFS): the
    // level-matched path is the original itself, sample for sample (only delayed)
    await page.evaluate(async () => {
      const e = T.engine();
      e.applyLevelMatch(e.cur, 0);
      await T.settled();
    });
    const id = await page.evaluate(() => window.auralis.engine.trackId);
    const exact = await measureOriginal(page, 6, 1, [id]);
    assert.notEqual(exact.L, null, 'could not align the recording with the original');
    assert.equal(exact.cmp.bad, 0, `${exact.cmp.bad} samples differ from the original`);
    // ask for far more gain than any track needs (+20 dB): every peak meets the limiter
    const r = await page.evaluate(async () => {
      const e = T.engine();
      e.applyLevelMatch(e.cur, 20);
      await T.settled();
      T.start();
      await T.recordFor(1.5);
      const { x } = T.stop();
      // true peak: 8x, Hann-windowed sinc with 32 taps each side (finer than the limiter's own)
      const L = 8;
      const H = 32;
      const taps = [];
      for (let p = 1; p < L; p++) {
        const row = [];
        for (let k = -H + 1; k <= H; k++) {
          const u = k - p / L;
          row.push((Math.sin(Math.PI * u) / (Math.PI * u)) * (0.5 + 0.5 * Math.cos((Math.PI * u) / (H + 1))));
        }
        taps.push(row);
      }
      let samplePeak = 0;
      let truePeak = 0;
      for (let i = H; i < x.length - H; i++) {
        samplePeak = Math.max(samplePeak, Math.abs(x[i]));
        for (const row of taps) {
          let v = 0;
          for (let k = 0; k < row.length; k++) v += row[k] * x[i - H + 1 + k];
          truePeak = Math.max(truePeak, Math.abs(v));
        }
      }
      e.applyLevelMatch(e.cur, 0);
      return { samplePeak, truePeak: Math.max(truePeak, samplePeak), limited: e.out.limited };
    });
    const db = (v) => 20 * Math.log10(v);
    t.diagnostic(`+20 dB: sample peak ${db(r.samplePeak).toFixed(2)} dBFS, true peak ${db(r.truePeak).toFixed(2)} dBTP`);
    assert.equal(r.limited, true, 'the output stage runs the look-ahead limiter (AudioWorklet)');
    assert.ok(r.truePeak <= 10 ** (-1.5 / 20), `true peak ${db(r.truePeak).toFixed(2)} dBTP`);
    assert.ok(r.samplePeak > 10 ** (-4 / 20), `the +20 dB path was not raised: peak ${db(r.samplePeak).toFixed(2)} dBFS`);
  });

  it('loudness per album is a player control kept on the server, and album chunks are fetched', async () => {
    await setEnhancement(page, { enabled: true });
    const asked = page.waitForRequest((r) => /\/chunk\/.*loudness=album/.test(r.url()), { timeout: 15_000 });
    await setEnhancement(page, { loudness: 'album' });
    const req = await asked;
    assert.match(req.url(), /variant=processed/);
    const res = await req.response();
    assert.equal(res.status(), 200);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#loudness').value === 'album');
    const s = await page.evaluate(async () => (await fetch('/api/enhancement')).json());
    assert.equal(s.loudness, 'album');
    await setEnhancement(page, { loudness: 'track' });
    assert.deepEqual(h.errors.filter((x) => !/favicon/.test(x)), []);
  });
});
