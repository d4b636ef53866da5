// The Auralis page: library views, queue, player bar, keyboard shortcuts, Media Session.
// All audio lives in engine.js; all HTTP in api.js. This module wires them to the DOM.

import { api, listenerId } from './api.js';
import { Engine } from './engine.js';

const $ = (sel) => document.querySelector(sel);
const engine = new Engine(api);
const state = {
  queue: [], // Track objects
  index: -1,
  tracks: new Map(), // id -> Track, everything we have seen
  albums: null,
  enh: { enabled: true, preset: 'adaptive', intensity: 1 },
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

function setView(title, ...content) {
  const v = $('#view');
  v.replaceChildren(h('h1', {}, title), ...content);
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
  setView('Albums', items.length ? albumGrid(items) : h('p', { class: 'empty' }, 'No albums yet. Is the scan still running?'));
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
  $('#view').replaceChildren(
    h('div', { class: 'album-head' }, cover, h('div', {},
      h('h1', {}, a.title),
      h('div', { class: 'muted' }, [a.artist, a.year, `${a.track_count} tracks`, fmtTime(a.duration_s)].filter(Boolean).join(' · ')),
      h('div', { class: 'row-actions' },
        h('button', { class: 'btn', type: 'button', id: 'play-album', onclick: () => playList(a.tracks, 0) }, '▶ Play album'),
        h('button', { class: 'btn secondary', type: 'button', onclick: () => a.tracks.forEach(enqueue) }, '+ Queue album')))),
    trackTable(a.tracks, { showAlbum: false }));
}

async function artistsView() {
  const { items } = await api.artists();
  setView('Artists', items.length ? h('ul', { class: 'list' }, items.map((ar) => h('li', {},
    h('button', { type: 'button', onclick: () => { location.hash = `#/artist/${ar.id}`; } },
      h('strong', {}, ar.name), h('span', { class: 'muted' }, ` · ${ar.album_count} albums · ${ar.track_count} tracks`)))))
    : h('p', { class: 'empty' }, 'No artists.'));
}

async function artistView(id) {
  const [{ items: artists }, albums] = await Promise.all([api.artists(), state.albums ?? api.albums()]);
  state.albums = albums;
  const ar = artists.find((x) => x.id === Number(id));
  if (!ar) return setView('Unknown artist');
  const { items } = await api.tracks({ q: ar.name, limit: 1000 });
  const tracks = remember(items.filter((t) => t.artist_id === ar.id || t.artist === ar.name));
  const theirAlbums = albums.items.filter((a) => a.artist === ar.name || tracks.some((t) => t.album_id === a.id));
  setView(ar.name, h('h2', {}, 'Albums'), albumGrid(theirAlbums), h('h2', {}, 'Tracks'), trackTable(tracks));
}

async function tracksView() {
  const { items, total } = await api.tracks({ limit: 1000 });
  remember(items);
  setView(`Tracks (${total})`, trackTable(items));
}

async function searchView(q) {
  const [{ items }, albums, { items: artists }] = await Promise.all([api.tracks({ q, limit: 200 }), state.albums ?? api.albums(), api.artists()]);
  state.albums = albums;
  remember(items);
  const ql = q.toLowerCase();
  const al = albums.items.filter((a) => `${a.title} ${a.artist ?? ''}`.toLowerCase().includes(ql));
  const ar = artists.filter((a) => a.name.toLowerCase().includes(ql));
  setView(`Search: “${q}”`,
    al.length ? [h('h2', {}, 'Albums'), albumGrid(al)] : [],
    ar.length ? [h('h2', {}, 'Artists'), h('ul', { class: 'list' }, ar.map((a) => h('li', {}, h('button', { type: 'button', onclick: () => { location.hash = `#/artist/${a.id}`; } }, a.name))))] : [],
    h('h2', {}, 'Tracks'), trackTable(items));
}

function queueView() {
  const q = state.queue;
  setView('Queue', q.length ? h('ul', { class: 'list', id: 'queue-list' }, q.map((t, i) => h('li', {},
    h('button', { type: 'button', 'aria-current': i === state.index ? 'true' : null, onclick: () => playIndex(i) },
      i === state.index ? '▶ ' : `${i + 1}. `, h('strong', {}, t.title), h('span', { class: 'muted' }, ` · ${t.artist ?? ''}`)))))
    : h('p', { class: 'empty' }, 'The queue is empty. Play an album or add tracks with +.'));
}

/** Scan status, a rescan button and the files the scan could not read (with the reason). */
async function libraryView() {
  const [scan, { items }] = await Promise.all([api.scanStatus(), api.unreadable()]);
  const r = scan.last_report;
  const status = scan.running
    ? `Scanning: ${scan.processed} of ${scan.total ?? scan.seen} files…`
    : r ? `Last scan: ${r.added} added, ${r.updated} updated, ${r.removed} removed, ${r.unchanged} unchanged, ${r.unreadable} unreadable (${r.seconds.toFixed(1)} s)`
      : 'No scan yet.';
  setView('Library',
    h('p', { id: 'scan-status' }, status),
    scan.error ? h('p', { class: 'empty' }, `The last scan failed: ${scan.error}`) : [],
    h('button', { class: 'btn', type: 'button', id: 'rescan', disabled: scan.running,
      onclick: async () => { await api.startScan(); libraryView(); } }, 'Rescan'),
    h('h2', {}, 'Unreadable files'),
    items.length ? h('ul', { class: 'list', id: 'unreadable' }, items.map((f) => h('li', {},
      h('strong', {}, f.path), h('span', { class: 'muted' }, ` · ${f.reason}`))))
      : h('p', { class: 'empty' }, 'Every file could be read.'));
}

async function route() {
  const hash = location.hash || '#/albums';
  const [, name, arg] = hash.match(/^#\/([a-z]+)(?:\/(.*))?$/) ?? [null, 'albums'];
  for (const a of document.querySelectorAll('.tabs a')) {
    a.toggleAttribute('aria-current', a.dataset.tab === name);
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
  }
  try {
    if (name === 'album') await albumView(arg);
    else if (name === 'artists') await artistsView();
    else if (name === 'artist') await artistView(arg);
    else if (name === 'tracks') await tracksView();
    else if (name === 'queue') queueView();
    else if (name === 'library') await libraryView();
    else if (name === 'search') await searchView(decodeURIComponent(arg ?? ''));
    else await albumsView();
  } catch (e) {
    setView('Something went wrong', h('p', { class: 'empty' }, e.message));
  }
}

// ---- queue and playback -------------------------------------------------------------------

function refreshQueue() {
  $('#queue-count').textContent = state.queue.length;
  engine.setNext(state.queue[state.index + 1]?.id ?? null);
  if ((location.hash || '').startsWith('#/queue')) queueView();
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
engine.addEventListener('error', (e) => toast(`Playback problem: ${e.detail.message}`));

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
  } catch (e) { toast(`Could not save the enhancement setting: ${e.message}`); }
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
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
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

// ---- server events and start-up -----------------------------------------------------------

api.events({
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
});

window.addEventListener('hashchange', route);
api.enhancement().then(applyEnh).catch((e) => toast(`Could not load the enhancement settings: ${e.message}`));
showEnh();
route();
