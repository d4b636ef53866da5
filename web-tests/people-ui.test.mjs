// The user's own music through the page, under the page's own Content-Security-Policy:
// favourites (hearts on tracks, albums, artists), playlists (made, filled, dragged, renamed,
// shared, exported and imported as M3U, deleted; read-only for another user), Play with nothing
// queued (a playlist, search results, the artists, the playlists, the favourites), the history,
// plain lyrics and "No lyrics", a visible keyboard focus, and the lock-screen controls (Media
// Session). Elements are found by role and name, as a screen reader finds them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayer, signIn, until } from './lib/harness.mjs';
import { PLAIN_LYRICS } from './lib/fixtures.mjs';

const BOB = { username: 'bob', password: 'bob password 1' };
let h;
let page;
let id; // title -> track id
let album; // title -> album id

const get = (p, path) => p.evaluate(async (u) => (await fetch(u)).json(), path);
const send = (p, method, path, body) => p.evaluate(async ({ method, path, body }) => {
  const r = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, json: r.status === 204 ? null : await r.json().catch(() => null) };
}, { method, path, body });
const nav = (p = page) => p.getByRole('navigation', { name: 'Library' });
const player = (p = page) => p.getByRole('contentinfo', { name: 'Player' });
const view = (p = page) => p.getByRole('main');
const go = async (hash, heading, p = page) => {
  await p.evaluate((x) => { location.hash = x; }, hash);
  if (heading) await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
};
const titles = (p = page) => p.evaluate(() => window.auralis.state.queue.map((t) => t.title));
/** Presses the player's Play with nothing queued; resolves once the queue is filled and the
 *  now-playing area shows its first track. */
const playWithNothingQueued = async (first) => {
  assert.equal(await page.evaluate(() => window.auralis.state.queue.length), 0, 'something is queued already');
  await player().getByRole('button', { name: 'Play', exact: true }).click();
  await until(page, (i) => window.auralis.engine.trackId === i, id[first], { what: `${first} loading` });
  assert.equal(await player().locator('#np-title').textContent(), first);
};
const playing = (p, trackId) => p.waitForFunction((i) => {
  const e = window.auralis.engine;
  return e.trackId === i && e.playing && !e.buffering && e.position > 0.1;
}, trackId, { timeout: 30_000 });

describe('your music in the page (real server, headless chromium, the page\'s CSP)', { timeout: 180_000 }, () => {
  before(async () => {
    h = await openPlayer({ audioTap: false });
    page = h.page;
    id = await page.evaluate(async () => Object.fromEntries((await (await fetch('/api/tracks')).json()).items.map((t) => [t.title, t.id])));
    album = await page.evaluate(async () => Object.fromEntries((await (await fetch('/api/albums')).json()).items.map((a) => [a.title, a.id])));
  });
  after(async () => { await h?.close(); });

  it('the hearts of a track, an album and an artist: the page and the server agree, after a reload too', async () => {
    await nav().getByRole('link', { name: 'Albums' }).click();
    await page.getByRole('button', { name: /^Album Multitone Suite/ }).click();
    const trackHeart = view().getByRole('button', { name: 'Favourite First Movement' });
    const albumHeart = view().getByRole('button', { name: 'Favourite Multitone Suite' });
    assert.equal(await trackHeart.getAttribute('aria-pressed'), 'false');
    assert.equal(await albumHeart.getAttribute('aria-pressed'), 'false');
    await trackHeart.click();
    assert.equal(await trackHeart.getAttribute('aria-pressed'), 'true');
    await page.getByRole('status').filter({ hasText: 'First Movement added to favourites.' }).waitFor();
    await albumHeart.click();
    await until(page, async (i) => (await (await fetch(`/api/tracks/${i}`)).json()).favorite === true, id['First Movement'], { what: 'the track a favourite on the server' });
    await until(page, async (i) => (await (await fetch(`/api/albums/${i}`)).json()).favorite === true, album['Multitone Suite'], { what: 'the album a favourite on the server' });

    // the artist, from the album's artist page
    await nav().getByRole('link', { name: 'Artists' }).click();
    await page.getByRole('button', { name: /^Tone Collective/ }).click();
    const artistHeart = view().getByRole('button', { name: 'Favourite Tone Collective' });
    assert.equal(await artistHeart.getAttribute('aria-pressed'), 'false');
    await artistHeart.click();
    await until(page, async () => (await (await fetch('/api/artists')).json()).items.find((a) => a.name === 'Tone Collective').favorite === true, null, { what: 'the artist a favourite on the server' });
    // the same track's heart elsewhere on the page follows
    assert.equal(await view().getByRole('button', { name: 'Favourite First Movement' }).getAttribute('aria-pressed'), 'true');

    // a reload: the hearts come from the server
    await page.reload();
    await go(`#/album/${album['Multitone Suite']}`, 'Multitone Suite');
    assert.equal(await trackHeart.getAttribute('aria-pressed'), 'true');
    assert.equal(await view().getByRole('button', { name: 'Favourite Second Movement' }).getAttribute('aria-pressed'), 'false');
    assert.equal(await albumHeart.getAttribute('aria-pressed'), 'true');

    // the now-playing heart is the same favourite
    await view().getByRole('button', { name: 'Play First Movement' }).click();
    await playing(page, id['First Movement']);
    assert.equal(await player().getByRole('button', { name: 'Favourite First Movement' }).getAttribute('aria-pressed'), 'true');

    // the Favourites view lists all three; a heart turned off there leaves it
    await nav().getByRole('link', { name: 'Favourites' }).click();
    await page.getByRole('heading', { name: 'Favourites', level: 1 }).waitFor();
    const favTracks = page.getByRole('table', { name: 'Favourite tracks' });
    assert.deepEqual(await favTracks.locator('td.title').allTextContents(), ['First Movement']);
    await page.getByRole('group', { name: 'Favourite albums' }).getByRole('button', { name: /^Album Multitone Suite/ }).waitFor();
    await view().getByRole('button', { name: /^Tone Collective/ }).waitFor();
    await favTracks.getByRole('button', { name: 'Favourite First Movement' }).click();
    await view().getByText('No favourite tracks.').waitFor();
    assert.equal(await player().getByRole('button', { name: 'Favourite First Movement' }).getAttribute('aria-pressed'), 'false');
    await until(page, async (i) => (await (await fetch(`/api/tracks/${i}`)).json()).favorite === false, id['First Movement'], { what: 'the track no longer a favourite' });
  });

  it('playlists: a new one from the dialog, filled, dragged, trimmed, renamed, made public, exported, imported (unmatched lines shown) and deleted', async () => {
    // a new playlist straight from a track's "Add to playlist", with the keyboard
    await nav().getByRole('link', { name: 'Tracks' }).click();
    const addLone = view().getByRole('button', { name: 'Add Lone Tone to playlist' });
    await addLone.focus();
    await page.keyboard.press('Enter');
    const d = page.getByRole('dialog', { name: 'Add “Lone Tone” to a playlist' });
    await d.getByText('You have no playlists yet.').waitFor();
    await d.getByLabel('New playlist name').fill('Evening');
    await page.keyboard.press('Enter');
    await d.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Add Lone Tone to playlist', 'the focus did not return to the row');
    const { items } = await get(page, '/api/playlists');
    const evening = items.find((p) => p.name === 'Evening');
    assert.equal(evening.track_count, 1);

    // the album joins it; then open it
    await go(`#/album/${album['Multitone Suite']}`, 'Multitone Suite');
    await view().getByRole('button', { name: 'Add album to playlist' }).click();
    await page.getByRole('dialog', { name: 'Add the album to a playlist' }).getByRole('button', { name: /^Evening\b/ }).click();
    await nav().getByRole('link', { name: 'Playlists' }).click();
    await view().getByRole('link', { name: /^Evening/ }).click();
    const table = page.getByRole('table', { name: 'Tracks of Evening' });
    const titles = () => table.locator('td.title').allTextContents();
    await table.waitFor();
    assert.deepEqual(await titles(), ['Lone Tone', 'First Movement', 'Second Movement']);
    const order = (want) => until(page, async ({ pid, want }) => (await (await fetch(`/api/playlists/${pid}`)).json()).tracks.map((t) => t.title).join('|') === want.join('|'),
      { pid: evening.id, want }, { what: `the order ${want} on the server` });

    // drag the last row (by its grip) above the first
    const grip = table.getByRole('button', { name: 'Reorder Second Movement, position 3 of 3' });
    const from = await grip.boundingBox();
    const to = await table.locator('tbody tr').first().boundingBox();
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2, to.y + 8, { steps: 5 });
    await page.mouse.up();
    await table.getByRole('button', { name: 'Reorder Second Movement, position 1 of 3' }).waitFor();
    assert.deepEqual(await titles(), ['Second Movement', 'Lone Tone', 'First Movement']);
    await order(['Second Movement', 'Lone Tone', 'First Movement']);

    // the move buttons, then remove a row
    await table.getByRole('button', { name: 'Move First Movement up' }).click();
    assert.deepEqual(await titles(), ['Second Movement', 'First Movement', 'Lone Tone']);
    await table.getByRole('button', { name: 'Remove Lone Tone from the playlist' }).click();
    await page.getByRole('status').filter({ hasText: 'Lone Tone removed from the playlist.' }).waitFor();
    assert.deepEqual(await titles(), ['Second Movement', 'First Movement']);
    await order(['Second Movement', 'First Movement']);

    // rename, public
    await view().getByRole('button', { name: 'Rename' }).click();
    const rn = page.getByRole('dialog', { name: 'Rename the playlist' });
    await rn.getByLabel('Name').fill('Evening mix');
    await rn.getByLabel('Comment').fill('for the way home');
    await rn.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Evening mix', level: 1 }).waitFor();
    const pub = view().getByRole('checkbox', { name: 'Public' });
    assert.equal(await pub.isChecked(), false);
    await pub.check();
    await until(page, async (pid) => {
      const p = await (await fetch(`/api/playlists/${pid}`)).json();
      return p.public && p.name === 'Evening mix' && p.comment === 'for the way home';
    }, evening.id, { what: 'the name, comment and public flag on the server' });

    // export: a link to the M3U
    const link = view().getByRole('link', { name: 'Export M3U' });
    assert.equal(await link.getAttribute('download'), 'Evening mix.m3u8');
    const m3u = await page.evaluate(async (href) => (await fetch(href)).text(), await link.getAttribute('href'));
    assert.match(m3u, /^#EXTM3U/);
    assert.match(m3u, /Second Movement\.wav[\s\S]*First Movement\.wav/);

    // import it back, with a line that matches nothing: the page says which
    await nav().getByRole('link', { name: 'Playlists' }).click();
    await view().getByLabel('Import an M3U playlist').setInputFiles({
      name: 'Imported.m3u', mimeType: 'audio/x-mpegurl', buffer: Buffer.from(`${m3u}\r\nNo Such/Track.flac\r\n`),
    });
    const result = page.locator('#import-result');
    await result.getByText('Imported “Imported”: 2 tracks.').waitFor();
    const unmatched = page.getByRole('list', { name: /^1 line matched no track/ });
    await unmatched.waitFor();
    assert.deepEqual(await unmatched.getByRole('listitem').allTextContents(), ['No Such/Track.flac']);
    await result.getByRole('link', { name: 'Open “Imported”' }).click();
    const imported = page.getByRole('table', { name: 'Tracks of Imported' });
    await imported.waitFor();
    assert.deepEqual(await imported.locator('td.title').allTextContents(), ['Second Movement', 'First Movement']);

    // delete it: a confirmation, then it is gone
    await view().getByRole('button', { name: 'Delete playlist' }).click();
    const conf = page.getByRole('dialog', { name: 'Delete the playlist “Imported”?' });
    await conf.getByRole('button', { name: 'Delete playlist' }).click();
    await page.getByRole('heading', { name: 'Playlists', level: 1 }).waitFor();
    const after = (await get(page, '/api/playlists')).items.map((p) => p.name);
    assert.deepEqual(after, ['Evening mix']);
    assert.equal(await view().getByRole('link', { name: /^Imported/ }).count(), 0);
  });

  it('another user sees a public playlist read-only, with its owner, and never a private one', async () => {
    assert.equal((await send(page, 'POST', '/api/users', { ...BOB, admin: false })).status, 201);
    assert.equal((await send(page, 'POST', '/api/playlists', { name: 'Just mine', track_ids: [id['Lone Tone']] })).status, 201);
    const bob = await h.newPage('#/playlists', { isolated: true });
    await signIn(bob, BOB);
    await go('#/playlists', 'Playlists', bob);
    await bob.getByText('No playlists yet').waitFor();
    const shared = view(bob).getByRole('link', { name: /^Evening mix/ });
    assert.match(await shared.textContent(), /by admin/);
    assert.equal(await view(bob).getByRole('link', { name: /Just mine/ }).count(), 0, 'another user\'s private playlist is listed');
    await shared.click();
    await bob.getByRole('heading', { name: 'Evening mix', level: 1 }).waitFor();
    assert.match(await bob.locator('#pl-info').textContent(), /^By admin/);
    await view(bob).getByRole('button', { name: 'Play playlist' }).waitFor();
    for (const name of ['Rename', 'Delete playlist', /^Reorder /, /^Move /, /^Remove /]) {
      assert.equal(await view(bob).getByRole('button', { name }).count(), 0, `a read-only playlist offers ${name}`);
    }
    assert.equal(await view(bob).getByRole('checkbox', { name: 'Public' }).count(), 0);
  });

  it('Play with nothing queued plays what the view lists', async () => {
    await page.reload(); // nothing queued (the page offers to resume instead)
    await go(`#/playlist/${(await get(page, '/api/playlists')).items.find((p) => p.name === 'Evening mix').id}`, 'Evening mix');
    assert.equal(await page.evaluate(() => window.auralis.state.queue.length), 0);
    await player().getByRole('button', { name: 'Play', exact: true }).click();
    await playing(page, id['Second Movement']);
    assert.deepEqual(await page.evaluate(() => window.auralis.state.queue.map((t) => t.title)), ['Second Movement', 'First Movement']);

    // plain lyrics are text, not lines to click
    const toggle = player().getByRole('button', { name: 'Lyrics', exact: true });
    if (await toggle.getAttribute('aria-expanded') !== 'true') await toggle.click();
    const panel = page.getByRole('complementary', { name: 'Lyrics' });
    await panel.getByText(PLAIN_LYRICS[0]).waitFor();
    assert.deepEqual(await panel.locator('.lyrics-plain p').allTextContents(), PLAIN_LYRICS);
    assert.equal(await panel.locator('.line').count(), 0);

    // search results: reload, search, Play
    await page.reload();
    await page.getByRole('searchbox', { name: 'Search the library' }).fill('lone');
    await page.getByRole('heading', { name: 'Search: “lone”', level: 1 }).waitFor();
    await player().getByRole('button', { name: 'Play', exact: true }).click();
    await playing(page, id['Lone Tone']);
    await panel.getByText('No lyrics').waitFor();
  });

  it('the history lists what was heard, newest first, with when; albums by plays', async () => {
    // Lone Tone (8 s) counts once half of it has been heard
    await until(page, async (i) => (await (await fetch('/api/history')).json()).items[0]?.track.id === i, id['Lone Tone'],
      { timeout: 20_000, polling: 250, what: 'the play counted' });
    await nav().getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Recently played tracks' });
    await table.waitFor();
    const first = table.locator('tbody tr').first();
    assert.equal(await first.locator('td.title').textContent(), 'Lone Tone');
    assert.match(await first.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
    await page.getByRole('group', { name: 'Most played albums' }).getByRole('button', { name: /^Album Solo Works/ }).waitFor();
    await page.getByRole('group', { name: 'Recently played albums' }).getByRole('button', { name: /^Album Solo Works/ }).waitFor();
  });

  it('roles and names: the tabs, the player, the seek slider, the live region', async () => {
    for (const name of ['Albums', 'Artists', 'Tracks', 'Playlists', 'Favourites', 'History', 'Queue', 'Library']) {
      await nav().getByRole('link', { name, exact: name !== 'Queue' }).waitFor();
    }
    assert.equal(await nav().getByRole('link', { name: 'History' }).getAttribute('aria-current'), 'page');
    const bar = player();
    for (const name of ['Previous track', 'Pause', 'Next track']) await bar.getByRole('button', { name, exact: true }).waitFor();
    const seek = bar.getByRole('slider', { name: 'Seek' });
    assert.equal(await seek.getAttribute('tabindex'), '0');
    assert.match(await seek.getAttribute('aria-valuetext'), /^\d+:\d\d of 0:08$/);
    assert.equal(await bar.getByRole('button', { name: 'Enhanced' }).getAttribute('aria-pressed'), 'true');
    await bar.getByRole('combobox', { name: 'Enhancement preset' }).waitFor();
    await bar.getByRole('slider', { name: 'Enhancement intensity' }).waitFor();
    assert.equal(await bar.getByRole('button', { name: 'Lyrics', exact: true }).getAttribute('aria-controls'), 'lyrics');
    await page.getByRole('status').first().waitFor({ state: 'attached' });
    // the shortcuts are listed
    await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    assert.match(await help.textContent(), /Lyrics panel/);
    await page.keyboard.press('Escape');
    // only the answers this suite asked for show up as failed loads in the console
    assert.deepEqual(h.errors.filter((e) => !/favicon/.test(e) && !/status of 404/.test(e)), []);
  });

  it('Play with nothing queued on the artists: each artist\'s tracks in album and track order, artist after artist', async () => {
    await page.reload();
    await go('#/artists', 'Artists');
    assert.deepEqual(await view().locator('ul.list strong').allTextContents(), ['Lonely Oscillator', 'Tone Collective']);
    await playWithNothingQueued('Lone Tone');
    assert.deepEqual(await titles(), ['Lone Tone', 'First Movement', 'Second Movement']);
  });

  it('Play with nothing queued on the playlists: every listed playlist\'s tracks, in the order shown, each in its order', async () => {
    const contents = { 'Evening mix': ['Second Movement', 'First Movement'], 'Just mine': ['Lone Tone'] };
    await page.reload();
    await go('#/playlists', 'Playlists');
    const shown = (await view().getByRole('link').allTextContents()).map((t) => t.split(' · ')[0]);
    assert.deepEqual([...shown].sort(), Object.keys(contents));
    await playWithNothingQueued(contents[shown[0]][0]);
    assert.deepEqual(await titles(), shown.flatMap((n) => contents[n]));
  });

  it('Play with nothing queued on the favourites: the tracks, then the albums\', then the artists\', each once', async () => {
    // only a favourite album: its tracks
    const artistId = Object.fromEntries((await get(page, '/api/artists')).items.map((a) => [a.name, a.id]));
    for (const [kind, fid, on] of [['artists', artistId['Tone Collective'], false], ['albums', album['Multitone Suite'], true]]) {
      assert.equal((await send(page, on ? 'PUT' : 'DELETE', `/api/${kind}/${fid}/favorite`)).status, 204);
    }
    const fav = await get(page, '/api/favorites');
    assert.deepEqual([fav.tracks.length, fav.albums.map((a) => a.title), fav.artists.length], [0, ['Multitone Suite'], 0]);
    await page.reload();
    await go('#/favorites', 'Favourites');
    await view().getByText('No favourite tracks.').waitFor();
    await view().getByText('No favourite artists.').waitFor();
    await playWithNothingQueued('First Movement');
    assert.deepEqual(await titles(), ['First Movement', 'Second Movement']);

    // a track, an album and an artist: the tracks first, then the album's, then the artist's,
    // each once (Second Movement is a favourite and on the album)
    assert.equal((await send(page, 'PUT', `/api/tracks/${id['Second Movement']}/favorite`)).status, 204);
    assert.equal((await send(page, 'PUT', `/api/artists/${artistId['Lonely Oscillator']}/favorite`)).status, 204);
    await page.reload();
    await go('#/favorites', 'Favourites');
    await page.getByRole('table', { name: 'Favourite tracks' }).waitFor();
    await playWithNothingQueued('Second Movement');
    assert.deepEqual(await titles(), ['Second Movement', 'First Movement', 'Lone Tone']);
  });

  it('the keyboard focus is visible: a row\'s play button, the seek bar, a tab', async () => {
    /** Presses Tab (Shift+Tab with `back`) until `target` has the focus; returns how its focus
     *  shows. */
    const tabTo = async (target, { back = false } = {}) => {
      for (let i = 0; i < 100; i++) {
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
        if (await target.evaluate((el) => el === document.activeElement)) {
          return target.evaluate((el) => {
            const s = getComputedStyle(el);
            return { focusVisible: el.matches(':focus-visible'), outline: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, shadow: s.boxShadow };
          });
        }
      }
      throw new Error(`Tab never reached ${target}`);
    };
    const assertRing = (r, what) => {
      assert.ok(r.focusVisible, `${what}: not :focus-visible after Tab`);
      const outline = r.outline !== 'none' && r.width > 0 && r.color !== 'rgba(0, 0, 0, 0)' && r.color !== 'transparent';
      assert.ok(outline || r.shadow !== 'none', `${what}: no visible focus (${JSON.stringify(r)})`);
    };
    await go(`#/album/${album['Multitone Suite']}`, 'Multitone Suite');
    await view().getByRole('heading', { level: 1 }).focus();
    assertRing(await tabTo(view().getByRole('button', { name: 'Play First Movement' })), 'the row\'s play button');
    assertRing(await tabTo(player().getByRole('slider', { name: 'Seek' })), 'the seek bar');
    await view().getByRole('heading', { level: 1 }).focus();
    assertRing(await tabTo(nav().getByRole('link', { name: 'Albums' }), { back: true }), 'the Albums tab');
  });

  it('Media Session: the lock-screen actions play, pause, seek and change track', async () => {
    // keep the handlers the page gives the Media Session, to call them as the lock screen would
    await page.addInitScript(() => {
      const ms = navigator.mediaSession;
      const set = ms.setActionHandler.bind(ms);
      window.mediaActions = {};
      ms.setActionHandler = (action, fn) => { window.mediaActions[action] = fn; set(action, fn); };
    });
    await page.reload();
    await go(`#/album/${album['Multitone Suite']}`, 'Multitone Suite');
    const actions = await page.evaluate(() => Object.entries(window.mediaActions).filter(([, f]) => typeof f === 'function').map(([a]) => a));
    for (const a of ['play', 'pause', 'previoustrack', 'nexttrack', 'seekto']) assert.ok(actions.includes(a), `no Media Session handler for ${a} (${actions})`);
    const act = (action, extra = {}) => page.evaluate(({ action, extra }) => window.mediaActions[action]({ action, ...extra }), { action, extra });

    // play with nothing queued plays what the view lists, as the player's Play does
    assert.equal(await page.evaluate(() => window.auralis.state.queue.length), 0);
    await act('play');
    await playing(page, id['First Movement']);
    assert.deepEqual(await titles(), ['First Movement', 'Second Movement']);
    assert.equal(await page.evaluate(() => navigator.mediaSession.metadata?.title), 'First Movement');
    await page.waitForFunction(() => navigator.mediaSession.playbackState === 'playing');

    await act('pause');
    await page.waitForFunction(() => !window.auralis.engine.playing && navigator.mediaSession.playbackState === 'paused');
    assert.equal(await player().locator('#play').getAttribute('aria-label'), 'Play');
    await act('play');
    await page.waitForFunction(() => window.auralis.engine.playing && navigator.mediaSession.playbackState === 'playing');

    await act('seekto', { seekTime: 15 });
    await page.waitForFunction(() => {
      const e = window.auralis.engine;
      return e.trackId !== null && e.position >= 15 && e.position < 20;
    }, null, { timeout: 15_000 });

    await act('nexttrack');
    await page.waitForFunction((i) => window.auralis.engine.trackId === i && window.auralis.state.index === 1, id['Second Movement']);
    await player().locator('#np-title').getByText('Second Movement').waitFor();
    assert.equal(await page.evaluate(() => navigator.mediaSession.metadata?.title), 'Second Movement');

    // back from the start of a track goes to the track before
    await act('previoustrack');
    await page.waitForFunction((i) => window.auralis.engine.trackId === i && window.auralis.state.index === 0, id['First Movement']);
    await playing(page, id['First Movement']);
    assert.deepEqual(h.errors.filter((e) => !/favicon/.test(e) && !/status of 404/.test(e)), []);
  });
});
