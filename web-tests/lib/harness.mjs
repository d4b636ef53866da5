// Shared set-up for the browser suites: server + chromium + the page with the T helpers.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function openPlayer() {
  const server = await startServer();
  let b;
  try {
    b = await launch();
  } catch (e) {
    await server.stop();
    throw e;
  }
  const { page } = b;
  const goto = async (hash = '') => {
    await page.goto(`${server.base}/${hash}`);
    await page.waitForFunction(() => window.auralis && window.auralis.engine);
    await page.addScriptTag({ path: path.join(HERE, 'page-audio.js') });
  };
  await goto();
  const close = async () => { await b.close().catch(() => {}); await server.stop(); };
  return { server, page, errors: b.errors, goto, close };
}

/** Plays the album "Multitone Suite" through the UI (album card, then "Play album"). */
export async function playAlbum(page) {
  await page.goto(page.url().replace(/#.*$/, '') + '#/albums');
  await page.getByRole('button', { name: /Album Multitone Suite/ }).click();
  await page.locator('#play-album').click();
  await page.waitForFunction(() => {
    const e = window.auralis.engine;
    return e.playing && !e.buffering && e.position > 0.2;
  }, null, { timeout: 30_000 });
}

/** Sets the enhancement through the UI controls, then waits for the engine to apply it. */
export async function setEnhancement(page, { enabled, preset, intensity }) {
  if (preset !== undefined) await page.selectOption('#preset', preset);
  if (intensity !== undefined) {
    await page.evaluate((v) => {
      const el = document.querySelector('#intensity');
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, intensity);
  }
  if (enabled !== undefined) {
    const now = await page.evaluate(() => window.auralis.engine.enh.enabled);
    if (now !== enabled) await page.click('#enh-toggle');
  }
  await page.waitForTimeout(50);
}
