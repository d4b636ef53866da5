// Lists of music the views share: the track table with its row actions (play from here, the
// heart, add to the queue, add to a playlist, and for an editable playlist move and remove),
// the album grid and the artist list.
//
// Row actions are plain buttons, always visible (no hover-only actions), so they are reached by
// touch and by keyboard alike; on narrow screens the table folds each row onto two lines.
//
// Not for: fetching anything (views pass the tracks in) or saving a playlist's order.

import { h, fmtTime, plural, artwork } from './dom.js';
import { current, remember } from './state.js';
import { playList, enqueue } from './player.js';
import { heartButton } from './favorites.js';
import { addToPlaylist } from './playlists.js';

const ICON = {
  play: 'M8 5v14l11-7z',
  queue: 'M3 6h13v2H3zm0 5h13v2H3zm0 5h9v2H3zm15-3v-3h2v3h3v2h-3v3h-2v-3h-3v-2z',
  playlist: 'M3 6h13v2H3zm0 5h13v2H3zm0 5h9v2H3zM17 14l5 3-5 3z',
  up: 'M7 14l5-5 5 5z',
  down: 'M7 10l5 5 5-5z',
  remove: 'M6 6l12 12M18 6L6 18',
  grip: 'M9 5h2v2H9zm4 0h2v2h-2zM9 11h2v2H9zm4 0h2v2h-2zM9 17h2v2H9zm4 0h2v2h-2z',
};

/** A small inline SVG icon (decorative: the button carries the name). */
export function icon(name, size = 16) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', ICON[name]);
  if (name === 'remove') { p.setAttribute('stroke', 'currentColor'); p.setAttribute('stroke-width', '2'); p.setAttribute('fill', 'none'); } else p.setAttribute('fill', 'currentColor');
  svg.append(p);
  return svg;
}

export const miniButton = (name, label, onclick, extra = {}) =>
  h('button', { class: 'mini', type: 'button', 'data-act': name, 'aria-label': label, title: label, onclick, ...extra }, icon(name));

/**
 * The track table.
 * options: showAlbum (column), number ('track' | 'index'), label (the table's accessible name),
 * extra {head, cell(track, i)} (one more column, e.g. when it was played), edit {move(i, d),
 * remove(i), grip(tr, i)} for an editable playlist.
 */
export function trackTable(tracks, { showAlbum = true, number = 'track', label = null, extra = null, edit = null } = {}) {
  if (!tracks.length) return h('p', { class: 'empty' }, 'No tracks.');
  remember(tracks);
  const cur = current();
  const n = tracks.length;
  return h('table', { class: `tracks${edit ? ' editable' : ''}`, 'aria-label': label },
    h('thead', {}, h('tr', {},
      h('th', { class: 'num', scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Title'), h('th', { class: 'artist', scope: 'col' }, 'Artist'),
      showAlbum ? h('th', { class: 'album', scope: 'col' }, 'Album') : null,
      extra ? h('th', { class: 'extra', scope: 'col' }, extra.head) : null,
      h('th', { class: 'dur', scope: 'col' }, 'Time'), h('th', { class: 'act', scope: 'col' }, h('span', { class: 'sr' }, 'Actions')))),
    h('tbody', {}, tracks.map((t, i) => {
      const tr = h('tr', { class: cur?.id === t.id ? 'playing' : null, 'data-track-id': t.id, 'data-index': i },
        h('td', { class: 'num' }, number === 'index' ? i + 1 : (t.track_number ?? i + 1)),
        h('td', { class: 'title' }, t.title),
        h('td', { class: 'artist' }, t.artist ?? ''),
        showAlbum ? h('td', { class: 'album' }, t.album_id ? h('a', { href: `#/album/${t.album_id}` }, t.album ?? '') : (t.album ?? '')) : null,
        extra ? h('td', { class: 'extra' }, extra.cell(t, i)) : null,
        h('td', { class: 'dur' }, fmtTime(t.duration_s)),
        h('td', { class: 'act' }, h('div', { class: 'acts' },
          miniButton('play', `Play ${t.title}`, () => playList(tracks, i)),
          heartButton('track', t, t.title),
          miniButton('queue', `Add ${t.title} to queue`, () => enqueue(t)),
          miniButton('playlist', `Add ${t.title} to playlist`, () => addToPlaylist([t], `“${t.title}”`)),
          edit ? [
            miniButton('up', `Move ${t.title} up`, () => edit.move(i, -1), { disabled: i === 0, 'aria-keyshortcuts': 'Alt+ArrowUp' }),
            miniButton('down', `Move ${t.title} down`, () => edit.move(i, 1), { disabled: i === n - 1, 'aria-keyshortcuts': 'Alt+ArrowDown' }),
            miniButton('remove', `Remove ${t.title} from the playlist`, () => edit.remove(i)),
          ] : null)));
      if (edit) {
        const grip = h('button', { class: 'mini grip', type: 'button', 'data-act': 'grip', 'aria-label': `Reorder ${t.title}, position ${i + 1} of ${n}`, title: 'Drag to reorder (or Alt+↑ / Alt+↓)', 'aria-keyshortcuts': 'Alt+ArrowUp Alt+ArrowDown' }, icon('grip'));
        tr.querySelector('.acts').prepend(grip);
        edit.grip(tr, grip, i);
      }
      return tr;
    })));
}

/** Album cards, each opening its album. */
export function albumGrid(albums, { label = null } = {}) {
  return h('div', { class: 'grid', role: label ? 'group' : null, 'aria-label': label }, albums.map((a) => h('button', {
    class: 'card', type: 'button', 'aria-label': `Album ${a.title} by ${a.artist ?? 'unknown artist'}`,
    onclick: () => { location.hash = `#/album/${a.id}`; },
  }, artwork({ id: a.cover_track_id, has_artwork: a.has_artwork, album: a.title }),
  h('span', { class: 't' }, a.title), h('span', { class: 's' }, a.artist ?? ''))));
}

/** Artists, each opening its page. */
export function artistList(artists) {
  return h('ul', { class: 'list' }, artists.map((ar) => h('li', {},
    h('button', { type: 'button', onclick: () => { location.hash = `#/artist/${ar.id}`; } },
      h('strong', {}, ar.name),
      ar.album_count !== undefined ? h('span', { class: 'muted' }, ` · ${plural(ar.album_count, 'album')} · ${plural(ar.track_count, 'track')}`) : null))));
}

/** Play / queue / add-to-playlist buttons for a whole list (an album, a playlist...). */
export function listActions(tracks, what, { playId = null } = {}) {
  return [
    h('button', { class: 'btn', type: 'button', id: playId, disabled: !tracks.length, onclick: () => playList(tracks, 0) }, `▶ Play ${what}`),
    h('button', { class: 'btn secondary', type: 'button', disabled: !tracks.length, onclick: () => enqueue(tracks) }, `+ Queue ${what}`),
    h('button', { class: 'btn secondary', type: 'button', disabled: !tracks.length, onclick: () => addToPlaylist(tracks, `the ${what}`) }, `Add ${what} to playlist`),
  ];
}
