// The queue and the player bar: what plays next, the now-playing area, transport buttons, the
// waveform seek bar and time, the cache indicator, Media Session (lock-screen controls).
//
// Play with nothing queued plays what the current view lists (router.viewTracks).
//
// Not for: the audio itself (engine.js), saving the queue on the server (resume.js), the lyrics
// panel (lyrics.js) or the enhancement controls (enhancement.js).

import { api } from './api.js';
import { $, fmtTime, toast, announce } from './dom.js';
import { state, engine, current, emit, remember, bus } from './state.js';
import { viewTracks } from './router.js';
import { SeekBar } from './waveform.js';
import { heartButton } from './favorites.js';

export const seekBar = new SeekBar($('#seek'), {
  seek: (s) => seekTo(s),
  preview: (s) => { if (s !== null) $('#time-cur').textContent = fmtTime(s); },
});

/** Tells the engine what follows, redraws the queue count and the playing rows, and lets the
 *  rest of the page know (the queue view, the saved queue). */
export function refreshQueue() {
  $('#queue-count').textContent = state.queue.length;
  engine.setNext(state.queue[state.index + 1]?.id ?? null);
  markPlayingRows();
  emit('queuechange');
}

export function markPlayingRows() {
  const cur = current();
  for (const tr of document.querySelectorAll('tr[data-track-id]')) {
    const on = Number(tr.dataset.trackId) === cur?.id;
    tr.classList.toggle('playing', on);
  }
}

/** Replaces the queue with `tracks` and plays entry `i` (from `at` seconds). */
export function playList(tracks, i = 0, { at = 0 } = {}) {
  if (!tracks.length) return;
  state.queue = [...remember(tracks)];
  playIndex(i, { at });
}

/** Adds tracks at the end of the queue; starts playing if nothing was. */
export function enqueue(tracks) {
  const list = Array.isArray(tracks) ? tracks : [tracks];
  if (!list.length) return;
  const first = state.queue.length;
  state.queue.push(...remember(list));
  announce(list.length === 1 ? `${list[0].title} added to the queue.` : `${list.length} tracks added to the queue.`);
  if (state.index < 0) playIndex(first);
  else refreshQueue();
}

export function playIndex(i, { at = 0 } = {}) {
  if (i < 0 || i >= state.queue.length) return;
  state.index = i;
  const t = current();
  nowPlaying(t);
  refreshQueue();
  engine.load(t.id, { at, play: true });
}

export function next() { if (state.index + 1 < state.queue.length) playIndex(state.index + 1); }
export function prev() {
  if (engine.position > 3 || state.index <= 0) seekTo(0);
  else playIndex(state.index - 1);
}

/** Seeks the playing track (the seek bar, the lyrics, keys, the lock screen). */
export function seekTo(seconds) {
  if (engine.trackId === null) return;
  seekBar.setPosition(seconds);
  engine.seek(Math.max(0, seconds));
}

/** The big play button: pause/resume; with nothing queued, play what the view lists. */
export async function playPressed() {
  if (current() || engine.trackId !== null) { engine.toggle(); return; }
  if (state.queue.length) { playIndex(0); return; }
  let tracks = [];
  try {
    tracks = await viewTracks();
  } catch (e) {
    if (e.status !== 401) toast(`Could not load what this view lists: ${e.message}`);
    return;
  }
  if (!tracks.length) { announce('Nothing to play in this view.'); toast('Nothing to play here: open an album, a playlist or search for tracks.'); return; }
  if (!current()) playList(tracks, 0);
}

// ---- now playing --------------------------------------------------------------------------

const npHeart = $('#np-heart');

export function nowPlaying(t) {
  $('#np-title').textContent = t?.title ?? 'Nothing playing';
  $('#np-artist').textContent = t ? [t.artist, t.album].filter(Boolean).join(' — ') : '';
  document.title = t ? `${t.title} · Auralis` : 'Auralis';
  const img = $('#np-art');
  img.hidden = !t?.has_artwork;
  $('#np-art-ph').hidden = !!t?.has_artwork;
  if (t?.has_artwork) img.src = api.artworkUrl(t.id);
  npHeart.replaceChildren(...(t ? [heartButton('track', t, t.title)] : []));
  seekBar.setTrack(t);
  $('#time-cur').textContent = fmtTime(0);
  $('#time-dur').textContent = fmtTime(t?.duration_s);
  showCache(null);
  if (t) {
    api.cacheStatus(t.id).then((c) => {
      if (current()?.id !== t.id) return;
      showCache({ trackId: t.id, percent: c.percent, full: c.fully_cached });
    }).catch(() => {});
  }
  if ('mediaSession' in navigator && t) {
    navigator.mediaSession.metadata = new MediaMetadata({
      title: t.title, artist: t.artist ?? '', album: t.album ?? '',
      artwork: t.has_artwork ? [{ src: api.artworkUrl(t.id) }] : [],
    });
  }
  emit('nowplaying', t);
}

/** The cache indicator of the playing track: a percentage, then "Cached". */
export function showCache(c) {
  if (c && state.cache && c.trackId === state.cache.trackId && state.cache.full && !c.full) c.full = true;
  state.cache = c;
  const el = $('#cache');
  if (!c || c.trackId !== current()?.id) { el.hidden = true; return; }
  el.hidden = false;
  const pct = Math.min(100, Math.round(c.full ? 100 : c.percent));
  el.classList.toggle('full', pct >= 100);
  el.textContent = pct >= 100 ? '✓ Cached' : `Caching ${pct}%`;
  el.dataset.percent = pct;
  seekBar.setFull(pct >= 100);
}

/** Whether a cache status or event is about the rendition this page plays (preset and
 *  loudness mode; a server that predates album mode sends no `loudness`). */
const sameRendition = (d) => d.preset === state.enh.preset && (d.loudness ?? 'track') === state.enh.loudness;

/** The processed variant's name in the cache's events: the preset, `.album` in album mode. */
const renditionName = () => (state.enh.loudness === 'album' ? `${state.enh.preset}.album` : state.enh.preset);

/** Server events about the cache, for the playing track. */
export const cacheEvents = {
  chunk_cached: (d) => { if (d.track_id === current()?.id) seekBar.chunkCached(d.chunk, d.variant); },
  track_progress: (d) => {
    if (d.track_id === current()?.id && sameRendition(d)) showCache({ trackId: d.track_id, percent: d.percent, full: d.percent >= 100 });
  },
  track_cached: (d) => {
    if (d.track_id === current()?.id && sameRendition(d)) showCache({ trackId: d.track_id, percent: 100, full: true });
  },
  evicted: (d) => {
    if (d.track_id !== current()?.id) return;
    state.cache = null;
    seekBar.evicted();
    showCache({ trackId: d.track_id, percent: 0, full: false });
  },
};

// A new preset or loudness mode changes what counts as cached (the original and that
// rendition's chunks).
bus.addEventListener('preset', () => {
  seekBar.setPreset(renditionName());
  const t = current();
  if (!t) return;
  api.cacheStatus(t.id).then((c) => {
    if (current()?.id === t.id && sameRendition(c)) {
      state.cache = null;
      showCache({ trackId: t.id, percent: c.percent, full: c.fully_cached });
    }
  }).catch(() => {});
});

/** Forgets what was playing (sign-out). */
export function clearPlayer() {
  nowPlaying(null);
  $('#np-art').removeAttribute('src');
  $('#queue-count').textContent = '0';
  $('#time-cur').textContent = fmtTime(0);
  if ('mediaSession' in navigator) {
    navigator.mediaSession.metadata = null;
    navigator.mediaSession.playbackState = 'none';
  }
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
  if (seekBar.dragging === null) {
    seekBar.setPosition(position);
    $('#time-cur').textContent = fmtTime(position);
  }
  if (duration) $('#time-dur').textContent = fmtTime(duration);
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

// ---- transport controls -------------------------------------------------------------------

$('#play').addEventListener('click', playPressed);
$('#next').addEventListener('click', next);
$('#prev').addEventListener('click', prev);

if ('mediaSession' in navigator) {
  const ms = navigator.mediaSession;
  const set = (action, fn) => { try { ms.setActionHandler(action, fn); } catch { /* unsupported */ } };
  set('play', () => (engine.trackId === null ? playPressed() : engine.play()));
  set('pause', () => engine.pause());
  set('previoustrack', prev);
  set('nexttrack', next);
  set('seekto', (d) => seekTo(d.seekTime));
  set('seekbackward', (d) => seekTo(Math.max(0, engine.position - (d.seekOffset || 10))));
  set('seekforward', (d) => seekTo(Math.min(engine.duration, engine.position + (d.seekOffset || 10))));
}
