// UI tests of the player page against the real server: browsing, search, queue, keyboard,
// and enhancement settings persisting through the server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayer, playAlbum, setEnhancement, until } from './lib/harness.mjs';

let h;
let page;
const title = () => page.textContent('#np-title');
const engineTrack = () => page.evaluate(() => window.auralis.engine.trackId);
const queueIds = () => page.evaluate(() => window.auralis.state.queue.map((t) => t.id));

describe('player UI (real server, headless chromium)', { timeout: 120_000 }, () => {
  before(async () => { h = await openPlayer({ audioTap: false }); page = h.page; }); // the page's own CSP applies
  after(async () => { await h?.close(); });

  it('lists albums with their artists and opens an album in track order', async () => {
    await page.waitForSelector('.card');
    const cards = await page.locator('.card').allTextContents();
    assert.equal(cards.length, 2);
    assert.ok(cards.some((c) => c.includes('Multitone Suite') && c.includes('Tone Collective')));
    assert.ok(cards.some((c) => c.includes('Solo Works')));
    await page.getByRole('button', { name: /Album Multitone Suite/ }).click();
    await page.waitForSelector('#play-album');
    const rows = await page.locator('table.tracks tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(rows, ['First Movement', 'Second Movement']);
  });

  it('lists artists and opens one', async () => {
    await page.click('.tabs a[data-tab=artists]');
    await page.waitForSelector('ul.list');
    const names = await page.locator('ul.list li strong').allTextContents();
    assert.deepEqual([...names].sort(), ['Lonely Oscillator', 'Tone Collective']);
    await page.getByRole('button', { name: /Lonely Oscillator/ }).click();
    await page.waitForSelector('h1:text("Lonely Oscillator")');
    assert.match(await page.textContent('#view'), /Solo Works/);
    assert.match(await page.textContent('#view'), /Lone Tone/);
  });

  it('shows the last scan and the files it could not read', async () => {
    await page.click('.tabs a[data-tab=library]');
    await page.waitForSelector('#unreadable');
    assert.match(await page.textContent('#scan-status'), /3 added/);
    const rows = await page.locator('#unreadable li').allTextContents();
    assert.equal(rows.length, 1);
    assert.match(rows[0], /^Lonely Oscillator\/notes\.mp3 · \S/);
  });

  it('searches tracks', async () => {
    await page.fill('#search', 'lone');
    await page.waitForSelector('h1:has-text("Search")');
    await page.waitForSelector('table.tracks');
    const rows = await page.locator('table.tracks tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(rows, ['Lone Tone']);
    await page.fill('#search', '');
  });

  it('plays an album as a queue with next and previous', async () => {
    await playAlbum(page);
    const ids = await queueIds();
    assert.equal(ids.length, 2);
    assert.equal(await title(), 'First Movement');
    assert.equal(await page.textContent('#queue-count'), '2');
    await page.click('#next');
    await page.waitForFunction((id) => window.auralis.engine.trackId === id && window.auralis.engine.position > 0.1, ids[1]);
    assert.equal(await title(), 'Second Movement');
    await page.click('#prev'); // within the first 3 s: previous track
    await page.waitForFunction((id) => window.auralis.engine.trackId === id, ids[0]);
    assert.equal(await title(), 'First Movement');
  });

  it('adds a track to the queue and shows it in the queue view', async () => {
    await page.click('.tabs a[data-tab=tracks]');
    await page.getByRole('button', { name: 'Add Lone Tone to queue' }).click();
    assert.equal(await page.textContent('#queue-count'), '3');
    await page.click('.tabs a[data-tab=queue]');
    await page.waitForSelector('#queue-list li');
    const items = await page.locator('#queue-list li').allTextContents();
    assert.equal(items.length, 3);
    assert.match(items[0], /First Movement/);
    assert.match(items[2], /Lone Tone/);
  });

  it('keyboard: space pauses/resumes, arrows seek, shift+arrows change track', async () => {
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    const ids = await queueIds();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => !window.auralis.engine.playing);
    await page.keyboard.press('Space');
    await page.waitForFunction(() => window.auralis.engine.playing);
    const p0 = await page.evaluate(() => window.auralis.engine.position);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((p) => window.auralis.engine.position > p + 9, p0);
    await page.keyboard.press('Shift+ArrowRight');
    await page.waitForFunction((id) => window.auralis.engine.trackId === id, ids[1]);
    assert.equal(await engineTrack(), ids[1]);
    const help = await page.textContent('#shortcuts');
    assert.match(help, /Space/);
    assert.match(help, /Shift/);
  });

  it('plays on into a track with another sample rate (new context)', async () => {
    const ids = await queueIds();
    await page.evaluate(() => window.auralis.engine.seek(24.5));
    await page.waitForFunction((id) => window.auralis.engine.trackId === id && window.auralis.engine.position > 0.3, ids[2], { timeout: 15_000 });
    const r = await page.evaluate(() => ({ sr: window.auralis.engine.ctx.sampleRate, sw: window.auralis.engine.stats.trackSwitches.at(-1) }));
    assert.equal(r.sr, 44100);
    assert.equal(r.sw.newContext, true);
    assert.equal(await title(), 'Lone Tone');
  });

  it('preset and intensity persist through the server after a reload', async () => {
    await setEnhancement(page, { enabled: true, preset: 'warm', intensity: 0.35 });
    await until(page, async () => {
      const s = await (await fetch('/api/enhancement')).json();
      return s.preset === 'warm' && Math.abs(s.intensity - 0.35) < 1e-6;
    });
    await page.click('#enh-toggle');
    await until(page, async () => (await (await fetch('/api/enhancement')).json()).enabled === false);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#preset').value === 'warm');
    assert.equal(await page.inputValue('#intensity'), '0.35');
    assert.equal(await page.getAttribute('#enh-toggle', 'aria-pressed'), 'false');
    assert.equal(await page.textContent('#intensity-out'), '35%');
    const e = await page.evaluate(() => window.auralis.engine.enh);
    assert.deepEqual(e, { enabled: false, preset: 'warm', intensity: 0.35, loudness: 'track', levelMatch: false });
    await setEnhancement(page, { enabled: true, preset: 'adaptive', intensity: 1 });
    assert.deepEqual(h.errors.filter((x) => !/favicon/.test(x)), []);
  });
});
