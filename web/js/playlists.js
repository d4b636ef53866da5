// Changing playlists from anywhere on the page: the "Add to playlist" dialog (choose one of
// yours or make a new one), and the changes of one playlist sent to the server one after the
// other, so that quick reorders arrive in the order they were made.
//
// Not for: showing playlists (views/playlists.js). The contract has no "append" call, so adding
// reads the playlist and writes it back with the new tracks at the end (docs/API.md: PUT
// replaces the whole order).

import { api } from './api.js';
import { h, announce, plural } from './dom.js';
import { modal, field, alertLine, onSubmit, FieldError } from './forms.js';
import { emit } from './state.js';

const chains = new Map(); // playlist id -> the last change sent

/** Runs `change()` (a server call on playlist `id`) after the ones before it. */
export function inOrder(id, change) {
  const run = (chains.get(id) ?? Promise.resolve()).catch(() => {}).then(change);
  chains.set(id, run);
  run.finally(() => { if (chains.get(id) === run) chains.delete(id); }).catch(() => {});
  return run;
}

/** Puts `trackIds` at the end of playlist `id`; resolves to the playlist with its tracks. */
export function appendTracks(id, trackIds) {
  return inOrder(id, async () => {
    const p = await api.playlist(id);
    const out = await api.updatePlaylist(id, { track_ids: [...p.tracks.map((t) => t.id), ...trackIds] });
    emit('playlist', { id, change: 'append' });
    return out;
  });
}

/** Saves a new order (or removal) of playlist `id`: the whole list of track ids. */
export function saveOrder(id, trackIds) {
  return inOrder(id, async () => {
    const out = await api.updatePlaylist(id, { track_ids: trackIds });
    emit('playlist', { id, change: 'order' });
    return out;
  });
}

/** The dialog "Add <what> to a playlist": one of the user's playlists, or a new one.
 *  Resolves to the playlist the tracks went to, or null when cancelled. */
export async function addToPlaylist(tracks, what) {
  const ids = tracks.map((t) => t.id);
  const alert = alertLine();
  const list = h('div', { class: 'pl-choices' }, h('p', { class: 'muted', role: 'status' }, 'Loading your playlists…'));
  let chosen = null;
  const newForm = h('form', { class: 'inline-form', 'aria-labelledby': 'atp-new-title' },
    h('h3', { id: 'atp-new-title', class: 'full' }, 'Or a new playlist'),
    field('New playlist name', { id: 'atp-name', required: true, maxlength: '200', autocomplete: 'off' }),
    h('button', { class: 'btn', type: 'submit' }, 'Create and add'),
    alertLine());
  const { dialog, closed } = modal({ labelId: 'atp-title', cls: 'pick' },
    h('h2', { id: 'atp-title' }, `Add ${what} to a playlist`),
    list, alert, newForm,
    h('div', { class: 'row-actions end' },
      h('button', { class: 'btn secondary', type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel')));

  async function choose(p, button) {
    if (dialog.getAttribute('aria-busy') === 'true') return;
    dialog.setAttribute('aria-busy', 'true');
    button.disabled = true;
    alert.textContent = '';
    try {
      await appendTracks(p.id, ids);
      chosen = p;
      dialog.close('ok');
    } catch (e) {
      alert.textContent = e.message;
      button.disabled = false;
    } finally {
      dialog.removeAttribute('aria-busy');
    }
  }

  onSubmit(newForm, async () => {
    const name = newForm.querySelector('#atp-name');
    if (!name.value.trim()) throw new FieldError('Give the playlist a name.', name);
    const p = await api.createPlaylist({ name: name.value.trim(), track_ids: ids });
    emit('playlist', { id: p.id, change: 'create' });
    chosen = p;
    dialog.close('ok');
  });

  api.playlists().then(({ items }) => {
    const mine = items.filter((p) => p.mine);
    list.replaceChildren(mine.length
      ? h('ul', { class: 'list', 'aria-label': 'Your playlists' }, mine.map((p) => {
        const b = h('button', { type: 'button', onclick: () => choose(p, b) },
          h('strong', {}, p.name), h('span', { class: 'muted' }, ` · ${plural(p.track_count, 'track')}`));
        return h('li', {}, b);
      }))
      : h('p', { class: 'muted' }, 'You have no playlists yet.'));
    // the dialog opened with the focus on the name field (the list was loading): unless the
    // user has started typing a name, the first playlist takes it
    const input = newForm.querySelector('input');
    const first = list.querySelector('button');
    const idle = !dialog.contains(document.activeElement) || document.activeElement === dialog
      || (document.activeElement === input && !input.value);
    if (dialog.open && first && idle) first.focus();
  }, (e) => { list.replaceChildren(); alert.textContent = e.message; });

  await closed;
  if (chosen) announce(`${what} added to “${chosen.name}”.`);
  return chosen;
}
