// Shared set-up for the browser suites: server + chromium + the page with the T helpers.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** options: passed to startServer ({ chunkSeconds, trackSeconds }). */
export async function openPlayer(options = {}) {
  const server = await startServer(options);
  let b;
  try {
    b = await launch();
  } catch (e) {
    await server.stop();
    throw e;
  }
  const { page } = b;
  const open = async (p, hash = '') => {
    await p.goto(`${server.base}/${hash}`);
    await p.waitForFunction(() => window.auralis && window.auralis.engine);
    await p.addScriptTag({ path: path.join(HERE, 'page-audio.js') });
  };
  const goto = (hash) => open(page, hash);
  /** Another tab of the same browser: its own sessionStorage, so its own listener. */
  const newPage = async (hash = '') => {
    const p = await b.context.newPage();
    p.on('pageerror', (e) => b.errors.push(String(e)));
    await open(p, hash);
    return p;
  };
  await goto();
  const close = async () => { await b.close().catch(() => {}); await server.stop(); };
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
export async function setEnhancement(page, { enabled, preset, intensity }) {
  const want = {};
  const applied = () => page.waitForFunction(async (w) => {
    const e = window.auralis.engine.enh;
    const s = await (await fetch('/api/enhancement')).json();
    const same = (a, b) => (typeof b === 'number' ? Math.abs(a - b) < 1e-6 : a === b);
    return Object.entries(w).every(([k, v]) => same(e[k], v) && same(s[k], v));
  }, want, { polling: 20, timeout: 10_000 });
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
