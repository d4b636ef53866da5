// Small DOM helpers shared by every part of the page: element building, times, the toast for
// errors, the screen-reader announcer, artwork images.
//
// Not for: state, HTTP or audio. Nothing here knows about tracks beyond drawing their artwork.
// The page runs under a Content-Security-Policy without 'unsafe-inline': `h()` never writes a
// `style` attribute (set `el.style.x` from JS instead) and binds handlers with addEventListener.

import { api } from './api.js';

export const $ = (sel) => document.querySelector(sel);

/** h('button', {class, onclick, 'aria-label': ...}, ...children): attributes with null, false or
 *  undefined are left out, `true` writes an empty attribute, `on<event>` adds a listener. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style') throw new Error('inline styles are refused by the CSP: set el.style');
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Seconds as m:ss (h:mm:ss from an hour). */
export function fmtTime(s) {
  if (!Number.isFinite(s) || s < 0) s = 0;
  const hr = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  const ss = String(sec).padStart(2, '0');
  return hr ? `${hr}:${String(m).padStart(2, '0')}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}

/** "3 min ago", "yesterday", or a date, for a Unix time in seconds. */
export function fmtAgo(unix, now = Date.now()) {
  const d = (now / 1000) - unix;
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  if (d < 2 * 86400) return 'yesterday';
  return new Date(unix * 1000).toLocaleDateString();
}

/** A <time> for a Unix time in seconds, relative in text, exact in its tooltip. */
export function timeEl(unix) {
  const d = new Date(unix * 1000);
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, fmtAgo(unix));
}

/** An error or warning the user must see (role=alert), hidden again after a while. */
export function toast(msg) {
  const t = $('#toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}

/** Tells screen readers about a change they cannot see (polite, visually hidden). The text is
 *  cleared first so that the same message twice is read twice. */
export function announce(msg) {
  const el = $('#announce');
  el.textContent = '';
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { el.textContent = msg; }, 30);
}

/** Empties the announcer (sign-out: nothing of the previous user stays in the page). */
export function silence() {
  clearTimeout(announce.timer);
  $('#announce').textContent = '';
}

/** The cover of `track` (its artwork, or a letter on a gradient when it has none). */
export function artwork(track, cls = 'cover') {
  const label = (track?.album || track?.title || '?').trim().charAt(0).toUpperCase();
  if (!track?.has_artwork) return h('div', { class: 'art-ph', 'aria-hidden': 'true' }, label);
  const img = h('img', { class: cls, src: api.artworkUrl(track.id), alt: '', loading: 'lazy' });
  img.addEventListener('error', () => img.replaceWith(h('div', { class: 'art-ph', 'aria-hidden': 'true' }, label)));
  return img;
}

/** Plural for counts in labels: plural(3, 'track') = "3 tracks". */
export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
