// Shared set-up for the browser suites: server + chromium + the page with the T helpers.
// The server starts on a fresh data folder, so the page first asks for the admin account:
// openPlayer fills that form like a person would, then waits for the signed-in player.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Polls `fn(arg)` in the page until it returns a truthy value, and returns that value.
 *  page.waitForFunction cannot do this for an async `fn` (a fetch): it takes the Promise for
 *  a truthy answer and returns at once. */
export async function until(page, fn, arg = null, { polling = 50, timeout = 10_000, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const r = await page.evaluate(fn, arg);
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((res) => setTimeout(res, polling));
  }
}

/** The account the harness creates through the first-run form. */
export const ADMIN = Object.freeze({ username: 'admin', password: 'correct horse battery' });

/** The signed-in page: the header names the user and offers to sign out. */
export async function signedInAs(page, username, timeout = 15_000) {
  await page.getByRole('link', { name: `Account: ${username}`, exact: true }).waitFor({ timeout });
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout });
}

/** Signs in through the page's own forms: the first-run form while the server has no account,
 *  else the sign-in form; resolves once the player shows `username` signed in. A page that is
 *  already signed in (another tab of the same browser shares the cookie) is left as it is. */
export async function signIn(page, { username, password } = ADMIN) {
  const create = page.getByRole('button', { name: 'Create account and sign in' });
  const submit = page.getByRole('button', { name: 'Sign in', exact: true });
  const signOut = page.getByRole('button', { name: 'Sign out' });
  await create.or(submit).or(signOut).first().waitFor({ timeout: 15_000 });
  if (await create.isVisible()) {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password').fill(password);
    await create.click();
  } else if (await submit.isVisible()) {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await submit.click();
  }
  await signedInAs(page, username);
}

/** Waits (signed in) until the server's scan, analysis included, is over with every track. */
export async function waitForScan(page, expectTracks) {
  await until(page, async (n) => {
    const get = async (p) => (await fetch(p)).json();
    const [scan, health] = await Promise.all([get('/api/library/scan'), get('/api/health')]);
    if (!scan.running && health.tracks < n && scan.last_report === null && !window.askedScan) {
      window.askedScan = true; // the server did not scan at start
      await fetch('/api/library/scan', { method: 'POST' });
    }
    return !scan.running && health.tracks >= n;
  }, expectTracks, { polling: 250, timeout: 60_000, what: 'the scan and analysis to finish' });
}

/** options: passed to startServer ({ chunkSeconds, trackSeconds }); `signIn: false` leaves the
 *  page at the first-run form (the accounts suite fills it itself); `audioTap: false` leaves out
 *  the T helpers of page-audio.js, so the page runs under its own Content-Security-Policy
 *  (the tap's worklet needs it bypassed). `levelMatch`: the player's level-matched A/B option
 *  as this browser first has it (the product's default is on; the suites that compare the
 *  original sample by sample with the file start with it off; null leaves the product's
 *  default). */
export async function openPlayer({ signIn: doSignIn = true, audioTap = true, levelMatch = false, ...options } = {}) {
  const server = await startServer(options);
  const start = async () => {
    const x = await launch({ bypassCSP: audioTap });
    if (levelMatch !== null) {
      await x.context.addInitScript((on) => {
        if (localStorage.getItem('auralis.levelMatch') === null) localStorage.setItem('auralis.levelMatch', on ? '1' : '0');
      }, levelMatch);
    }
    return x;
  };
  let b;
  try {
    b = await start();
  } catch (e) {
    await server.stop();
    throw e;
  }
  const browsers = [b];
  const { page } = b;
  const load = async (p, hash = '') => {
    await p.goto(`${server.base}/${hash}`);
    await p.waitForFunction(() => window.auralis && window.auralis.engine);
  };
  const open = async (p, hash = '') => {
    await load(p, hash);
    await signIn(p);
    await waitForScan(p, server.expectTracks);
    if (audioTap) await p.addScriptTag({ path: path.join(HERE, 'page-audio.js') });
  };
  const goto = (hash) => open(page, hash);
  /** Another tab of the same browser: its own sessionStorage, so its own listener, and the same
   *  cookie, so the same user. `{ isolated: true }`: a page of another browser profile instead,
   *  with no cookie, left at the sign-in form (for a second user). */
  const newPage = async (hash = '', { isolated = false } = {}) => {
    if (isolated) {
      const other = await start();
      browsers.push(other);
      other.page.on('pageerror', (e) => b.errors.push(String(e)));
      other.page.on('console', (m) => { if (m.type() === 'error') b.errors.push(m.text()); });
      await load(other.page, hash);
      return other.page;
    }
    const p = await b.context.newPage();
    p.on('pageerror', (e) => b.errors.push(String(e)));
    await open(p, hash);
    return p;
  };
  try {
    if (doSignIn) await goto();
    else await load(page);
  } catch (e) {
    await b.close().catch(() => {});
    await server.stop();
    e.message += `\n--- server log ---\n${server.log().slice(-4000)}`;
    throw e;
  }
  const close = async () => {
    for (const x of browsers) await x.close().catch(() => {});
    await server.stop();
  };
  return { server, page, errors: b.errors, goto, newPage, close };
}

/** Plays the album "Multitone Suite" through the UI (album card, then "Play album", or the
 *  row's play button of track `title`). */
export async function playAlbum(page, title = null) {
  await page.goto(page.url().replace(/#.*$/, '') + '#/albums');
  await page.getByRole('button', { name: /Album Multitone Suite/ }).click();
  if (title) await page.getByRole('button', { name: `Play ${title}` }).click();
  else await page.locator('#play-album').click();
  await page.waitForFunction(() => {
    const e = window.auralis.engine;
    return e.playing && !e.buffering && e.position > 0.2;
  }, null, { timeout: 30_000 });
}

/** Sets the enhancement through the UI controls, one control at a time, each time waiting until
 *  both the engine and the server hold the new state; then until the gain ramps are rendered. */
export async function setEnhancement(page, { enabled, preset, intensity, loudness, levelMatch }) {
  const want = {};
  const applied = () => until(page, async (w) => {
    const e = window.auralis.engine.enh;
    const s = await (await fetch('/api/enhancement')).json();
    const same = (a, b) => (typeof b === 'number' ? Math.abs(a - b) < 1e-6 : a === b);
    // the level-matched option lives in the browser only
    return Object.entries(w).every(([k, v]) => same(e[k], v) && (k === 'levelMatch' || same(s[k], v)));
  }, want, { polling: 20, timeout: 10_000, what: `the enhancement ${JSON.stringify(want)} in the engine and on the server` });
  if (levelMatch !== undefined) {
    want.levelMatch = levelMatch;
    await page.setChecked('#level-match', levelMatch);
    await applied();
  }
  if (loudness !== undefined) {
    want.loudness = loudness;
    await page.selectOption('#loudness', loudness);
    await applied();
  }
  if (preset !== undefined) {
    want.preset = preset;
    await page.selectOption('#preset', preset);
    await applied();
  }
  if (intensity !== undefined) {
    want.intensity = intensity;
    await page.evaluate((v) => {
      const el = document.querySelector('#intensity');
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, intensity);
    await applied();
  }
  if (enabled !== undefined) {
    want.enabled = enabled;
    const now = await page.evaluate(() => window.auralis.engine.enh.enabled);
    if (now !== enabled) await page.click('#enh-toggle');
    await applied();
  }
  await page.waitForFunction(() => {
    const e = window.auralis.engine;
    return !e.ctx || e.ctx.currentTime >= e.settledAt;
  }, null, { polling: 20, timeout: 10_000 });
}
