// What the page knows while a user is signed in: the user, the queue and where it stands, the
// tracks seen so far, the enhancement state; the one audio engine; and a bus for the few changes
// several parts of the page follow (the queue, favourites).
//
// Not for: drawing anything or talking to the server (views and api.js do). Signing out resets
// it with reset(), so the next user of the browser inherits nothing.

import { api } from './api.js';
import { Engine } from './engine.js';

export const engine = new Engine(api);
export const DEFAULT_ENH = Object.freeze({ enabled: true, preset: 'adaptive', intensity: 1, loudness: 'track' });

// The level-matched A/B is a preference of this device (how it compares), not of the account.
const LEVEL_MATCH_KEY = 'auralis.levelMatch';
export const storedLevelMatch = () => localStorage.getItem(LEVEL_MATCH_KEY) !== '0';
export const storeLevelMatch = (on) => localStorage.setItem(LEVEL_MATCH_KEY, on ? '1' : '0');
export const defaultEnh = () => ({ ...DEFAULT_ENH, levelMatch: storedLevelMatch() });

export const state = {
  user: null, // the signed-in User {id, name, admin, created_at}, or null
  queue: [], // Track objects; the same track may appear twice
  index: -1, // the playing entry of the queue
  tracks: new Map(), // id -> Track, everything we have seen
  albums: null, // the answer of GET /api/albums, kept until a scan ends
  enh: defaultEnh(),
  cache: null, // { trackId, percent, full } of the playing track
};

/** Events: 'queuechange' (the queue or its index changed), 'favorite' {kind, id, on}. */
export const bus = new EventTarget();
export const emit = (type, detail = null) => bus.dispatchEvent(new CustomEvent(type, { detail }));

export const current = () => state.queue[state.index] ?? null;

export function remember(tracks) {
  for (const t of tracks) state.tracks.set(t.id, t);
  return tracks;
}

/** Forgets everything of the signed-in user (the engine is stopped by the caller). */
export function reset() {
  Object.assign(state, { user: null, queue: [], index: -1, tracks: new Map(), albums: null, cache: null, enh: defaultEnh() });
}
