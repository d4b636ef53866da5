// The Favourites view (#/favorites): the tracks, albums and artists the user has hearted, most
// recent first. Play with nothing queued plays its tracks.
//
// Not for: the heart buttons themselves (favorites.js).

import { api } from '../api.js';
import { h } from '../dom.js';
import { page } from '../router.js';
import { remember } from '../state.js';
import { trackTable, albumGrid, artistList, listActions } from '../lists.js';

export async function favoritesView() {
  const { tracks, albums, artists } = await api.favorites();
  remember(tracks);
  const none = !tracks.length && !albums.length && !artists.length;
  return {
    nodes: page('Favourites',
      none ? h('p', { class: 'empty' }, 'Nothing here yet: press the heart of a track, an album or an artist.') : [],
      tracks.length ? h('div', { class: 'row-actions' }, ...listActions(tracks, 'favourites')) : [],
      h('h2', {}, 'Tracks'),
      tracks.length ? trackTable(tracks, { label: 'Favourite tracks', number: 'index' }) : h('p', { class: 'empty' }, 'No favourite tracks.'),
      h('h2', {}, 'Albums'),
      albums.length ? albumGrid(albums, { label: 'Favourite albums' }) : h('p', { class: 'empty' }, 'No favourite albums.'),
      h('h2', {}, 'Artists'),
      artists.length ? artistList(artists) : h('p', { class: 'empty' }, 'No favourite artists.')),
    tracks,
  };
}
