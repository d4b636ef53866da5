// Favourites: the heart toggle of tracks, albums and artists (a button with aria-pressed,
// named "Favourite <name>"), kept in step everywhere it shows on the page.
//
// A click changes the heart at once and tells the server (PUT/DELETE .../favorite); if the
// server refuses, every heart of that item goes back and the reason is shown.
//
// Not for: the Favourites view (views/favorites.js).

import { api } from './api.js';
import { h, toast, announce } from './dom.js';
import { state, emit } from './state.js';

const HEART = 'M12 21s-7.5-4.6-10-9.3C.3 8.2 2.3 4 6.2 4c2.2 0 3.8 1.2 4.8 2.8h2C14 5.2 15.6 4 17.8 4 21.7 4 23.7 8.2 22 11.7 19.5 16.4 12 21 12 21z';

function svgHeart() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', HEART);
  svg.append(path);
  return svg;
}

/** Every object we hold for an item, so a later view drawn from memory shows the new state. */
function objectsOf(kind, id) {
  const out = [];
  if (kind === 'track') {
    if (state.tracks.has(id)) out.push(state.tracks.get(id));
    for (const t of state.queue) if (t.id === id) out.push(t);
  } else if (kind === 'album') {
    for (const a of state.albums?.items ?? []) if (a.id === id) out.push(a);
  }
  return out;
}

function show(kind, id, on) {
  for (const o of objectsOf(kind, id)) o.favorite = on;
  for (const b of document.querySelectorAll(`button.heart[data-kind="${kind}"][data-id="${id}"]`)) {
    b.setAttribute('aria-pressed', String(on));
    b.title = on ? 'Remove from favourites' : 'Add to favourites';
  }
}

const pending = new Map(); // `${kind}/${id}` -> the last call, so calls reach the server in order

/** Sets a favourite (the UI first, then the server); resolves true when the server agreed. */
export async function setFavorite(kind, id, on, name = '') {
  show(kind, id, on);
  const key = `${kind}/${id}`;
  const call = (pending.get(key) ?? Promise.resolve()).catch(() => {}).then(() => api.setFavorite(kind, id, on));
  pending.set(key, call);
  try {
    await call;
  } catch (e) {
    if (pending.get(key) !== call) return false; // a newer click decides
    show(kind, id, !on);
    if (e.status !== 401) toast(`Could not change the favourite: ${e.message}`);
    return false;
  } finally {
    if (pending.get(key) === call) pending.delete(key);
  }
  announce(on ? `${name} added to favourites.` : `${name} removed from favourites.`);
  emit('favorite', { kind, id, on });
  return true;
}

/** The heart of `item` (a Track, an Album or an Artist); `name` names it for screen readers. */
export function heartButton(kind, item, name) {
  const on = !!item.favorite;
  const b = h('button', {
    class: 'heart', type: 'button', 'data-act': 'heart', 'data-kind': kind, 'data-id': item.id,
    'aria-pressed': String(on), 'aria-label': `Favourite ${name}`,
    title: on ? 'Remove from favourites' : 'Add to favourites',
    onclick: () => setFavorite(kind, item.id, b.getAttribute('aria-pressed') !== 'true', name),
  });
  b.append(svgHeart());
  return b;
}
