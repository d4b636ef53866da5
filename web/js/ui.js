// The Auralis page: sign-in and first-run forms, library views, queue, player bar, account
// panel, keyboard shortcuts, Media Session.
// All audio lives in engine.js; all HTTP in api.js. This module wires them to the DOM.
//
// Nothing but `/api/auth/status` is asked before a user is signed in; signing out (or losing
// the session) stops the audio, closes the event stream and clears every view, so the next
// user of the browser sees nothing of the previous one.

import { api, listenerId, onUnauthorized } from './api.js';
import { Engine } from './engine.js';

const $ = (sel) => document.querySelector(sel);
const engine = new Engine(api);
const DEFAULT_ENH = { enabled: true, preset: 'adaptive', intensity: 1 };
const state = {
  user: null, // the signed-in User {id, name, admin, created_at}, or null
  queue: [], // Track objects
  index: -1,
  tracks: new Map(), // id -> Track, everything we have seen
  albums: null,
  enh: { ...DEFAULT_ENH },
  cache: null, // { trackId, percent, full }
  seeking: false,
};
window.auralis = { engine, state, api, listenerId }; // handy in the console, and the hook the browser tests use

// ---- small helpers ------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export function fmtTime(s) {
  if (!Number.isFinite(s) || s < 0) s = 0;
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return `${m}:${String(sec).padStart(2, '0')}`;
}

function toast(msg) {
  const t = $('#toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}

function remember(tracks) { for (const t of tracks) state.tracks.set(t.id, t); return tracks; }
const current = () => state.queue[state.index] ?? null;

function artwork(track, cls = 'cover') {
  const label = (track?.album || track?.title || '?').trim().charAt(0).toUpperCase();
  if (!track?.has_artwork) return h('div', { class: 'art-ph', 'aria-hidden': 'true' }, label);
  const img = h('img', { class: cls, src: api.artworkUrl(track.id), alt: '', loading: 'lazy' });
  img.addEventListener('error', () => img.replaceWith(h('div', { class: 'art-ph', 'aria-hidden': 'true' }, label)));
  return img;
}

// ---- views --------------------------------------------------------------------------------
// A view builds its nodes and returns them; route() paints them only if no newer route (or a
// sign-out) came meanwhile, so a slow answer never paints over a newer view or another user.

const page = (title, ...content) => [h('h1', {}, title), ...content];

let routeSeq = 0;
/** Paints a view's nodes now, superseding any route still loading. */
function paint(nodes) {
  routeSeq++;
  $('#view').replaceChildren(...nodes);
}

function trackTable(tracks, { showAlbum = true } = {}) {
  if (!tracks.length) return h('p', { class: 'empty' }, 'No tracks.');
  const cur = current();
  return h('table', { class: 'tracks' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Title'), h('th', {}, 'Artist'),
      showAlbum ? h('th', {}, 'Album') : null, h('th', {}, 'Time'), h('th', {}, h('span', { class: 'sr' }, '')))),
    h('tbody', {}, tracks.map((t, i) => h('tr', { class: cur?.id === t.id ? 'playing' : null, 'data-track-id': t.id },
      h('td', { class: 'num' }, t.track_number ?? i + 1),
      h('td', {}, t.title),
      h('td', {}, t.artist ?? ''),
      showAlbum ? h('td', {}, t.album ?? '') : null,
      h('td', { class: 'dur' }, fmtTime(t.duration_s)),
      h('td', { class: 'act' },
        h('button', { class: 'mini', type: 'button', 'aria-label': `Play ${t.title}`, onclick: () => playList(tracks, i) }, '▶'),
        ' ',
        h('button', { class: 'mini', type: 'button', 'aria-label': `Add ${t.title} to queue`, onclick: () => enqueue(t) }, '+'))))));
}

async function albumsView() {
  const { items } = state.albums ?? (state.albums = await api.albums());
  return page('Albums', items.length ? albumGrid(items) : h('p', { class: 'empty' }, 'No albums yet. Is the scan still running?'));
}

function albumGrid(albums) {
  return h('div', { class: 'grid' }, albums.map((a) => h('button', {
    class: 'card', type: 'button', 'aria-label': `Album ${a.title} by ${a.artist ?? 'unknown artist'}`,
    onclick: () => { location.hash = `#/album/${a.id}`; },
  }, artwork({ id: a.cover_track_id, has_artwork: a.has_artwork, album: a.title }),
  h('span', { class: 't' }, a.title), h('span', { class: 's' }, a.artist ?? ''))));
}

async function albumView(id) {
  const a = await api.album(id);
  remember(a.tracks);
  const cover = artwork({ id: a.cover_track_id, has_artwork: a.has_artwork, album: a.title });
  return [
    h('div', { class: 'album-head' }, cover, h('div', {},
      h('h1', {}, a.title),
      h('div', { class: 'muted' }, [a.artist, a.year, `${a.track_count} tracks`, fmtTime(a.duration_s)].filter(Boolean).join(' · ')),
      h('div', { class: 'row-actions' },
        h('button', { class: 'btn', type: 'button', id: 'play-album', onclick: () => playList(a.tracks, 0) }, '▶ Play album'),
        h('button', { class: 'btn secondary', type: 'button', onclick: () => a.tracks.forEach(enqueue) }, '+ Queue album')))),
    trackTable(a.tracks, { showAlbum: false })];
}

async function artistsView() {
  const { items } = await api.artists();
  return page('Artists', items.length ? h('ul', { class: 'list' }, items.map((ar) => h('li', {},
    h('button', { type: 'button', onclick: () => { location.hash = `#/artist/${ar.id}`; } },
      h('strong', {}, ar.name), h('span', { class: 'muted' }, ` · ${ar.album_count} albums · ${ar.track_count} tracks`)))))
    : h('p', { class: 'empty' }, 'No artists.'));
}

async function artistView(id) {
  const [{ items: artists }, albums] = await Promise.all([api.artists(), state.albums ?? api.albums()]);
  state.albums = albums;
  const ar = artists.find((x) => x.id === Number(id));
  if (!ar) return page('Unknown artist');
  const { items } = await api.tracks({ q: ar.name, limit: 1000 });
  const tracks = remember(items.filter((t) => t.artist_id === ar.id || t.artist === ar.name));
  const theirAlbums = albums.items.filter((a) => a.artist === ar.name || tracks.some((t) => t.album_id === a.id));
  return page(ar.name, h('h2', {}, 'Albums'), albumGrid(theirAlbums), h('h2', {}, 'Tracks'), trackTable(tracks));
}

async function tracksView() {
  const { items, total } = await api.tracks({ limit: 1000 });
  remember(items);
  return page(`Tracks (${total})`, trackTable(items));
}

async function searchView(q) {
  const [{ items }, albums, { items: artists }] = await Promise.all([api.tracks({ q, limit: 200 }), state.albums ?? api.albums(), api.artists()]);
  state.albums = albums;
  remember(items);
  const ql = q.toLowerCase();
  const al = albums.items.filter((a) => `${a.title} ${a.artist ?? ''}`.toLowerCase().includes(ql));
  const ar = artists.filter((a) => a.name.toLowerCase().includes(ql));
  return page(`Search: “${q}”`,
    al.length ? [h('h2', {}, 'Albums'), albumGrid(al)] : [],
    ar.length ? [h('h2', {}, 'Artists'), h('ul', { class: 'list' }, ar.map((a) => h('li', {}, h('button', { type: 'button', onclick: () => { location.hash = `#/artist/${a.id}`; } }, a.name))))] : [],
    h('h2', {}, 'Tracks'), trackTable(items));
}

function queueView() {
  const q = state.queue;
  return page('Queue', q.length ? h('ul', { class: 'list', id: 'queue-list' }, q.map((t, i) => h('li', {},
    h('button', { type: 'button', 'aria-current': i === state.index ? 'true' : null, onclick: () => playIndex(i) },
      i === state.index ? '▶ ' : `${i + 1}. `, h('strong', {}, t.title), h('span', { class: 'muted' }, ` · ${t.artist ?? ''}`)))))
    : h('p', { class: 'empty' }, 'The queue is empty. Play an album or add tracks with +.'));
}

/** Scan status, a rescan button (for admins: scanning is theirs) and the files the scan could
 *  not read (with the reason). */
async function libraryView() {
  const [scan, { items }] = await Promise.all([api.scanStatus(), api.unreadable()]);
  const r = scan.last_report;
  const status = scan.running
    ? `Scanning: ${scan.processed} of ${scan.total ?? scan.seen} files…`
    : r ? `Last scan: ${r.added} added, ${r.updated} updated, ${r.removed} removed, ${r.unchanged} unchanged, ${r.unreadable} unreadable (${r.seconds.toFixed(1)} s)`
      : 'No scan yet.';
  return page('Library',
    h('p', { id: 'scan-status' }, status),
    scan.error ? h('p', { class: 'empty' }, `The last scan failed: ${scan.error}`) : [],
    state.user?.admin
      ? h('button', { class: 'btn', type: 'button', id: 'rescan', disabled: scan.running,
        onclick: async () => { await api.startScan(); route(); } }, 'Rescan')
      : h('p', { class: 'muted' }, 'An administrator can rescan the music folder.'),
    h('h2', {}, 'Unreadable files'),
    items.length ? h('ul', { class: 'list', id: 'unreadable' }, items.map((f) => h('li', {},
      h('strong', {}, f.path), h('span', { class: 'muted' }, ` · ${f.reason}`))))
      : h('p', { class: 'empty' }, 'Every file could be read.'));
}

const VIEWS = {
  album: albumView, artists: artistsView, artist: artistView, tracks: tracksView,
  queue: queueView, library: libraryView, account: accountView, search: (q) => searchView(decodeURIComponent(q ?? '')),
};

async function route() {
  if (!state.user) return; // the sign-in form is showing; the hash is used once signed in
  const seq = ++routeSeq;
  const hash = location.hash || '#/albums';
  const [, name, arg] = hash.match(/^#\/([a-z]+)(?:\/(.*))?$/) ?? [null, 'albums'];
  for (const a of document.querySelectorAll('.tabs a')) {
    a.toggleAttribute('aria-current', a.dataset.tab === name);
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
  }
  $('#account-link').toggleAttribute('aria-current', name === 'account');
  if (name === 'account') $('#account-link').setAttribute('aria-current', 'page');
  let nodes;
  try {
    nodes = await (VIEWS[name] ?? albumsView)(arg);
  } catch (e) {
    if (e.status === 401) return; // the session has ended: the sign-in form takes over
    nodes = page('Something went wrong', h('p', { class: 'empty' }, e.message));
  }
  if (seq === routeSeq && state.user) $('#view').replaceChildren(...nodes);
}

// ---- forms and dialogs --------------------------------------------------------------------

/** An error that belongs to one field: the field is marked invalid and gets the focus. */
class FieldError extends Error {
  constructor(message, input) { super(message); this.input = input; }
}

/** A labelled input with an optional hint (tied to it with aria-describedby). */
function field(label, attrs, hint = null) {
  const hintId = hint ? `${attrs.id}-hint` : null;
  return h('div', { class: 'fld' },
    h('label', { for: attrs.id }, label),
    h('input', { type: 'text', ...attrs, 'aria-describedby': hintId }),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

const alertLine = () => h('p', { class: 'form-error', role: 'alert' });
const statusLine = () => h('p', { class: 'form-ok', role: 'status' });

/** Wires a form's submit: the alert is cleared, `action(form)` runs once at a time, and what it
 *  throws is shown in the form's alert (an ApiError with the server's message). */
function onSubmit(form, action) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    const alert = form.querySelector('.form-error');
    const ok = form.querySelector('.form-ok');
    alert.textContent = '';
    if (ok) ok.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    form.setAttribute('aria-busy', 'true');
    try {
      await action(form);
    } catch (err) {
      if (!form.isConnected) return;
      alert.textContent = err.message;
      if (err.input) {
        err.input.setAttribute('aria-invalid', 'true');
        err.input.setAttribute('aria-errormessage', alert.id || (alert.id = `err-${Math.random().toString(36).slice(2)}`));
        err.input.focus();
        err.input.select?.();
      }
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

/** The two new-password fields must agree (the server cannot check that). */
function sameNewPasswords(pw, confirm) {
  if (pw.value !== confirm.value) throw new FieldError('The two passwords differ.', confirm);
}

/** A modal dialog named by its heading `labelId` (and described by `describedBy`); `closed`
 *  resolves to its return value, and the focus goes back where it was. */
function modal({ labelId, describedBy = null }, ...content) {
  const back = document.activeElement;
  const d = h('dialog', { 'aria-labelledby': labelId, 'aria-describedby': describedBy }, ...content);
  const closed = new Promise((resolve) => d.addEventListener('close', () => {
    d.remove();
    if (back?.isConnected) back.focus();
    resolve(d.returnValue);
  }));
  document.body.append(d);
  d.showModal();
  return { dialog: d, closed };
}

/** Asks "are you sure?"; resolves true only for the confirming button (Escape cancels). */
async function confirmDialog({ title, text, confirm }) {
  const { closed } = modal({ labelId: 'confirm-title', describedBy: 'confirm-text' }, h('form', { method: 'dialog' },
    h('h2', { id: 'confirm-title' }, title),
    h('p', { id: 'confirm-text' }, text),
    h('div', { class: 'row-actions end' },
      h('button', { class: 'btn secondary', type: 'submit', value: 'cancel' }, 'Cancel'),
      h('button', { class: 'btn danger', type: 'submit', value: 'ok' }, confirm))));
  return (await closed) === 'ok';
}

/** A time of the accounts API (Unix seconds) as a table cell; null is "Never". */
function dateCell(t) {
  const d = typeof t === 'number' ? new Date(t * 1000) : t ? new Date(t) : null;
  if (!d) return h('td', {}, 'Never');
  if (Number.isNaN(d.getTime())) return h('td', {}, String(t));
  return h('td', {}, h('time', { datetime: d.toISOString() }, d.toLocaleString()));
}

// ---- account panel (#/account) ------------------------------------------------------------

async function accountView() {
  const me = state.user;
  const [{ items: keys }, users] = await Promise.all([api.apiKeys(), me.admin ? api.users() : null]);
  return page('Account',
    h('p', { class: 'muted' }, `Signed in as ${me.name}${me.admin ? ', administrator' : ''}.`),
    passwordSection(me),
    keysSection(keys),
    me.admin ? usersSection(users.items) : []);
}

function section(id, title, ...content) {
  return h('section', { class: 'panel', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title`, tabindex: '-1' }, title), ...content);
}

function passwordSection(me) {
  const form = h('form', { class: 'stack', 'aria-labelledby': 'pw-title' },
    field('Current password', { id: 'pw-old', type: 'password', autocomplete: 'current-password', required: true }),
    field('New password', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters.'),
    field('Confirm new password', { id: 'pw-confirm', type: 'password', autocomplete: 'new-password', required: true }),
    alertLine(), statusLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Change password'));
  onSubmit(form, async () => {
    const [old, pw, confirm] = ['#pw-old', '#pw-new', '#pw-confirm'].map((s) => form.querySelector(s));
    sameNewPasswords(pw, confirm);
    try {
      await api.setPassword(me.id, pw.value, old.value);
    } catch (e) {
      throw e.status === 401 ? new FieldError(e.message, old) : e;
    }
    form.reset();
    form.querySelector('.form-ok').textContent = 'Password changed. Your other sessions have been signed out.';
  });
  return section('pw', 'Password', form);
}

function keysSection(keys) {
  const list = h('div', {});
  const news = h('div', {});
  const alert = alertLine();
  const status = statusLine();
  const heading = () => list.closest('section')?.querySelector('h2');
  const reload = async () => { showKeys((await api.apiKeys()).items); };
  const showKeys = (items) => list.replaceChildren(items.length
    ? h('table', { class: 'rows', 'aria-labelledby': 'keys-title' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Created'), h('th', {}, 'Last used'), h('th', {}, h('span', { class: 'sr' }, 'Actions')))),
      h('tbody', {}, items.map((k) => h('tr', { 'data-key-id': k.id },
        h('td', {}, k.name), dateCell(k.created_at), dateCell(k.last_used),
        h('td', { class: 'act' }, h('button', { class: 'mini', type: 'button', 'aria-label': `Revoke key ${k.name}`, onclick: () => revoke(k) }, 'Revoke'))))))
    : h('p', { class: 'empty' }, 'No API keys yet.'));
  async function revoke(k) {
    const sure = await confirmDialog({
      title: `Revoke the key “${k.name}”?`,
      text: 'Scripts and apps that use it are refused from now on. This cannot be undone.',
      confirm: 'Revoke key',
    });
    if (!sure) return;
    alert.textContent = '';
    status.textContent = '';
    try {
      await api.revokeApiKey(k.id);
      status.textContent = `Key “${k.name}” revoked.`;
    } catch (e) { alert.textContent = e.message; }
    await reload().catch(() => {});
    heading()?.focus();
  }
  const form = h('form', { class: 'inline-form', 'aria-labelledby': 'newkey-title' },
    field('Key name', { id: 'key-name', required: true, maxlength: '64', autocomplete: 'off', placeholder: 'e.g. phone, backup script' }),
    h('button', { class: 'btn', type: 'submit' }, 'Create key'),
    alertLine());
  onSubmit(form, async () => {
    const name = form.querySelector('#key-name');
    if (!name.value.trim()) throw new FieldError('Give the key a name.', name);
    const k = await api.createApiKey(name.value.trim());
    form.reset();
    status.textContent = '';
    showNewKey(k);
    await reload();
  });
  function showNewKey(k) {
    const out = h('input', { id: 'new-key', type: 'text', readonly: true, value: k.key, class: 'mono', 'aria-describedby': 'new-key-warning', spellcheck: 'false' });
    const copied = h('span', { class: 'form-ok', role: 'status' });
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(k.key);
      } catch {
        out.select(); // plain http on a home network has no clipboard API; the old way still works
        document.execCommand('copy');
      }
      copied.textContent = 'Copied.';
    };
    news.replaceChildren(h('div', { class: 'new-key' },
      h('p', { id: 'new-key-warning', class: 'warn' }, `This is the key “${k.name}”. Copy it now: it is shown only this once, and anyone who has it can use Auralis as you.`),
      h('div', { class: 'fld' }, h('label', { for: 'new-key' }, 'New API key'),
        h('div', { class: 'inline-form' }, out,
          h('button', { class: 'btn', type: 'button', onclick: copy }, 'Copy key'),
          h('button', { class: 'btn secondary', type: 'button', onclick: () => { news.replaceChildren(); form.querySelector('#key-name').focus(); } }, 'Done'),
          copied))));
    out.focus();
    out.select();
  }
  showKeys(keys);
  return section('keys', 'API keys',
    h('p', { class: 'muted' }, 'A key lets a script or an app use Auralis as you: it sends the header “Authorization: Bearer <key>”.'),
    list, alert, status, news, h('h3', { id: 'newkey-title' }, 'Create a key'), form);
}

function usersSection(users) {
  const me = state.user;
  const list = h('div', {});
  const alert = alertLine();
  const status = statusLine();
  const heading = () => list.closest('section')?.querySelector('h2');
  const reload = async () => { showUsers((await api.users()).items); };
  const showUsers = (items) => list.replaceChildren(h('table', { class: 'rows', 'aria-labelledby': 'users-title' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Role'), h('th', {}, 'Created'), h('th', {}, h('span', { class: 'sr' }, 'Actions')))),
    h('tbody', {}, items.map((u) => h('tr', { 'data-user-id': u.id },
      h('td', {}, u.name, u.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', {}, u.admin ? 'Administrator' : 'User'),
      dateCell(u.created_at),
      h('td', { class: 'act' },
        u.id === me.id ? null // one's own password is changed above, with the old one
          : h('button', { class: 'mini', type: 'button', 'aria-label': `Set password for ${u.name}`, onclick: () => setPassword(u) }, 'Set password'),
        ' ',
        h('button', { class: 'mini', type: 'button', 'aria-label': `Delete user ${u.name}`, onclick: () => remove(u) }, 'Delete')))))));
  const say = (ok, err = '') => { status.textContent = ok; alert.textContent = err; };
  async function remove(u) {
    const sure = await confirmDialog({
      title: `Delete the user “${u.name}”?`,
      text: u.id === me.id
        ? 'This is your own account: you will be signed out and cannot sign in again.'
        : `${u.name} can no longer sign in, and their API keys stop working. This cannot be undone.`,
      confirm: 'Delete user',
    });
    if (!sure) return;
    say('');
    try {
      await api.deleteUser(u.id);
      say(`User “${u.name}” deleted.`);
    } catch (e) {
      if (e.status === 401) return;
      say('', e.message); // e.g. 409: the last administrator cannot be deleted
    }
    await reload().catch(() => {});
    heading()?.focus();
  }
  async function setPassword(u) {
    const form = h('form', { class: 'stack' },
      h('h2', { id: 'setpw-title' }, `Set a password for ${u.name}`),
      field('New password', { id: 'setpw-new', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters. Their sessions end.'),
      field('Confirm new password', { id: 'setpw-confirm', type: 'password', autocomplete: 'new-password', required: true }),
      alertLine(),
      h('div', { class: 'row-actions end' },
        h('button', { class: 'btn secondary', type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'),
        h('button', { class: 'btn', type: 'submit' }, 'Set password')));
    const { dialog, closed } = modal({ labelId: 'setpw-title' }, form);
    onSubmit(form, async () => {
      const [pw, confirm] = ['#setpw-new', '#setpw-confirm'].map((s) => form.querySelector(s));
      sameNewPasswords(pw, confirm);
      await api.setPassword(u.id, pw.value);
      dialog.close('ok');
    });
    if ((await closed) === 'ok') say(`Password of “${u.name}” changed.`);
  }
  const form = h('form', { class: 'stack', 'aria-labelledby': 'adduser-title' },
    h('h3', { id: 'adduser-title' }, 'Add a user'),
    field('Username', { id: 'adduser-name', autocomplete: 'off', required: true, maxlength: '64' }, '1 to 64 characters.'),
    field('Password', { id: 'adduser-password', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters.'),
    h('div', { class: 'fld check' },
      h('input', { id: 'adduser-admin', type: 'checkbox' }),
      h('label', { for: 'adduser-admin' }, 'Administrator (can manage users, scan the library and clear the cache)')),
    alertLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Add user'));
  onSubmit(form, async () => {
    const name = form.querySelector('#adduser-name');
    const u = await api.createUser(name.value, form.querySelector('#adduser-password').value, form.querySelector('#adduser-admin').checked);
    form.reset();
    say(`User “${u?.name ?? name.value}” added.`);
    await reload();
    name.focus();
  });
  showUsers(users);
  return section('users', 'Users', list, alert, status, form);
}

// ---- queue and playback -------------------------------------------------------------------

function refreshQueue() {
  $('#queue-count').textContent = state.queue.length;
  engine.setNext(state.queue[state.index + 1]?.id ?? null);
  if (state.user && (location.hash || '').startsWith('#/queue')) paint(queueView());
  for (const tr of document.querySelectorAll('tr[data-track-id]')) {
    tr.classList.toggle('playing', Number(tr.dataset.trackId) === current()?.id);
  }
}

function playList(tracks, i) {
  state.queue = [...tracks];
  playIndex(i);
}

function enqueue(t) {
  state.queue.push(t);
  if (state.index < 0) playIndex(state.queue.length - 1);
  else refreshQueue();
}

function playIndex(i) {
  if (i < 0 || i >= state.queue.length) return;
  state.index = i;
  const t = current();
  nowPlaying(t);
  refreshQueue();
  engine.load(t.id, { at: 0, play: true });
}

function next() { if (state.index + 1 < state.queue.length) playIndex(state.index + 1); }
function prev() {
  if (engine.position > 3 || state.index <= 0) engine.seek(0);
  else playIndex(state.index - 1);
}

function nowPlaying(t) {
  $('#np-title').textContent = t?.title ?? 'Nothing playing';
  $('#np-artist').textContent = t ? [t.artist, t.album].filter(Boolean).join(' — ') : '';
  document.title = t ? `${t.title} · Auralis` : 'Auralis';
  const img = $('#np-art');
  img.hidden = !t?.has_artwork;
  $('#np-art-ph').hidden = !!t?.has_artwork;
  if (t?.has_artwork) img.src = api.artworkUrl(t.id);
  $('#seek').max = t?.duration_s ?? 0;
  $('#time-dur').textContent = fmtTime(t?.duration_s);
  showCache(null);
  if (t) api.cacheStatus(t.id).then((c) => showCache({ trackId: t.id, percent: c.percent, full: c.fully_cached })).catch(() => {});
  if ('mediaSession' in navigator && t) {
    navigator.mediaSession.metadata = new MediaMetadata({
      title: t.title, artist: t.artist ?? '', album: t.album ?? '',
      artwork: t.has_artwork ? [{ src: api.artworkUrl(t.id) }] : [],
    });
  }
}

function showCache(c) {
  if (c && state.cache && c.trackId === state.cache.trackId && state.cache.full && !c.full) c.full = true;
  state.cache = c;
  const el = $('#cache');
  if (!c || c.trackId !== current()?.id) { el.hidden = true; return; }
  el.hidden = false;
  const pct = Math.min(100, Math.round(c.full ? 100 : c.percent));
  el.classList.toggle('full', pct >= 100);
  el.textContent = pct >= 100 ? '✓ Cached' : `Caching ${pct}%`;
  el.dataset.percent = pct;
}

// ---- engine events ------------------------------------------------------------------------

engine.addEventListener('trackchange', (e) => {
  const { trackId, auto } = e.detail;
  if (!auto) return;
  // gapless hand-over to the next track in the queue
  if (state.queue[state.index + 1]?.id === trackId) state.index++;
  nowPlaying(current());
  refreshQueue();
});

engine.addEventListener('statechange', (e) => {
  const s = e.detail;
  $('#play').classList.toggle('playing', s.playing);
  $('#play').setAttribute('aria-label', s.playing ? 'Pause' : 'Play');
  $('#buffering').hidden = !(s.buffering && s.trackId !== null);
  if ('mediaSession' in navigator) navigator.mediaSession.playbackState = s.playing ? 'playing' : 'paused';
});

let lastPositionState = 0;
engine.addEventListener('timeupdate', (e) => {
  const { position, duration } = e.detail;
  if (!state.seeking) {
    $('#seek').value = position;
    $('#time-cur').textContent = fmtTime(position);
  }
  if (duration) { $('#seek').max = duration; $('#time-dur').textContent = fmtTime(duration); }
  const now = performance.now();
  if ('mediaSession' in navigator && duration && now - lastPositionState > 1000) {
    lastPositionState = now;
    try { navigator.mediaSession.setPositionState({ duration, position: Math.min(position, duration), playbackRate: 1 }); } catch { /* ignore */ }
  }
});

engine.addEventListener('ended', () => {
  if (state.index + 1 < state.queue.length) next();
});
engine.addEventListener('error', (e) => { if (state.user) toast(`Playback problem: ${e.detail.message}`); });

// ---- enhancement --------------------------------------------------------------------------

function showEnh() {
  const { enabled, preset, intensity } = state.enh;
  const b = $('#enh-toggle');
  b.setAttribute('aria-pressed', String(enabled));
  b.querySelector('.label').textContent = enabled ? 'Enhanced' : 'Original';
  $('#preset').value = preset;
  $('#intensity').value = intensity;
  $('#intensity-out').textContent = `${Math.round(intensity * 100)}%`;
}

function applyEnh(next) {
  state.enh = { ...state.enh, ...next };
  engine.setEnhancement(state.enh);
  showEnh();
}

let persistSeq = 0;
async function persist(call) {
  // only the answer to the latest change is applied: an older one may arrive after it
  const seq = ++persistSeq;
  try {
    const s = await call();
    if (seq === persistSeq) applyEnh(s);
  } catch (e) {
    if (state.user && e.status !== 401) toast(`Could not save the enhancement setting: ${e.message}`);
  }
}

function toggleEnh() {
  const enabled = !state.enh.enabled;
  applyEnh({ enabled }); // heard now; the server is told afterwards
  persist(() => api.setEnabled(enabled));
}

$('#enh-toggle').addEventListener('click', toggleEnh);
$('#preset').addEventListener('change', (e) => {
  const preset = e.target.value;
  applyEnh({ preset });
  persist(() => api.setPreset(preset));
});
$('#intensity').addEventListener('input', (e) => applyEnh({ intensity: Number(e.target.value) }));
$('#intensity').addEventListener('change', (e) => persist(() => api.setIntensity(Number(e.target.value))));

// ---- transport controls -------------------------------------------------------------------

$('#play').addEventListener('click', () => {
  if (!current() && state.queue.length) playIndex(0);
  else engine.toggle();
});
$('#next').addEventListener('click', next);
$('#prev').addEventListener('click', prev);
const seekEl = $('#seek');
seekEl.addEventListener('input', () => { state.seeking = true; $('#time-cur').textContent = fmtTime(Number(seekEl.value)); });
seekEl.addEventListener('change', () => { state.seeking = false; engine.seek(Number(seekEl.value)); });

let searchTimer;
$('#search').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  const q = e.target.value.trim();
  searchTimer = setTimeout(() => { location.hash = q ? `#/search/${encodeURIComponent(q)}` : '#/albums'; }, 250);
});

$('#help-btn').addEventListener('click', () => $('#shortcuts').showModal());

document.addEventListener('keydown', (e) => {
  const tag = e.target.tagName;
  const typing = tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.target.isContentEditable;
  if (!state.user || typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === ' ' && tag !== 'BUTTON') { e.preventDefault(); engine.toggle(); }
  else if (e.key === 'ArrowLeft' && e.shiftKey) { e.preventDefault(); prev(); }
  else if (e.key === 'ArrowRight' && e.shiftKey) { e.preventDefault(); next(); }
  else if (e.key === 'ArrowLeft') { e.preventDefault(); engine.seek(Math.max(0, engine.position - 10)); }
  else if (e.key === 'ArrowRight') { e.preventDefault(); engine.seek(Math.min(engine.duration, engine.position + 10)); }
  else if (e.key === 'e' || e.key === 'E') toggleEnh();
  else if (e.key === '/') { e.preventDefault(); $('#search').focus(); }
  else if (e.key === '?') $('#shortcuts').showModal();
});

if ('mediaSession' in navigator) {
  const ms = navigator.mediaSession;
  const set = (action, fn) => { try { ms.setActionHandler(action, fn); } catch { /* unsupported */ } };
  set('play', () => engine.play());
  set('pause', () => engine.pause());
  set('previoustrack', prev);
  set('nexttrack', next);
  set('seekto', (d) => engine.seek(d.seekTime));
  set('seekbackward', (d) => engine.seek(Math.max(0, engine.position - (d.seekOffset || 10))));
  set('seekforward', (d) => engine.seek(engine.position + (d.seekOffset || 10)));
}

// ---- server events ------------------------------------------------------------------------

const serverEvents = {
  track_progress: (d) => {
    if (d.track_id === current()?.id && d.preset === state.enh.preset) showCache({ trackId: d.track_id, percent: d.percent, full: d.percent >= 100 });
  },
  track_cached: (d) => {
    if (d.track_id === current()?.id && d.preset === state.enh.preset) showCache({ trackId: d.track_id, percent: 100, full: true });
  },
  evicted: (d) => {
    if (d.track_id === current()?.id) showCache({ trackId: d.track_id, percent: 0, full: false });
  },
  enhancement: (d) => {
    const same = d.enabled === state.enh.enabled && d.preset === state.enh.preset && d.intensity === state.enh.intensity;
    if (!same && document.activeElement !== $('#intensity')) applyEnh(d);
  },
  scan: (d) => {
    if (d.running) return;
    state.albums = null;
    if (!location.hash || ['#/albums', '#/library'].includes(location.hash)) route();
  },
};

let events = null; // the EventSource, open only while a user is signed in
function openEvents() {
  closeEvents();
  const es = api.events({
    ...serverEvents,
    // The browser gave up (a 401 once the session has ended, or a 503 when too many streams
    // are open): find out which, and try again later while still signed in.
    closed: () => {
      if (events !== es) return;
      events = null;
      checkSession().then(() => setTimeout(() => { if (state.user && !events) openEvents(); }, 5000));
    },
  });
  events = es;
}
function closeEvents() {
  events?.close();
  events = null;
}

// ---- session: first run, sign-in, sign-out ------------------------------------------------

/** Shows the signed-in page (header, tabs, views, player) or, signed out, only the form. */
function showChrome(signedIn) {
  for (const el of [$('#search'), $('#help-btn'), $('#user-menu'), $('.tabs'), $('#view'), $('footer.player')]) el.hidden = !signedIn;
  $('#auth').hidden = signedIn;
  document.body.classList.toggle('signed-out', !signedIn);
}

function signedIn(user) {
  state.user = user;
  $('#user-name').textContent = user.name;
  $('#auth').replaceChildren();
  showChrome(true);
  openEvents();
  api.enhancement().then((s) => { if (state.user === user) applyEnh(s); })
    .catch((e) => { if (e.status !== 401) toast(`Could not load the enhancement settings: ${e.message}`); });
  route();
  $('#view').focus();
}

/** Forgets everything of the signed-in user: audio, queue, views, settings, event stream. */
function clearSession() {
  state.user = null;
  routeSeq++; // a view still loading is not painted
  persistSeq++; // nor an enhancement answer
  closeEvents();
  engine.stop();
  Object.assign(state, { queue: [], index: -1, tracks: new Map(), albums: null, cache: null, seeking: false });
  applyEnh(DEFAULT_ENH);
  nowPlaying(null);
  $('#np-art').removeAttribute('src');
  $('#seek').value = 0;
  $('#time-cur').textContent = fmtTime(0);
  $('#queue-count').textContent = '0';
  $('#view').replaceChildren();
  clearTimeout(searchTimer);
  $('#search').value = '';
  $('#user-name').textContent = '';
  $('#toast').hidden = true;
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  if ('mediaSession' in navigator) {
    navigator.mediaSession.metadata = null;
    navigator.mediaSession.playbackState = 'none';
  }
  // the next user starts at the albums, not in the previous one's view
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  showChrome(false);
}

async function signOut() {
  clearSession(); // silent at once, whatever the server answers
  try {
    await api.logout();
    showAuth('signin');
  } catch (e) {
    showAuth('signin', `The server could not end the session (${e.message}); you may still be signed in.`);
  }
}

let checking = null;
/** Asks the server who we are after a 401 (or a closed event stream) and acts on the answer:
 *  still the same user, nothing; nobody, the sign-in form; someone else (another tab of this
 *  browser signed in meanwhile), that user's page. Never reloads, so it cannot loop. */
function checkSession() {
  checking ??= api.authStatus().then((s) => {
    if (!state.user) return; // signed out meanwhile
    if (s.user?.id === state.user.id) return;
    clearSession();
    if (s.user) signedIn(s.user);
    else showAuth(s.setup_required ? 'setup' : 'signin', 'Your session has ended. Sign in again.');
  }).catch(() => { /* the server is unreachable: the next call will tell */ }).finally(() => { checking = null; });
  return checking;
}
onUnauthorized(() => { if (state.user) checkSession(); });

/** The first-run form ('setup') or the sign-in form ('signin'), with an optional notice. */
function showAuth(kind, notice = '') {
  const form = kind === 'setup' ? setupForm() : signInForm();
  $('#auth').replaceChildren(h('div', { class: 'auth-card' },
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    form));
  showChrome(false);
  form.querySelector('input').focus();
}

function setupForm() {
  const form = h('form', { class: 'stack', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, 'Create the admin account'),
    h('p', { class: 'muted' }, 'Auralis has no accounts yet. This first one is an administrator: it adds the other users, scans the library and clears the cache.'),
    field('Username', { id: 'setup-username', autocomplete: 'username', required: true, maxlength: '64', autocapitalize: 'none', spellcheck: 'false' }, '1 to 64 characters.'),
    field('Password', { id: 'setup-password', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters.'),
    field('Confirm password', { id: 'setup-confirm', type: 'password', autocomplete: 'new-password', required: true }),
    alertLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Create account and sign in'));
  return onSubmit(form, async () => {
    const [name, pw, confirm] = ['#setup-username', '#setup-password', '#setup-confirm'].map((s) => form.querySelector(s));
    if (!name.value) throw new FieldError('Choose a username.', name);
    sameNewPasswords(pw, confirm);
    let user;
    try {
      user = await api.setup(name.value, pw.value);
    } catch (e) {
      if (e.status === 409) { showAuth('signin', e.message); return; } // someone else was quicker
      throw e;
    }
    signedIn(user);
  });
}

function signInForm() {
  const form = h('form', { class: 'stack', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, 'Sign in to Auralis'),
    field('Username', { id: 'signin-username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' }),
    field('Password', { id: 'signin-password', type: 'password', autocomplete: 'current-password', required: true }),
    alertLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Sign in'));
  return onSubmit(form, async () => {
    const [name, pw] = ['#signin-username', '#signin-password'].map((s) => form.querySelector(s));
    if (!name.value) throw new FieldError('Enter your username.', name);
    let user;
    try {
      user = await api.login(name.value, pw.value);
    } catch (e) {
      if (e.status === 429) {
        throw new Error(e.retryAfter !== null ? `Too many attempts; try again in ${e.retryAfter} s.` : e.message);
      }
      if (e.status === 401) throw new FieldError(e.message, pw);
      throw e;
    }
    signedIn(user);
  });
}

/** Asks the server whether a user is signed in (the cookie) or the first account is needed. */
async function start() {
  let s;
  try {
    s = await api.authStatus();
  } catch (e) {
    const retry = h('button', { class: 'btn', type: 'button', onclick: start }, 'Try again');
    $('#auth').replaceChildren(h('div', { class: 'auth-card' },
      h('h1', {}, 'Auralis'), h('p', { role: 'alert' }, `The server cannot be reached: ${e.message}`), retry));
    showChrome(false);
    retry.focus();
    return;
  }
  if (s.user) signedIn(s.user);
  else showAuth(s.setup_required ? 'setup' : 'signin');
}

$('#sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
showEnh();
start();
