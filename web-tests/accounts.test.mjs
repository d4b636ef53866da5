// Accounts through the page, against the real server: the first-run form, signing in and out,
// the account panel (password, API keys, users), a second user in another browser, and the
// page falling back to the sign-in form when its session ends. Elements are found by role and
// label, as a screen reader finds them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayer, playAlbum, signIn, signedInAs, waitForScan, until, ADMIN } from './lib/harness.mjs';

const NEW_PASSWORD = 'a better passphrase';
const BOB = { username: 'bob', password: 'bob password 1' };
let h;
let page; // the admin's page
let bob; // the second user's page, in another browser profile

/** A request from the test itself (node): no cookie, optionally an API key. */
async function call(path, { method = 'GET', body, key } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(h.server.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, headers: res.headers };
}
/** A request from a page, with its cookie. */
const pageCall = (p, path) => p.evaluate(async (u) => {
  const r = await fetch(u);
  return { status: r.status, json: await r.json().catch(() => null) };
}, path);

const form = (p, name) => p.getByRole('form', { name });
const signInForm = (p) => form(p, 'Sign in to Auralis');

async function signOut(p) {
  await p.getByRole('button', { name: 'Sign out' }).click();
  await signInForm(p).waitFor();
}

/** Fills the sign-in form and submits it; resolves when the form's alert speaks or the page is
 *  signed in. */
async function trySignIn(p, { username, password }) {
  const f = signInForm(p);
  await f.getByLabel('Username').fill(username);
  await f.getByLabel('Password', { exact: true }).fill(password);
  await f.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function openAccount(p) {
  await p.getByRole('link', { name: /^Account: / }).click();
  await p.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
}

describe('accounts in the page (real server, headless chromium)', { timeout: 180_000 }, () => {
  before(async () => {
    h = await openPlayer({ signIn: false, audioTap: false }); // the page's own CSP applies
    page = h.page;
  });
  after(async () => { await h?.close(); });

  it('first run: only the "create the admin account" form, which creates the admin and signs in', async () => {
    // this suite runs the page under the server's own Content-Security-Policy
    const csp = (await fetch(`${h.server.base}/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    const status = await call('/api/auth/status');
    assert.deepEqual(status.json, { setup_required: true, user: null });
    assert.equal((await call('/api/tracks')).status, 401);

    const f = form(page, 'Create the admin account');
    await f.waitFor();
    // nothing of the player before an account exists
    for (const [role, name] of [['navigation', 'Library'], ['contentinfo', 'Player'], ['searchbox', 'Search the library'], ['button', 'Sign out']]) {
      assert.equal(await page.getByRole(role, { name }).count(), 0, `${role} "${name}" shows before sign-in`);
    }
    const user = f.getByLabel('Username');
    const pw = f.getByLabel('Password', { exact: true });
    const confirm = f.getByLabel('Confirm password');
    assert.equal(await user.getAttribute('autocomplete'), 'username');
    assert.equal(await pw.getAttribute('autocomplete'), 'new-password');
    assert.equal(await confirm.getAttribute('autocomplete'), 'new-password');
    assert.equal(await pw.getAttribute('type'), 'password');
    assert.match(await f.textContent(), /at least 8 characters/i, 'the password rule is stated');
    assert.ok(await user.evaluate((el) => el === document.activeElement), 'the username field has the focus');

    // the two passwords must agree
    await user.fill(ADMIN.username);
    await pw.fill(ADMIN.password);
    await confirm.fill('something else');
    await f.getByRole('button', { name: 'Create account and sign in' }).click();
    await f.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
    assert.equal(await confirm.getAttribute('aria-invalid'), 'true');

    // a password the server refuses: its own message is shown
    const short = await call('/api/auth/setup', { method: 'POST', body: { username: ADMIN.username, password: 'short' } });
    assert.equal(short.status, 400);
    await pw.fill('short');
    await confirm.fill('short');
    await f.getByRole('button', { name: 'Create account and sign in' }).click();
    await f.getByRole('alert').filter({ hasText: short.json.message }).waitFor();

    await pw.fill(ADMIN.password);
    await confirm.fill(ADMIN.password);
    await f.getByRole('button', { name: 'Create account and sign in' }).click();
    await signedInAs(page, ADMIN.username);
    await page.getByRole('navigation', { name: 'Library' }).waitFor();
    const me = await pageCall(page, '/api/auth/status');
    assert.equal(me.json.setup_required, false);
    assert.equal(me.json.user.name, ADMIN.username);
    assert.equal(me.json.user.admin, true);

    // once an account exists, setup is refused
    const again = await call('/api/auth/setup', { method: 'POST', body: { username: 'intruder', password: 'intruder password' } });
    assert.equal(again.status, 409);
    assert.equal(again.json.error, 'conflict');
    await waitForScan(page, h.server.expectTracks);
  });

  it('sign out stops the audio, forgets the library on screen and shows the sign-in form', async () => {
    await playAlbum(page);
    await signOut(page);
    const s = await page.evaluate(() => {
      const e = window.auralis.engine;
      const st = window.auralis.state;
      return { playing: e.playing, ctx: e.ctx, track: e.trackId, queue: st.queue.length, user: st.user, view: document.querySelector('#view').textContent, title: document.title };
    });
    assert.deepEqual(s, { playing: false, ctx: null, track: null, queue: 0, user: null, view: '', title: 'Auralis' });
    assert.equal(await page.getByText('Multitone Suite').count(), 0, 'the previous user\'s library is still in the page');
    assert.equal(await page.getByRole('contentinfo', { name: 'Player' }).count(), 0);
    assert.equal(await signInForm(page).getByLabel('Password', { exact: true }).getAttribute('autocomplete'), 'current-password');
    assert.equal((await pageCall(page, '/api/tracks')).status, 401, 'the session cookie still works after sign-out');
  });

  it('a wrong password shows the server\'s message', async () => {
    const wrong = await call('/api/auth/login', { method: 'POST', body: { username: ADMIN.username, password: 'not the password' } });
    assert.equal(wrong.status, 401);
    await trySignIn(page, { username: ADMIN.username, password: 'not it either' });
    const f = signInForm(page);
    await f.getByRole('alert').filter({ hasText: wrong.json.message }).waitFor();
    assert.equal(await f.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
  });

  it('signs in again through the form, with the keyboard only', async () => {
    const f = signInForm(page);
    await f.getByLabel('Username').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(ADMIN.username);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    await signedInAs(page, ADMIN.username);
    await page.getByRole('button', { name: /^Album Multitone Suite/ }).waitFor();
  });

  it('the account panel changes the password: the new one signs in, the old one no longer', async () => {
    await openAccount(page);
    const f = form(page, 'Password');
    // a wrong current password: the server's message, and the page stays signed in
    await f.getByLabel('Current password').fill('not my password');
    await f.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await f.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await f.getByRole('button', { name: 'Change password' }).click();
    await f.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
    assert.equal(await f.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
    await signedInAs(page, ADMIN.username);

    await f.getByLabel('Current password').fill(ADMIN.password);
    await f.getByRole('button', { name: 'Change password' }).click();
    await f.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    assert.equal(await f.getByLabel('New password', { exact: true }).inputValue(), '', 'the form keeps the password');
    await signedInAs(page, ADMIN.username); // this session goes on

    await signOut(page);
    await trySignIn(page, ADMIN);
    await signInForm(page).getByRole('alert').filter({ hasText: /\S/ }).waitFor();
    await trySignIn(page, { username: ADMIN.username, password: NEW_PASSWORD });
    await signedInAs(page, ADMIN.username);
  });

  it('an API key made in the panel works as a Bearer key until it is revoked there', async () => {
    await openAccount(page);
    const keys = page.getByRole('region', { name: 'API keys' });
    await keys.getByText('No API keys yet.').waitFor();
    await keys.getByLabel('Key name').fill('test script');
    await keys.getByRole('button', { name: 'Create key' }).click();
    const shown = keys.getByLabel('New API key');
    await shown.waitFor();
    const key = await shown.inputValue();
    assert.ok(key.length >= 16, `key "${key}" too short`);
    assert.match(await keys.textContent(), /shown only this once/);
    assert.equal(await shown.getAttribute('readonly'), '');
    await keys.getByRole('button', { name: 'Copy key' }).waitFor();
    await keys.getByRole('row', { name: /test script/ }).waitFor();

    const ok = await call('/api/tracks', { key });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.items.length, h.server.expectTracks);
    assert.equal((await call('/api/tracks', { key: `${key}x` })).status, 401);

    // the list shows its last use
    await page.reload();
    await signedInAs(page, ADMIN.username);
    const row = page.getByRole('region', { name: 'API keys' }).getByRole('row', { name: /test script/ });
    await row.waitFor();
    assert.doesNotMatch(await row.textContent(), /Never/, 'the key\'s last use is not shown');
    await page.getByRole('region', { name: 'API keys' }).getByText('shown only this once').waitFor({ state: 'detached' });

    await row.getByRole('button', { name: 'Revoke key test script' }).click();
    const dialog = page.getByRole('dialog', { name: /Revoke the key/ });
    // Escape cancels: the key stays
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await call('/api/tracks', { key })).status, 200);
    await row.getByRole('button', { name: 'Revoke key test script' }).click();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('region', { name: 'API keys' }).getByRole('status').filter({ hasText: 'revoked' }).waitFor();
    await row.waitFor({ state: 'detached' });
    const gone = await call('/api/tracks', { key });
    assert.equal(gone.status, 401);
    assert.equal(gone.json.error, 'unauthorized');
  });

  it('the admin adds a user, who signs in elsewhere without the user list and with their own enhancement', async () => {
    await openAccount(page);
    const users = page.getByRole('region', { name: 'Users' });
    const add = form(page, 'Add a user');
    await add.getByLabel('Username').fill(BOB.username);
    await add.getByLabel('Password', { exact: true }).fill(BOB.password);
    assert.equal(await add.getByLabel(/Administrator/).isChecked(), false);
    await add.getByRole('button', { name: 'Add user' }).click();
    await users.getByRole('status').filter({ hasText: `“${BOB.username}” added` }).waitFor();
    const row = users.getByRole('row', { name: new RegExp(`^${BOB.username}\\b`) });
    await row.waitFor();
    assert.match(await row.textContent(), /User/);
    assert.doesNotMatch(await row.textContent(), /Administrator/);

    // a name in use: the server's message
    await add.getByLabel('Username').fill(BOB.username);
    await add.getByLabel('Password', { exact: true }).fill('another password');
    await add.getByRole('button', { name: 'Add user' }).click();
    await add.getByRole('alert').filter({ hasText: /\S/ }).waitFor();

    bob = await h.newPage('', { isolated: true });
    await signInForm(bob).waitFor();
    await signIn(bob, BOB);
    await openAccount(bob);
    await bob.getByRole('region', { name: 'API keys' }).waitFor();
    await bob.getByRole('region', { name: 'Password' }).waitFor();
    assert.equal(await bob.getByRole('region', { name: 'Users' }).count(), 0, 'a user sees the user list');
    assert.equal(await bob.getByRole('heading', { name: 'Add a user' }).count(), 0);
    assert.equal((await pageCall(bob, '/api/users')).status, 403);

    // bob's preset is bob's: the admin's stays
    const admin0 = (await pageCall(page, '/api/enhancement')).json;
    const bob0 = (await pageCall(bob, '/api/enhancement')).json;
    const preset = ['warm', 'bright'].find((p) => p !== admin0.preset && p !== bob0.preset);
    await bob.getByLabel('Enhancement preset').selectOption(preset);
    await until(bob, async (p) => (await (await fetch('/api/enhancement')).json()).preset === p, preset, { what: 'the preset on the server' });
    // the admin changes something too: any event of bob's change would have come before it
    await page.getByLabel('Enhancement preset').selectOption('punchy');
    await until(page, async () => (await (await fetch('/api/enhancement')).json()).preset === 'punchy', null, { what: 'the preset on the server' });
    assert.equal((await pageCall(bob, '/api/enhancement')).json.preset, preset, 'the admin moved bob\'s preset');
    await page.getByLabel('Enhancement preset').selectOption(admin0.preset);
    await until(page, async (p) => (await (await fetch('/api/enhancement')).json()).preset === p, admin0.preset, { what: 'the preset on the server' });
    assert.equal((await pageCall(bob, '/api/enhancement')).json.preset, preset, 'the admin moved bob\'s preset');
    assert.equal(await page.getByLabel('Enhancement preset').inputValue(), admin0.preset);
    assert.equal(await bob.getByLabel('Enhancement preset').inputValue(), preset);
  });

  it('the admin sets another user\'s password in a dialog', async () => {
    const users = page.getByRole('region', { name: 'Users' });
    await users.getByRole('button', { name: `Set password for ${BOB.username}` }).click();
    const d = page.getByRole('dialog', { name: `Set a password for ${BOB.username}` });
    await d.getByLabel('New password', { exact: true }).fill('bob second password');
    await d.getByLabel('Confirm new password').fill('bob second password');
    await d.getByRole('button', { name: 'Set password' }).click();
    await d.waitFor({ state: 'detached' });
    await users.getByRole('status').filter({ hasText: `Password of “${BOB.username}” changed` }).waitFor();
    BOB.password = 'bob second password';
    assert.equal((await call('/api/auth/login', { method: 'POST', body: BOB })).status, 200);
  });

  it('the last admin cannot be deleted: the server\'s message is shown', async () => {
    // what the server says to this (a 409, and the admin stays)
    const refused = await page.evaluate(async () => {
      const me = (await (await fetch('/api/auth/status')).json()).user;
      const r = await fetch(`/api/users/${me.id}`, { method: 'DELETE' });
      return { status: r.status, json: await r.json() };
    });
    assert.equal(refused.status, 409);
    const users = page.getByRole('region', { name: 'Users' });
    await users.getByRole('button', { name: `Delete user ${ADMIN.username}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete the user “${ADMIN.username}”?` });
    assert.match(await dialog.getByText(/your own account/).textContent(), /signed out/);
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await users.getByRole('alert').filter({ hasText: refused.json.message }).waitFor();
    await users.getByRole('row', { name: new RegExp(`^${ADMIN.username}\\b`) }).waitFor();
    await signedInAs(page, ADMIN.username);
  });

  it('a page whose user is deleted returns to the sign-in form at its next call, without reloading', async () => {
    let loads = 0;
    bob.on('load', () => { loads++; });
    // bob is still signed in somewhere, or signs in again if the new password ended the session
    await bob.goto(`${h.server.base}/#/albums`);
    await signIn(bob, BOB);
    loads = 0;
    const users = page.getByRole('region', { name: 'Users' });
    await users.getByRole('button', { name: `Delete user ${BOB.username}` }).click();
    await page.getByRole('dialog', { name: /Delete the user/ }).getByRole('button', { name: 'Delete user' }).click();
    await users.getByRole('status').filter({ hasText: 'deleted' }).waitFor();
    await users.getByRole('row', { name: new RegExp(`^${BOB.username}\\b`) }).waitFor({ state: 'detached' });

    // any call will do (the page may also have learnt it from its event stream already)
    await bob.evaluate(() => { location.hash = '#/tracks'; });
    await signInForm(bob).waitFor();
    await bob.getByText('Your session has ended').waitFor();
    assert.equal(await bob.getByRole('navigation', { name: 'Library' }).count(), 0);
    assert.equal(await bob.evaluate(() => document.querySelector('#view').textContent), '');
    assert.equal(loads, 0, 'the page reloaded');
    await trySignIn(bob, BOB);
    await signInForm(bob).getByRole('alert').filter({ hasText: /\S/ }).waitFor();
  });

  it('too many wrong passwords: the form says how long to wait', async () => {
    await signOut(page);
    let throttled = null;
    for (let i = 0; i < 15 && !throttled; i++) {
      const r = await call('/api/auth/login', { method: 'POST', body: { username: 'mallory', password: `guess ${i}` } });
      if (r.status === 429) throttled = r;
      else assert.equal(r.status, 401);
    }
    assert.ok(throttled, 'no 429 after 15 wrong passwords');
    assert.match(throttled.headers.get('retry-after') ?? '', /^\d+$/);
    await trySignIn(page, { username: 'mallory', password: 'one more guess' });
    await signInForm(page).getByRole('alert').filter({ hasText: /^Too many attempts; try again in \d+ s\.$/ }).waitFor();
    // only the answers this suite asked for show up as failed loads in the console
    const unexpected = h.errors.filter((e) => !/favicon/.test(e) && !/status of (400|401|403|409|429)/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
