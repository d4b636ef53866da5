// Views of the library: albums, one album, artists, one artist, all tracks, search results, and
// the scan status (#/library). Each returns its nodes and the tracks it lists, which Play plays
// when nothing is queued.
//
// Not for: the user's own music (playlists, favourites, history: their own views) or accounts.

import { api } from '../api.js';
import { h, fmtTime, plural, artwork } from '../dom.js';
import { state, remember } from '../state.js';
import { page, route } from '../router.js';
import { trackTable, albumGrid, artistList, listActions } from '../lists.js';
import { heartButton } from '../favorites.js';

async function allAlbums() {
  return state.albums ?? (state.albums = await api.albums());
}

/** The tracks of albums in the order listed (for Play on a grid of albums). */
export async function tracksOfAlbums(albums, max = 50) {
  const details = await Promise.all(albums.slice(0, max).map((a) => api.album(a.id)));
  return remember(details.flatMap((d) => d.tracks));
}

/** Every track of the library in its order (album artist, album, disc, track), a page at a time. */
async function allTracks() {
  const all = [];
  for (;;) {
    const { items, total } = await api.tracks({ limit: 1000, offset: all.length });
    all.push(...items);
    if (!items.length || all.length >= total) return all;
  }
}

/** The tracks of artists in the order listed, each artist's in album and track order as its
 *  own view lists them (for Play on a list of artists). One pass over the whole library rather
 *  than a search per artist; each track goes to the first artist it belongs to, so none twice. */
export async function tracksOfArtists(artists) {
  if (!artists.length) return [];
  const byId = new Map();
  const byName = new Map();
  artists.forEach((ar, i) => {
    if (!byId.has(ar.id)) byId.set(ar.id, i);
    if (!byName.has(ar.name)) byName.set(ar.name, i);
  });
  const of = artists.map(() => []);
  for (const t of await allTracks()) {
    const i = byId.get(t.artist_id) ?? byName.get(t.artist);
    if (i !== undefined) of[i].push(t);
  }
  return remember(of.flat());
}

export async function albumsView() {
  const { items } = await allAlbums();
  return {
    nodes: page('Albums', items.length ? albumGrid(items) : h('p', { class: 'empty' }, 'No albums yet. Is the scan still running?')),
    tracks: () => tracksOfAlbums(items),
  };
}

export async function albumView(id) {
  const a = await api.album(id);
  remember(a.tracks);
  const cover = artwork({ id: a.cover_track_id, has_artwork: a.has_artwork, album: a.title });
  return {
    nodes: [
      h('div', { class: 'album-head' }, cover, h('div', { class: 'album-info' },
        h('h1', { tabindex: '-1' }, a.title),
        h('div', { class: 'muted' }, [a.artist, a.year, plural(a.track_count, 'track'), fmtTime(a.duration_s)].filter(Boolean).join(' · ')),
        h('div', { class: 'row-actions' }, ...listActions(a.tracks, 'album', { playId: 'play-album' }), heartButton('album', a, a.title)))),
      trackTable(a.tracks, { showAlbum: false, label: `Tracks of ${a.title}` })],
    tracks: a.tracks,
  };
}

export async function artistsView() {
  const { items } = await api.artists();
  return {
    nodes: page('Artists', items.length ? artistList(items) : h('p', { class: 'empty' }, 'No artists.')),
    tracks: () => tracksOfArtists(items), // fetched on Play: the list itself carries no tracks
  };
}

export async function artistView(id) {
  const [{ items: artists }, albums] = await Promise.all([api.artists(), allAlbums()]);
  const ar = artists.find((x) => x.id === Number(id));
  if (!ar) return page('Unknown artist');
  const { items } = await api.tracks({ q: ar.name, limit: 1000 });
  const tracks = remember(items.filter((t) => t.artist_id === ar.id || t.artist === ar.name));
  const theirAlbums = albums.items.filter((a) => a.artist === ar.name || tracks.some((t) => t.album_id === a.id));
  return {
    nodes: [
      h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, ar.name), heartButton('artist', ar, ar.name)),
      h('div', { class: 'row-actions' }, ...listActions(tracks, 'all')),
      h('h2', {}, 'Albums'), albumGrid(theirAlbums), h('h2', {}, 'Tracks'), trackTable(tracks, { label: `Tracks by ${ar.name}` })],
    tracks,
  };
}

export async function tracksView() {
  const { items, total } = await api.tracks({ limit: 1000 });
  return { nodes: page(`Tracks (${total})`, trackTable(items, { label: 'All tracks' })), tracks: remember(items) };
}

export async function searchView(q) {
  const [{ items }, albums, { items: artists }] = await Promise.all([api.tracks({ q, limit: 200 }), allAlbums(), api.artists()]);
  remember(items);
  const ql = q.toLowerCase();
  const al = albums.items.filter((a) => `${a.title} ${a.artist ?? ''}`.toLowerCase().includes(ql));
  const ar = artists.filter((a) => a.name.toLowerCase().includes(ql));
  return {
    nodes: page(`Search: “${q}”`,
      al.length ? [h('h2', {}, 'Albums'), albumGrid(al)] : [],
      ar.length ? [h('h2', {}, 'Artists'), artistList(ar)] : [],
      h('h2', {}, 'Tracks'), trackTable(items, { label: `Tracks matching ${q}` })),
    tracks: items,
  };
}

/** Scan status, a rescan button (for admins: scanning is theirs) and the files the scan could
 *  not read (with the reason). */
export async function libraryView() {
  const [scan, { items }] = await Promise.all([api.scanStatus(), api.unreadable()]);
  const r = scan.last_report;
  const status = scan.running
    ? `Scanning: ${scan.processed} of ${scan.total ?? scan.seen} files…`
    : r ? `Last scan: ${r.added} added, ${r.updated} updated, ${r.removed} removed, ${r.unchanged} unchanged, ${r.unreadable} unreadable (${r.seconds.toFixed(1)} s)`
      : 'No scan yet.';
  return page('Library',
    h('p', { id: 'scan-status' }, status),
    scan.error ? h('p', { class: 'empty' }, `The last scan failed: ${scan.error}`) : [],
    state.user?.admin
      ? h('button', { class: 'btn', type: 'button', id: 'rescan', disabled: scan.running,
        onclick: async () => { await api.startScan(); route({ quiet: true }); } }, 'Rescan')
      : h('p', { class: 'muted' }, 'An administrator can rescan the music folder.'),
    h('h2', {}, 'Unreadable files'),
    items.length ? h('ul', { class: 'list', id: 'unreadable' }, items.map((f) => h('li', {},
      h('strong', {}, f.path), h('span', { class: 'muted' }, ` · ${f.reason}`))))
      : h('p', { class: 'empty' }, 'Every file could be read.'));
}
