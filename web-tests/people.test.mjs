// The user's own music through the page, heard: a playlist made in the UI plays in its order
// and gaplessly (a track twice in a row included), the lyrics follow the audio clock and seek
// to the exact sample of a line, a click on the waveform seeks to the exact sample under it,
// and a second page resumes where the first one stopped. What the engine outputs is recorded
// with the AudioWorklet tap of page-audio.js and compared sample by sample with the server's
// own decoded chunks; waits are on conditions and on the audio clock, never fixed sleeps.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayer, playAlbum, setEnhancement, until } from './lib/harness.mjs';
import { measureOriginal } from './lib/measure.mjs';
import { TRACK_SECONDS, LYRICS } from './lib/fixtures.mjs';

let h;
let page;
let id; // title -> track id

const SR = 48000;
const fmt = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
const serverPlaylist = (p, pid) => p.evaluate(async (i) => (await fetch(`/api/playlists/${i}`)).json(), pid);

/** Chooses `playlist` in the "Add … to a playlist" dialog opened by `button`. */
async function addVia(button, dialogName, playlist) {
  await button.click();
  const d = page.getByRole('dialog', { name: dialogName });
  await d.getByRole('button', { name: new RegExp(`^${playlist}\\b`) }).click();
  await d.waitFor({ state: 'detached' });
}

function assertGapless(r, what) {
  assert.notEqual(r.L, null, `${what}: could not align the recording (guess ${r.guess})`);
  assert.equal(r.holes, 0, `${what}: the recorder lost blocks`);
  assert.ok(r.startSample < TRACK_SECONDS * SR && r.endSample > TRACK_SECONDS * SR + 4800, `${what}: recording ${r.startSample}..${r.endSample} misses the join`);
  assert.ok(r.audible > r.n * 0.9, `${what}: only ${r.audible}/${r.n} samples audible (gap?)`);
  assert.equal(r.cmp.bad, 0, `${what}: ${r.cmp.bad} samples differ, first at ${r.cmp.first}, max ${r.cmp.max}`);
}

/** Records while `act()` makes the page seek (a click), then checks the seek's sample and that
 *  the output from there on is the original at that sample. */
async function seekHeard(act) {
  const before = await page.evaluate(async () => {
    await T.tap();
    T.start();
    await T.recordFor(0.1);
    window.seekBefore = T.engine().stats.lastSeek;
    return true;
  });
  assert.ok(before);
  await act();
  return page.evaluate(async () => {
    const e = T.engine();
    await T.waitFor(() => e.stats.lastSeek !== window.seekBefore, 10000, 'the seek');
    const s = e.stats.lastSeek;
    const O = await T.reference(s.trackId, 'original');
    await T.recordUntil(s.frame + 0.3 * e.ctx.sampleRate);
    const { frame0, x, holes } = T.stop();
    const idx = s.frame - frame0;
    const fade = Math.ceil(0.004 * 48000) + 1;
    return {
      sample: s.sample, trackId: s.trackId, holes,
      after: T.compare(x, O, s.sample - idx, idx + fade, x.length),
      lag: T.align(x, O, s.sample - idx, 100, idx + fade),
      expectedLag: s.sample - idx,
    };
  });
}

describe('your music, heard (real server, headless chromium)', { timeout: 240_000 }, () => {
  before(async () => {
    h = await openPlayer();
    page = h.page;
    await setEnhancement(page, { enabled: false, preset: 'adaptive', intensity: 1 });
    id = await page.evaluate(async () => Object.fromEntries((await (await fetch('/api/tracks')).json()).items.map((t) => [t.title, t.id])));
  });
  after(async () => { await h?.close(); });

  it('a playlist made in the UI (a duplicate included, reordered by keyboard) plays in its order, gaplessly', async () => {
    const nav = page.getByRole('navigation', { name: 'Library' });
    await nav.getByRole('link', { name: 'Playlists' }).click();
    await page.getByLabel('Playlist name').fill('Road trip');
    await page.getByRole('button', { name: 'Create playlist' }).click();
    await page.getByRole('heading', { name: 'Road trip', level: 1 }).waitFor();
    const pid = Number(page.url().match(/#\/playlist\/(\d+)$/)[1]);

    // one track from the Tracks view, then the whole album from its page: Second, First, Second
    await nav.getByRole('link', { name: 'Tracks' }).click();
    await addVia(page.getByRole('button', { name: 'Add Second Movement to playlist' }), 'Add “Second Movement” to a playlist', 'Road trip');
    await nav.getByRole('link', { name: 'Albums' }).click();
    await page.getByRole('button', { name: /^Album Multitone Suite/ }).click();
    await addVia(page.getByRole('button', { name: 'Add album to playlist' }), 'Add the album to a playlist', 'Road trip');
    assert.deepEqual((await serverPlaylist(page, pid)).tracks.map((t) => t.title), ['Second Movement', 'First Movement', 'Second Movement']);

    // open it and move the first row down with the keyboard
    await nav.getByRole('link', { name: 'Playlists' }).click();
    await page.getByRole('link', { name: /^Road trip/ }).click();
    const table = page.getByRole('table', { name: 'Tracks of Road trip' });
    await table.waitFor();
    const grip = table.getByRole('button', { name: 'Reorder Second Movement, position 1 of 3' });
    await grip.focus();
    await page.keyboard.press('Alt+ArrowDown');
    await table.getByRole('button', { name: 'Reorder Second Movement, position 2 of 3' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Reorder Second Movement, position 2 of 3', 'the focus did not follow the moved row');
    assert.deepEqual(await table.locator('tbody td.title').allTextContents(), ['First Movement', 'Second Movement', 'Second Movement']);
    await until(page, async (i) => (await (await fetch(`/api/playlists/${i}`)).json()).tracks.map((t) => t.title).join() === 'First Movement,Second Movement,Second Movement',
      pid, { what: 'the new order on the server' });

    // play it: the queue is the playlist, in its order
    await page.getByRole('button', { name: 'Play playlist' }).click();
    await page.waitForFunction((first) => {
      const e = window.auralis.engine;
      return e.trackId === first && e.playing && !e.buffering && e.position > 0.2;
    }, id['First Movement'], { timeout: 30_000 });
    assert.deepEqual(await page.evaluate(() => window.auralis.state.queue.map((t) => t.title)), ['First Movement', 'Second Movement', 'Second Movement']);

    // across the join First → Second, then across Second → Second (the same track twice)
    assertGapless(await measureOriginal(page, TRACK_SECONDS - 0.6, 1.2, [id['First Movement'], id['Second Movement']]), 'First → Second');
    await page.waitForFunction(() => window.auralis.state.index === 1);
    assertGapless(await measureOriginal(page, TRACK_SECONDS - 0.6, 1.2, [id['Second Movement'], id['Second Movement']]), 'Second → Second');
    await page.waitForFunction((second) => window.auralis.state.index === 2 && window.auralis.engine.trackId === second, id['Second Movement']);
    const sw = await page.evaluate(() => window.auralis.engine.stats.trackSwitches.slice(-2).map((s) => s.trackId));
    assert.deepEqual(sw, [id['Second Movement'], id['Second Movement']], 'the second playthrough of the same track was not announced');
    assert.equal(await page.textContent('#np-title'), 'Second Movement');
  });

  it('a click on the waveform seeks to the exact sample under the pointer', async () => {
    await playAlbum(page);
    const bar = page.getByRole('slider', { name: 'Seek' });
    assert.equal(await bar.getAttribute('aria-valuemax'), String(TRACK_SECONDS));
    assert.match(await bar.getAttribute('aria-valuetext'), /^\d+:\d\d of 0:25$/);
    // the analysis made the waveform: the bar draws it (not the plain stand-in)
    await page.locator('#seek[data-waveform="peaks"]').waitFor();
    const rect = await page.evaluate(() => { const r = document.querySelector('#seek').getBoundingClientRect(); return { left: r.left, top: r.top, width: r.width, height: r.height }; });
    const x = Math.round(rect.left + rect.width * 0.61); // a whole pixel
    const y = Math.round(rect.top + rect.height / 2);
    const total = await page.evaluate(async (i) => (await (await fetch(`/api/stream/${i}/metadata`)).json()).total_samples, id['First Movement']);
    const expected = Math.round(((x - rect.left) / rect.width) * total);
    const r = await seekHeard(() => page.mouse.click(x, y));
    assert.equal(r.trackId, id['First Movement']);
    assert.equal(r.sample, expected, `the click at x=${x - rect.left} of ${rect.width} px sought sample ${r.sample}, not ${expected}`);
    assert.equal(r.holes, 0);
    assert.equal(r.lag, r.expectedLag, 'the output after the seek is not at the seek target');
    assert.equal(r.after.bad, 0, `${r.after.bad} samples differ after the seek (first at ${r.after.first})`);
    const now = Number(await bar.getAttribute('aria-valuenow')); // whole seconds, and playing on
    assert.ok(now >= Math.floor(expected / SR) && now <= expected / SR + 2, `aria-valuenow ${now} after a seek to ${expected / SR} s`);

    // the keyboard: the bar is focused (it took the focus on the click); Home goes to sample 0
    assert.equal(await page.evaluate(() => document.activeElement.id), 'seek');
    const k = await seekHeard(() => page.keyboard.press('Home'));
    assert.equal(k.sample, 0);
    const before = await page.evaluate(() => window.auralis.engine.position);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((p) => window.auralis.engine.stats.lastSeek.sample > (p + 4) * 48000, before);
    const moved = await page.evaluate(() => window.auralis.engine.stats.lastSeek.sample / 48000);
    assert.ok(moved > before + 4.5 && moved < before + 5.5, `ArrowRight moved from ${before} to ${moved} s`);
  });

  it('synced lyrics highlight the line being heard (on the audio clock), and a line seeks to its exact sample', async () => {
    await playAlbum(page);
    const toggle = page.getByRole('button', { name: 'Lyrics', exact: true });
    if (await toggle.getAttribute('aria-expanded') !== 'true') await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const panel = page.getByRole('complementary', { name: 'Lyrics' });
    await panel.getByRole('button', { name: LYRICS[0].text }).waitFor();
    assert.deepEqual(await panel.locator('.line').allTextContents(), LYRICS.map((l) => l.text));

    // one reading per animation frame, for 5 s of audio across three line starts: the playhead
    // (engine.playhead, what the render thread plays) and the highlighted line at that moment
    const samples = await page.evaluate(async () => {
      const e = T.engine();
      await e.seek(3.6);
      await T.settled();
      const sr = e.ctx.sampleRate;
      const out = [];
      const start = e.playhead.sample;
      await new Promise((resolve) => {
        const tick = () => {
          const ph = e.playhead;
          const cur = document.querySelector('#lyrics .line[aria-current="true"]');
          out.push({ t: ph ? ph.sample / sr : null, line: cur ? Number(cur.dataset.start) : null });
          if (ph && ph.sample - start > 5 * sr) resolve(); else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      return out;
    });
    const TOL = 0.05; // s the highlight may trail the audio clock (the page reads it a moment earlier in the frame)
    const lineAt = (t) => LYRICS.filter((l) => l.start_s <= t).at(-1)?.start_s ?? null;
    const wrong = samples.filter(({ t, line }) => t !== null && line !== lineAt(t) && line !== lineAt(t - TOL));
    const seen = new Set(samples.map((s) => s.line));
    assert.ok(samples.length > 100, `only ${samples.length} frames sampled`);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${samples.length} frames highlight another line than the one heard`);
    for (const s of [2.25, 4.25, 6.25, 8.25]) assert.ok(seen.has(s), `the line at ${s} s was never highlighted (saw ${[...seen]})`);

    // a click on a line seeks to its start: that exact sample, heard as the original
    const line = LYRICS[6];
    const r = await seekHeard(() => panel.getByRole('button', { name: line.text }).click());
    assert.equal(r.sample, Math.round(line.start_s * SR));
    assert.equal(r.lag, r.expectedLag, 'the output after the seek is not at the line\'s start');
    assert.equal(r.after.bad, 0, `${r.after.bad} samples differ after the seek (first at ${r.after.first})`);
    await until(page, (s) => document.querySelector('#lyrics .line[aria-current="true"]')?.dataset.start === String(s), line.start_s, { what: 'the clicked line highlighted' });
  });

  it('a second page offers to resume the queue where the first one stopped, and does', async () => {
    // every save of the queue this page sends, on the page's clock
    await page.evaluate(() => {
      const { api } = window.auralis;
      const save = api.saveQueue;
      window.saves = [];
      api.saveQueue = (...a) => { window.saves.push(performance.now()); return save(...a); };
    });
    await playAlbum(page);
    await page.waitForFunction(() => window.saves.length >= 1); // the new queue is saved...
    await page.getByRole('button', { name: 'Next track' }).click(); // ...and at once a new track
    await page.waitForFunction((i) => window.auralis.engine.trackId === i && window.auralis.engine.position > 0.1, id['Second Movement']);
    await page.evaluate(() => window.auralis.engine.seek(13.37));
    await page.waitForFunction(() => window.auralis.engine.position >= 13.37);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForFunction(() => !window.auralis.engine.playing);
    // paused (the context suspended, the position still): the server holds that position
    const saved = await until(page, async () => {
      const e = window.auralis.engine;
      if (e.ctx.state !== 'suspended') return null;
      const q = await (await fetch('/api/player/queue')).json();
      const heard = e.playhead.sample / e.ctx.sampleRate;
      return q.current_index === 1 && Math.abs(q.position_s - heard) < 0.002 ? q : null;
    }, null, { what: 'the paused queue saved on the server' });
    assert.ok(saved.position_s > 13.3 && saved.position_s < 15, `saved at ${saved.position_s} s`);
    assert.deepEqual(saved.track_ids, [id['First Movement'], id['Second Movement']]);
    // a new queue, then at once a track change, a seek and a pause: saved, at most once a second
    const saves = await page.evaluate(() => window.saves);
    assert.ok(saves.length >= 2, `${saves.length} saves`);
    const gaps = saves.slice(1).map((t, i) => t - saves[i]);
    assert.ok(Math.min(...gaps) >= 999, `saves ${Math.round(Math.min(...gaps))} ms apart`);

    const second = await h.newPage();
    try {
      const offer = second.getByRole('button', { name: `Resume Second Movement at ${fmt(saved.position_s)}` });
      await offer.waitFor({ timeout: 10_000 });
      assert.equal(await second.evaluate(() => window.auralis.engine.trackId), null, 'the second page played without being asked');
      await offer.click();
      await second.waitForFunction((i) => {
        const e = window.auralis.engine;
        return e.trackId === i && e.playing && !e.buffering && e.stats.lastSeek;
      }, id['Second Movement'], { timeout: 30_000 });
      const r = await second.evaluate(() => ({
        seek: window.auralis.engine.stats.lastSeek.sample, position: window.auralis.engine.position,
        queue: window.auralis.state.queue.map((t) => t.id), index: window.auralis.state.index,
      }));
      assert.equal(r.seek, Math.round(saved.position_s * SR), 'it did not start at the saved position');
      // (the playhead starts a few ms after the seek: the engine schedules it 30 ms ahead)
      assert.ok(r.position > saved.position_s - 0.1 && r.position < saved.position_s + 3, `position ${r.position}, saved ${saved.position_s}`);
      assert.deepEqual(r.queue, saved.track_ids);
      assert.equal(r.index, 1);
      assert.equal(await offer.count(), 0, 'the offer stays after resuming');
    } finally {
      await second.close();
    }
    assert.deepEqual(h.errors.filter((e) => !/favicon/.test(e)), []);
  });
});
