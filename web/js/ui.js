// The Auralis page: wires the parts together. Views go to the router, server events to the parts
// that follow them, keys to their actions, and a user signing in or out to everything that holds
// their data.
//
// Not for: any part's own work. Audio lives in engine.js, HTTP in api.js, the queue and player
// bar in player.js, views in views/*.js and account.js, sign-in in session.js (see the header of
// each module for what it does and does not do).

import { api, listenerId } from './api.js';
import { $, toast } from './dom.js';
import { state, engine, bus, reset } from './state.js';
import { registerViews, route, paint, isRoute, currentRoute, clearView } from './router.js';
import { startSession, checkSession } from './session.js';
import { accountView } from './account.js';
import { albumsView, albumView, artistsView, artistView, tracksView, searchView, libraryView } from './views/library.js';
import { playlistsView, playlistView } from './views/playlists.js';
import { favoritesView } from './views/favorites.js';
import { historyView } from './views/history.js';
import { queueView } from './views/queue.js';
import { seekBar, seekTo, playPressed, next, prev, cacheEvents, clearPlayer } from './player.js';
import { showEnh, toggleEnh, loadEnh, enhancementEvent, resetEnh } from './enhancement.js';
import { offerResume, clearResume } from './resume.js';
import { LyricsPanel } from './lyrics.js';

window.auralis = { engine, state, api, listenerId }; // handy in the console, and the hook the browser tests use

registerViews({
  albums: albumsView, album: albumView, artists: artistsView, artist: artistView, tracks: tracksView,
  search: (q) => searchView(decodeURIComponent(q ?? '')),
  playlists: playlistsView, playlist: playlistView, favorites: favoritesView, history: historyView,
  queue: queueView, library: libraryView, account: accountView,
}, 'albums');

const lyrics = new LyricsPanel({ seek: seekTo });
window.auralis.lyrics = lyrics;

// ---- views that follow changes made elsewhere on the page ---------------------------------

bus.addEventListener('queuechange', () => { if (isRoute('queue')) paint(queueView()); });
bus.addEventListener('playlist', (e) => {
  const [name, arg] = currentRoute();
  if (e.detail.change === 'order') return; // made in the playlist's own view, which shows it
  if (name === 'playlists' || (name === 'playlist' && Number(arg) === e.detail.id)) route({ quiet: true });
});
bus.addEventListener('favorite', () => { if (isRoute('favorites')) route({ quiet: true }); });

// ---- server events ------------------------------------------------------------------------

const serverEvents = {
  ...cacheEvents,
  enhancement: enhancementEvent,
  scan: (d) => {
    if (d.running) return;
    state.albums = null;
    seekBar.refresh(); // the analysis may have made the playing track's waveform
    if (isRoute('albums') || isRoute('library')) route({ quiet: true });
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

// ---- header: search, the tabs' menu on phones, help ---------------------------------------

let searchTimer;
$('#search').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  const q = e.target.value.trim();
  searchTimer = setTimeout(() => { location.hash = q ? `#/search/${encodeURIComponent(q)}` : '#/albums'; }, 250);
});

const nav = $('.tabs');
const navToggle = $('#nav-toggle');
function openNav(open) {
  nav.classList.toggle('open', open);
  navToggle.setAttribute('aria-expanded', String(open));
}
navToggle.addEventListener('click', () => openNav(navToggle.getAttribute('aria-expanded') !== 'true'));
nav.addEventListener('click', (e) => { if (e.target.closest('a')) openNav(false); });
nav.addEventListener('keydown', (e) => { if (e.key === 'Escape' && nav.classList.contains('open')) { openNav(false); navToggle.focus(); } });

$('#help-btn').addEventListener('click', () => $('#shortcuts').showModal());

// ---- keyboard shortcuts -------------------------------------------------------------------

document.addEventListener('keydown', (e) => {
  const tag = e.target.tagName;
  const typing = tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.target.isContentEditable;
  if (!state.user || typing || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  if (document.querySelector('dialog[open]')) return; // a dialog has the keyboard
  if (e.key === ' ' && tag !== 'BUTTON' && tag !== 'A') { e.preventDefault(); playPressed(); }
  else if (e.key === 'ArrowLeft' && e.shiftKey) { e.preventDefault(); prev(); }
  else if (e.key === 'ArrowRight' && e.shiftKey) { e.preventDefault(); next(); }
  else if (e.key === 'ArrowLeft') { e.preventDefault(); seekTo(Math.max(0, engine.position - 10)); }
  else if (e.key === 'ArrowRight') { e.preventDefault(); seekTo(Math.min(engine.duration, engine.position + 10)); }
  else if (e.key === 'e' || e.key === 'E') toggleEnh();
  else if (e.key === 'l' || e.key === 'L') lyrics.toggle();
  else if (e.key === '/') { e.preventDefault(); $('#search').focus(); }
  else if (e.key === '?') $('#shortcuts').showModal();
});

// ---- signing in and out -------------------------------------------------------------------

function signedIn(user) {
  openEvents();
  loadEnh(user);
  route();
  $('#view').focus();
  lyrics.show();
  offerResume();
}

/** Forgets everything of the signed-in user: audio, queue, views, settings, event stream. */
function signedOut() {
  clearResume(); // no save of what is being cleared
  state.user = null;
  clearView(); // a view still loading is not painted
  closeEvents();
  engine.stop();
  reset();
  resetEnh();
  clearPlayer();
  lyrics.clear();
  openNav(false);
  clearTimeout(searchTimer);
  $('#search').value = '';
}

window.addEventListener('hashchange', () => route());
showEnh();
startSession({ signedIn, signedOut }).catch((e) => toast(e.message));
