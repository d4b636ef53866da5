// Two tabs of one browser, each its own listener, playing two different tracks at the same time
// against the real server: both stay sample-exact across chunk joins and both toggle instantly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayer, playAlbum, setEnhancement, until } from './lib/harness.mjs';
import { measureOriginal, measureToggle, assertToggle } from './lib/measure.mjs';
import { CHUNK_SECONDS } from './lib/fixtures.mjs';

let h;
let a; // the first tab: First Movement
let b; // the second tab: Second Movement

const trackOf = (page) => page.evaluate(() => window.auralis.engine.trackId);

describe('two listeners at once (real server, headless chromium)', { timeout: 240_000 }, () => {
  before(async () => {
    h = await openPlayer();
    a = h.page;
    await setEnhancement(a, { enabled: false, preset: 'adaptive', intensity: 1 });
    await playAlbum(a);
    b = await h.newPage();
    await playAlbum(b, 'Second Movement');
  });
  after(async () => { await h?.close(); });

  it('each tab is its own listener on its own track', async () => {
    const [la, lb] = await Promise.all([a, b].map((p) => p.evaluate(() => window.auralis.listenerId)));
    assert.match(la, /^[0-9a-f]{32}$/);
    assert.notEqual(la, lb);
    const [ta, tb] = await Promise.all([trackOf(a), trackOf(b)]);
    assert.notEqual(ta, tb);
    // Both have reported: the server holds two listeners, each pinning its own track.
    await until(a, async ({ ta, tb }) => {
      const s = await (await fetch('/api/cache/stats')).json();
      const [x, y] = await Promise.all([ta, tb].map(async (t) => (await fetch(`/api/cache/track/${t}`)).json()));
      return s.listeners === 2 && x.pinned && y.pinned && x.listeners === 1 && y.listeners === 1;
    }, { ta, tb }, { polling: 100, timeout: 10_000, what: 'the server to hold both listeners' });
  });

  it('both play at once with sample-exact chunk joins', async () => {
    const [ta, tb] = await Promise.all([trackOf(a), trackOf(b)]);
    // Recordings that straddle a join, taken on both tabs at the same time.
    const [ra, rb] = await Promise.all([
      measureOriginal(a, 2 * CHUNK_SECONDS - 0.5, 1.0, [ta]),
      measureOriginal(b, 3 * CHUNK_SECONDS - 0.5, 1.0, [tb]),
    ]);
    for (const [name, r, j] of [['first tab', ra, 2 * CHUNK_SECONDS], ['second tab', rb, 3 * CHUNK_SECONDS]]) {
      assert.notEqual(r.L, null, `${name}: could not align the recording`);
      assert.equal(r.holes, 0, `${name}: the recorder lost blocks`);
      assert.ok(r.startSample < j * 48000 && r.endSample > j * 48000 + 4800, `${name}: recording misses the join`);
      assert.ok(r.audible > r.n * 0.9, `${name}: only ${r.audible}/${r.n} samples audible (gap?)`);
      assert.equal(r.cmp.bad, 0, `${name}: ${r.cmp.bad} samples differ, first at ${r.cmp.first}`);
    }
  });

  it('each tab toggles instantly while the other keeps playing', async () => {
    assertToggle(await measureToggle(a, 7));
    // The setting belongs to the user, so the second tab followed; let both settle back to off.
    await setEnhancement(b, { enabled: false });
    assertToggle(await measureToggle(b, 12));
    const playing = await Promise.all([a, b].map((p) => p.evaluate(() => window.auralis.engine.playing)));
    assert.deepEqual(playing, [true, true]);
    assert.deepEqual(h.errors.filter((e) => !/favicon/.test(e)), []);
  });
});
