// The History view (#/history): what the user listened to, newest first, with when; and their
// albums by plays (most played, recently played). A play counts once the server has heard half
// the track or 4 minutes of it (docs/API.md "Plays").
//
// Not for: counting plays (the server does, from the positions the engine reports).

import { api } from '../api.js';
import { h, timeEl } from '../dom.js';
import { page } from '../router.js';
import { remember } from '../state.js';
import { trackTable, albumGrid } from '../lists.js';
import { tracksOfAlbums } from './library.js';

export async function historyView() {
  const [hist, frequent, recent] = await Promise.all([api.history({ limit: 100 }), api.albums('frequent'), api.albums('recent')]);
  const tracks = remember(hist.items.map((p) => p.track));
  const playedAt = hist.items.map((p) => p.played_at);
  return {
    nodes: page('History',
      h('h2', {}, 'Recently played'),
      tracks.length
        ? trackTable(tracks, { label: 'Recently played tracks', number: 'index', extra: { head: 'Played', cell: (_t, i) => timeEl(playedAt[i]) } })
        : h('p', { class: 'empty' }, 'Nothing played yet. A track counts once you have heard half of it.'),
      hist.total > tracks.length ? h('p', { class: 'muted' }, `The latest ${tracks.length} of ${hist.total} plays.`) : [],
      h('h2', {}, 'Most played albums'),
      frequent.items.length ? albumGrid(frequent.items.slice(0, 24), { label: 'Most played albums' }) : h('p', { class: 'empty' }, 'No albums played yet.'),
      h('h2', {}, 'Recently played albums'),
      recent.items.length ? albumGrid(recent.items.slice(0, 24), { label: 'Recently played albums' }) : h('p', { class: 'empty' }, 'No albums played yet.')),
    tracks: tracks.length ? tracks : () => tracksOfAlbums(frequent.items, 10),
  };
}
