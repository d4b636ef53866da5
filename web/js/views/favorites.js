// The Favourites view (#/favorites): the tracks, albums and artists the user has hearted, most
// recent first. Play with nothing queued plays the favourite tracks, then the favourite albums',
// then the favourite artists' (each track once).
//
// Not for: the heart buttons themselves (favorites.js).

import { api } from '../api.js';
import { h } from '../dom.js';
import { page } from '../router.js';
import { remember } from '../state.js';
import { trackTable, albumGrid, artistList, listActions } from '../lists.js';
import { tracksOfAlbums, tracksOfArtists } from './library.js';

/** Everything the view lists as one list of tracks. The albums' and artists' tracks take a
 *  request each (or the whole library), so they are fetched when Play is pressed, not at paint. */
async function allFavourites(tracks, albums, artists) {
  const [ofAlbums, ofArtists] = await Promise.all([tracksOfAlbums(albums), tracksOfArtists(artists)]);
  const seen = new Set();
  return [...tracks, ...ofAlbums, ...ofArtists].filter((t) => !seen.has(t.id) && seen.add(t.id));
}

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
    tracks: albums.length || artists.length ? () => allFavourites(tracks, albums, artists) : tracks,
  };
}
