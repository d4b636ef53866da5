// The hash router: `#/<view>/<arg>` picks a view, the view builds its nodes, and they are painted
// only if no newer route (or a sign-out) came meanwhile, so a slow answer never paints over a
// newer view or another user's page. It also remembers what the painted view lists, so that
// Play with nothing queued can play it.
//
// Not for: building views (views/*.js and account.js) or playing anything.

import { h, $, announce } from './dom.js';
import { state } from './state.js';

const views = {};
let fallback = null;
let seq = 0;
let playable = null; // Track[] or async () => Track[] of the painted view

/** A view's heading and content. The heading takes the focus when a route moves it. */
export const page = (title, ...content) => [h('h1', { tabindex: '-1' }, title), ...content];

/** `{name: (arg) => nodes | {nodes, tracks}}`; `albums` is also the view of an unknown name. */
export function registerViews(map, fallbackName) {
  Object.assign(views, map);
  if (fallbackName) fallback = map[fallbackName];
}

/** The route's name and argument: '#/album/3' → ['album', '3']. */
export function currentRoute() {
  const [, name, arg] = (location.hash || '#/albums').match(/^#\/([a-z]+)(?:\/(.*))?$/) ?? [null, 'albums', undefined];
  return [name, arg];
}

/** What the current view lists, for Play with nothing queued: a list of tracks, or null. */
export async function viewTracks() {
  const p = playable;
  if (!p) return [];
  return typeof p === 'function' ? p() : p;
}

/** Paints a view's nodes now, superseding any route still loading. */
export function paint(out) {
  seq++;
  show(out);
}

function show(out) {
  const { nodes, tracks } = Array.isArray(out) ? { nodes: out, tracks: null } : out;
  const view = $('#view');
  const hadFocus = view.contains(document.activeElement) || document.activeElement === document.body || !document.activeElement;
  view.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  view.dataset.route = location.hash || '#/albums'; // which route is painted (the tests wait on it)
  playable = tracks ?? null;
  return hadFocus;
}

/** Marks the tab of the view `name` as the current page. */
function markTabs(name) {
  for (const a of document.querySelectorAll('.tabs a, #account-link')) {
    if ((a.dataset.tab ?? 'account') === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const label = document.querySelector(`.tabs a[data-tab="${name}"]`)?.firstChild?.textContent?.trim();
  const cur = $('#nav-current');
  if (cur) cur.textContent = label || 'Menu';
}

/** Builds and paints the view of the current hash. `quiet`: a repaint of the same view (after a
 *  change in it), which neither moves the focus nor announces the page. */
export async function route({ quiet = false } = {}) {
  if (!state.user) return; // the sign-in form is showing; the hash is used once signed in
  const mine = ++seq;
  const [name, arg] = currentRoute();
  markTabs(name);
  let out;
  try {
    out = await (views[name] ?? fallback)(arg);
  } catch (e) {
    if (e.status === 401) return; // the session has ended: the sign-in form takes over
    out = page('Something went wrong', h('p', { class: 'empty' }, e.message));
  }
  if (mine !== seq || !state.user) return;
  const hadFocus = show(out);
  const title = $('#view h1');
  if (quiet) {
    // the control that had the focus went with the old nodes: the heading takes it, not <body>
    if (hadFocus && !$('#view').contains(document.activeElement) && !document.querySelector('dialog[open]')) title?.focus();
    return;
  }
  // Focus follows a navigation made in the view (or lost with the old one), never one made from
  // the tabs or the search box, where the user is still typing or choosing.
  if (hadFocus && title) title.focus({ preventScroll: false });
  if (title) announce(title.textContent);
}

/** Forgets the painted view (sign-out). */
export function clearView() {
  seq++;
  playable = null;
  $('#view').replaceChildren();
  delete $('#view').dataset.route;
}

/** True while `name` is the view on screen. */
export const isRoute = (name) => state.user && currentRoute()[0] === name;
