// The page on a phone (360×740), under its own Content-Security-Policy: no view scrolls
// sideways, every visible control lies inside the viewport's width, and the main controls are
// on screen and can be pressed (nothing covers them). Also with the tabs' menu open, the
// lyrics panel open and a dialog open.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayer, playAlbum } from './lib/harness.mjs';

const PHONE = { width: 360, height: 740 };
let h;
let page;
const routes = [];

/** What sticks out sideways in the page as it is now: the document's own width, and each
 *  visible interactive element whose box leaves the viewport's width. */
const sideways = (p) => p.evaluate(() => {
  const vw = window.innerWidth;
  const bad = [];
  const de = document.documentElement;
  if (de.scrollWidth > vw) bad.push(`the page is ${de.scrollWidth} px wide`);
  if (document.body.scrollWidth > vw) bad.push(`the body is ${document.body.scrollWidth} px wide`);
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.getAttribute('aria-label') || el.textContent || el.getAttribute('placeholder') || '').trim().slice(0, 40)}"`;
  for (const el of document.querySelectorAll('a[href], button, input, select, textarea, [role="slider"], [tabindex]:not([tabindex="-1"])')) {
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: false })) continue;
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    if (r.left < -0.5 || r.right > vw + 0.5) bad.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} px`);
  }
  // a scroll container inside the page that scrolls sideways hides controls just the same
  for (const el of document.querySelectorAll('body *')) {
    const s = getComputedStyle(el);
    if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) bad.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
  }
  return bad;
});

/** Each control can be pressed where it is: inside the viewport and the topmost element at its
 *  centre (not under the player bar, not cut off). */
async function pressable(p, locators) {
  const out = [];
  for (const [what, loc] of locators) {
    const ok = await loc.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      const inside = r.left >= 0 && r.right <= window.innerWidth && r.top >= 0 && r.bottom <= window.innerHeight;
      const top = document.elementFromPoint(x, y);
      return inside && !!top && (top === el || el.contains(top));
    });
    if (!ok) out.push(what);
  }
  return out;
}

describe('on a phone (360×740, real server, headless chromium, the page\'s CSP)', { timeout: 120_000 }, () => {
  before(async () => {
    h = await openPlayer({ audioTap: false });
    page = h.page;
    await page.setViewportSize(PHONE);
    // something in every view: a playlist with a duplicate, a favourite, a queue, a play
    const ids = await page.evaluate(async () => {
      const tracks = (await (await fetch('/api/tracks')).json()).items;
      const id = Object.fromEntries(tracks.map((t) => [t.title, t.id]));
      const post = (u, b) => fetch(u, { method: b ? 'POST' : 'PUT', headers: b ? { 'content-type': 'application/json' } : {}, body: b ? JSON.stringify(b) : undefined });
      const pl = await (await post('/api/playlists', { name: 'A playlist with a rather long name for a small screen', track_ids: [id['Second Movement'], id['First Movement'], id['Second Movement'], id['Lone Tone']] })).json();
      await post(`/api/tracks/${id['First Movement']}/favorite`);
      await post(`/api/albums/${tracks.find((t) => t.title === 'Lone Tone').album_id}/favorite`);
      const artists = (await (await fetch('/api/artists')).json()).items;
      return { playlist: pl.id, album: tracks[0].album_id, artist: artists[0].id };
    });
    routes.push('#/albums', `#/album/${ids.album}`, '#/artists', `#/artist/${ids.artist}`, '#/tracks', '#/search/tone',
      '#/playlists', `#/playlist/${ids.playlist}`, '#/favorites', '#/history', '#/queue', '#/library', '#/account');
    await playAlbum(page);
  });
  after(async () => { await h?.close(); });

  it('no view scrolls sideways, and every control lies inside the screen\'s width', async () => {
    const problems = {};
    for (const r of routes) {
      await page.evaluate((x) => { location.hash = x; }, r);
      await page.waitForFunction((x) => document.querySelector('#view').dataset.route === x && document.querySelector('#view h1'), r);
      await page.evaluate(() => document.fonts.ready);
      const bad = await sideways(page);
      if (bad.length) problems[r] = bad;
    }
    assert.deepEqual(problems, {});
  });

  it('wider screens do not get worse: no sideways scroll at 900 and 1280 px, lyrics open or not', async () => {
    const problems = {};
    for (const width of [900, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      for (const lyrics of [false, true]) {
        const toggle = page.getByRole('button', { name: 'Lyrics', exact: true });
        if ((await toggle.getAttribute('aria-expanded') === 'true') !== lyrics) await toggle.click();
        for (const r of routes) {
          await page.evaluate((x) => { location.hash = x; }, r);
          await page.waitForFunction((x) => document.querySelector('#view').dataset.route === x && document.querySelector('#view h1'), r);
          const bad = await sideways(page);
          if (bad.length) problems[`${width} px${lyrics ? ' with lyrics' : ''} ${r}`] = bad;
        }
      }
    }
    await page.getByRole('button', { name: 'Lyrics', exact: true }).click(); // closed again
    await page.setViewportSize(PHONE);
    assert.deepEqual(problems, {});
  });

  it('the main controls are on screen and can be pressed; the tabs open as a menu', async () => {
    await page.evaluate(() => { location.hash = '#/albums'; window.scrollTo(0, 0); });
    await page.getByRole('heading', { name: 'Albums', level: 1 }).waitFor();
    const bar = page.getByRole('contentinfo', { name: 'Player' });
    const menu = page.getByRole('button', { name: 'Views: Albums' });
    const controls = [
      ['search', page.getByRole('searchbox', { name: 'Search the library' })],
      ['sign out', page.getByRole('button', { name: 'Sign out' })],
      ['views menu', menu],
      ['previous', bar.getByRole('button', { name: 'Previous track' })],
      ['play/pause', bar.getByRole('button', { name: 'Pause' })],
      ['next', bar.getByRole('button', { name: 'Next track' })],
      ['seek', bar.getByRole('slider', { name: 'Seek' })],
      ['favourite', bar.getByRole('button', { name: 'Favourite First Movement' })],
      ['lyrics', bar.getByRole('button', { name: 'Lyrics', exact: true })],
      ['enhancement', bar.getByRole('button', { name: 'Enhanced' })],
      ['preset', bar.getByRole('combobox', { name: 'Enhancement preset' })],
      ['intensity', bar.getByRole('slider', { name: 'Enhancement intensity' })],
      ['loudness', bar.getByRole('combobox', { name: 'Loudness per track or per album' })],
      ['level match', bar.getByRole('checkbox', { name: 'Level-matched' })],
    ];
    assert.deepEqual(await pressable(page, controls), []);
    // the player bar stays compact: the view keeps most of the screen
    const h0 = (await bar.boundingBox()).height;
    assert.ok(h0 <= 0.3 * PHONE.height, `the player bar is ${h0} px tall`);

    // the tabs are a menu: closed, none of its links shows; open, all are inside the screen
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.getByRole('navigation', { name: 'Library' }).getByRole('link').count(), 0);
    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    const links = page.getByRole('navigation', { name: 'Library' }).getByRole('link');
    assert.equal(await links.count(), 8);
    assert.deepEqual(await pressable(page, (await links.all()).map((l, i) => [`tab ${i}`, l])), []);
    assert.deepEqual(await sideways(page), []);
    await page.getByRole('link', { name: 'Playlists' }).click();
    await page.getByRole('heading', { name: 'Playlists', level: 1 }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Views: Playlists' }).getAttribute('aria-expanded'), 'false');
  });

  it('row actions are reachable by touch on a playlist (no hover-only actions)', async () => {
    await page.getByRole('link', { name: /^A playlist with a rather long name/ }).click();
    const table = page.getByRole('table', { name: /^Tracks of A playlist/ });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 4);
    const last = rows.last();
    for (const name of [/^Play /, /^Favourite /, /^Add .* to queue$/, /^Add .* to playlist$/, /^Reorder /, /^Move .* up$/, /^Remove /]) {
      const b = last.getByRole('button', { name });
      await b.scrollIntoViewIfNeeded();
      await b.click({ trial: true, timeout: 3000 }); // visible, enabled, not covered: a tap lands on it
    }
    assert.deepEqual(await sideways(page), []);
  });

  it('the lyrics panel and a dialog fit the screen too', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    const bar = page.getByRole('contentinfo', { name: 'Player' });
    await bar.getByRole('button', { name: 'Lyrics', exact: true }).click();
    const panel = page.getByRole('complementary', { name: 'Lyrics' });
    await panel.getByRole('button', { name: /^Line 1 / }).waitFor();
    assert.ok(await bar.evaluate((b) => b.contains(document.querySelector('#lyrics'))), 'on a phone the lyrics are in the player bar, under the now-playing area');
    const np = await bar.locator(':scope > .now').boundingBox();
    const ly = await panel.boundingBox();
    assert.ok(ly.y >= np.y + np.height - 1, 'the lyrics are not under the now-playing area');
    assert.deepEqual(await pressable(page, [['close lyrics', panel.getByRole('button', { name: 'Close lyrics' })], ['play', bar.getByRole('button', { name: 'Pause' })]]), []);
    assert.deepEqual(await sideways(page), []);
    await panel.getByRole('button', { name: 'Close lyrics' }).click();

    await page.getByRole('button', { name: 'Add playlist to playlist' }).click();
    const d = page.getByRole('dialog', { name: 'Add the playlist to a playlist' });
    await d.getByRole('button', { name: /^A playlist with a rather long name/ }).waitFor();
    assert.deepEqual(await pressable(page, [['choice', d.getByRole('button', { name: /^A playlist/ })], ['cancel', d.getByRole('button', { name: 'Cancel' })]]), []);
    assert.deepEqual(await sideways(page), []);
    await d.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(h.errors.filter((e) => !/favicon/.test(e)), []);
  });
});
