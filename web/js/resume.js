// Resume anywhere: the player saves the queue on the server as it plays (PUT /api/player/queue:
// the tracks, the playing entry, the position), and a page that starts with nothing playing
// offers to resume the saved queue ("Resume <track> at m:ss"), on another device or after a
// reload.
//
// Saves follow the queue, a track change, a seek, a pause and every 10 s of playback, at most
// once a second; an empty queue is never saved (signing out must not wipe the saved one).
//
// Not for: playing (player.js) or the position reports the server counts plays from (engine).

import { api } from './api.js';
import { $, h, fmtTime, toast, announce } from './dom.js';
import { state, engine, bus, remember } from './state.js';
import { playList } from './player.js';

const MIN_GAP_MS = 1000; // never more than one save a second
const PLAYING_EVERY_MS = 10_000; // while playing, at least this often
const SETTLE_MS = 300; // a burst of changes (a seek while dragging...) makes one save

let lastSave = 0; // performance.now() of the last save sent
let timer = null;
let inFlight = null;
let seenSeek = null; // engine.stats.lastSeek of the last save
let offer = null; // the saved queue offered for resuming

/** Where the playing track is, read from the audio clock (engine.position is updated every
 *  100 ms, so just after a pause it can still be behind what was heard). */
function heard(trackId) {
  if (engine.trackId !== trackId) return 0;
  const ph = engine.playhead;
  if (ph && ph.trackId === trackId && engine.ctx) return ph.sample / engine.ctx.sampleRate;
  return engine.position;
}

function snapshot() {
  if (!state.user || !state.queue.length || state.index < 0) return null;
  return {
    track_ids: state.queue.map((t) => t.id),
    current_index: state.index,
    position_s: Math.max(0, Math.round(heard(state.queue[state.index].id) * 1000) / 1000),
  };
}

/** Asks for a save soon (coalesced; at most one a second). */
export function saveSoon(delay = SETTLE_MS) {
  if (!state.user || !state.queue.length) return;
  if (timer) return;
  const wait = Math.max(delay, lastSave + MIN_GAP_MS - performance.now());
  timer = setTimeout(flush, wait);
}

async function flush() {
  timer = null;
  if (inFlight) { await inFlight.catch(() => {}); }
  const q = snapshot();
  if (!q) return;
  lastSave = performance.now();
  seenSeek = engine.stats.lastSeek;
  const user = state.user;
  inFlight = api.saveQueue(q).catch((e) => {
    if (e.status !== 401 && state.user === user) console.warn('the queue could not be saved:', e.message);
  });
  await inFlight;
  inFlight = null;
}

/** A last save as the page goes away (keepalive: the request outlives the page). */
function saveNow() {
  const q = snapshot();
  if (!q) return;
  clearTimeout(timer);
  timer = null;
  api.saveQueue(q, { keepalive: true }).catch(() => {});
}

bus.addEventListener('queuechange', () => { hideOffer(); saveSoon(); });
engine.addEventListener('trackchange', () => saveSoon());
engine.addEventListener('statechange', (e) => { if (!e.detail.playing && e.detail.trackId !== null) saveSoon(); });
engine.addEventListener('timeupdate', () => {
  if (engine.stats.lastSeek !== seenSeek && engine.stats.lastSeek) saveSoon(); // a seek, wherever it came from
  else if (engine.playing && performance.now() - lastSave >= PLAYING_EVERY_MS) saveSoon(0);
});
window.addEventListener('pagehide', saveNow);

// ---- the offer ----------------------------------------------------------------------------

function hideOffer() {
  offer = null;
  const el = $('#resume');
  if (el) { el.hidden = true; el.replaceChildren(); }
}

/** After sign-in: if nothing plays here and the server has a saved queue, offer to resume it. */
export async function offerResume() {
  const user = state.user;
  let q;
  try {
    q = await api.savedQueue();
  } catch { return; }
  if (state.user !== user || state.queue.length || engine.trackId !== null || !q.track_ids?.length) return;
  const index = Math.min(q.current_index, q.track_ids.length - 1);
  let track;
  try {
    track = await api.track(q.track_ids[index]);
  } catch { return; } // that track left the library: nothing sensible to offer
  if (state.user !== user || state.queue.length || engine.trackId !== null) return;
  offer = { ...q, index, track };
  const at = fmtTime(q.position_s);
  const button = h('button', { class: 'btn', type: 'button', id: 'resume-btn', onclick: () => resume(offer) },
    `Resume ${track.title} at ${at}`);
  const el = $('#resume');
  el.replaceChildren(
    h('span', { class: 'muted' }, 'Continue where you left off:'), ' ', button,
    h('button', { class: 'icon small', type: 'button', 'aria-label': 'Dismiss the resume offer', title: 'Dismiss', onclick: hideOffer }, '✕'));
  el.hidden = false;
  announce(`You can resume ${track.title} at ${at}.`);
}

/** Loads the saved queue (tracks that left the library are skipped) and plays its entry from
 *  the saved position. */
async function resume(o) {
  if (!o) return;
  const btn = $('#resume-btn');
  if (btn) btn.disabled = true;
  const ids = o.track_ids;
  const tracks = new Array(ids.length).fill(null);
  tracks[o.index] = o.track;
  // a few at a time: a saved queue can be long
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      if (tracks[i]) continue;
      try { tracks[i] = await api.track(ids[i]); } catch { /* gone: skipped */ }
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, ids.length) }, worker));
  if (offer !== o) return; // dismissed, or something else started meanwhile
  const kept = [];
  let index = 0;
  tracks.forEach((t, i) => { if (t) { if (i === o.index) index = kept.length; kept.push(t); } });
  hideOffer();
  if (!kept.length) { toast('The saved queue is no longer in the library.'); return; }
  playList(remember(kept), index, { at: o.position_s });
}

/** Forgets the offer and pending saves (sign-out). */
export function clearResume() {
  clearTimeout(timer);
  timer = null;
  hideOffer();
}
