// The playlists views: #/playlists (yours and the public ones of others, a new one, an M3U
// import with the lines that matched nothing) and #/playlist/<id> (its tracks in order, play,
// export, and for your own: reorder by drag or Alt+↑/↓ or the move buttons, remove, rename,
// public, delete). Other users' public playlists are read-only here, as on the server.
//
// Not for: adding tracks to a playlist from other views (playlists.js has that dialog).

import { api } from '../api.js';
import { h, fmtTime, plural, announce, toast } from '../dom.js';
import { page, route } from '../router.js';
import { remember } from '../state.js';
import { trackTable, listActions } from '../lists.js';
import { saveOrder, inOrder } from '../playlists.js';
import { field, alertLine, onSubmit, FieldError, modal, confirmDialog } from '../forms.js';

const summary = (p) => [plural(p.track_count, 'track'), fmtTime(p.duration_s), p.public ? 'public' : 'private'].join(' · ');

function playlistLinks(items, { owner }) {
  return h('ul', { class: 'list links' }, items.map((p) => h('li', {},
    h('a', { href: `#/playlist/${p.id}` }, h('strong', {}, p.name),
      h('span', { class: 'muted' }, ` · ${summary(p)}${owner ? ` · by ${p.owner}` : ''}`)))));
}

/** The tracks of playlists in the order given, each in its own order (for Play on the list).
 *  One request per playlist, so made only when Play is pressed; a playlist deleted since the
 *  list was drawn adds nothing. */
async function tracksOfPlaylists(items, max = 50) {
  const lists = await Promise.all(items.filter((p) => p.track_count).slice(0, max).map((p) =>
    api.playlist(p.id).catch((e) => { if (e.status === 404) return { tracks: [] }; throw e; })));
  return remember(lists.flatMap((p) => p.tracks));
}

export async function playlistsView() {
  const lists = h('div', {});
  let listed = []; // in the order shown: yours, then the shared ones
  const showLists = (items) => {
    const mine = items.filter((p) => p.mine);
    const others = items.filter((p) => !p.mine);
    listed = [...mine, ...others];
    lists.replaceChildren(
      h('h2', {}, 'Your playlists'),
      mine.length ? playlistLinks(mine, { owner: false }) : h('p', { class: 'empty' }, 'No playlists yet: make one above, or use “Add to playlist” on any track or album.'),
      h('h2', {}, 'Shared by others'),
      others.length ? playlistLinks(others, { owner: true }) : h('p', { class: 'empty' }, 'No one else shares a playlist.'));
  };
  const { items } = await api.playlists();
  showLists(items);

  const create = h('form', { class: 'inline-form', 'aria-labelledby': 'newpl-title' },
    h('h2', { id: 'newpl-title', class: 'full' }, 'New playlist'),
    field('Playlist name', { id: 'newpl-name', required: true, maxlength: '200', autocomplete: 'off' }),
    h('button', { class: 'btn', type: 'submit' }, 'Create playlist'),
    alertLine());
  onSubmit(create, async () => {
    const name = create.querySelector('#newpl-name');
    if (!name.value.trim()) throw new FieldError('Give the playlist a name.', name);
    const p = await api.createPlaylist({ name: name.value.trim() });
    announce(`Playlist “${p.name}” created.`);
    location.hash = `#/playlist/${p.id}`;
  });

  const result = h('div', { id: 'import-result', role: 'status' });
  const file = h('input', { type: 'file', id: 'import-file', accept: '.m3u,.m3u8,audio/x-mpegurl,audio/mpegurl,application/vnd.apple.mpegurl', 'aria-describedby': 'import-hint' });
  const importAlert = alertLine();
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    importAlert.textContent = '';
    result.replaceChildren(h('p', { class: 'muted' }, `Importing ${f.name}…`));
    const name = f.name.replace(/\.(m3u8?|txt)$/i, '') || 'Imported playlist';
    try {
      const { playlist, unmatched } = await api.importM3u(name, f);
      remember(playlist.tracks);
      result.replaceChildren(
        h('p', { class: 'form-ok' }, `Imported “${playlist.name}”: ${plural(playlist.tracks.length, 'track')}. `,
          h('a', { href: `#/playlist/${playlist.id}` }, `Open “${playlist.name}”`)),
        ...(unmatched.length ? [
          h('p', { class: 'warn', id: 'unmatched-title' }, `${plural(unmatched.length, 'line')} matched no track of the library:`),
          h('ul', { class: 'unmatched', id: 'import-unmatched', 'aria-labelledby': 'unmatched-title' }, unmatched.map((l) => h('li', {}, h('code', {}, l))))] : []));
      showLists((await api.playlists()).items);
    } catch (e) {
      result.replaceChildren();
      importAlert.textContent = `The import failed: ${e.message}`;
    } finally {
      file.value = '';
    }
  });
  const importer = h('section', { class: 'import', 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title' }, 'Import'),
    h('div', { class: 'fld' },
      h('label', { for: 'import-file' }, 'Import an M3U playlist'),
      file,
      h('p', { class: 'hint', id: 'import-hint' }, 'Paths relative to the music folder (or absolute inside it). The new playlist takes the file’s name.')),
    importAlert, result);

  return {
    nodes: page('Playlists', h('div', { class: 'pl-tools' }, create, importer), lists),
    tracks: () => tracksOfPlaylists(listed),
  };
}

/** The download name of an export: the playlist's name without characters files cannot hold. */
const fileName = (name) => `${name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').trim() || 'playlist'}.m3u8`;

export async function playlistView(id) {
  const p = await api.playlist(id);
  let order = remember(p.tracks);
  const mine = p.mine;
  const title = h('h1', { tabindex: '-1' }, p.name);
  const info = h('p', { class: 'muted', id: 'pl-info' });
  const comment = h('p', { class: 'pl-comment' });
  const showInfo = () => {
    title.textContent = p.name;
    const dur = order.reduce((s, t) => s + (t.duration_s ?? 0), 0);
    info.textContent = [mine ? 'Your playlist' : `By ${p.owner}`, plural(order.length, 'track'), fmtTime(dur), p.public ? 'public' : 'private'].join(' · ');
    comment.textContent = p.comment ?? '';
    comment.hidden = !p.comment;
  };
  showInfo();
  const tableBox = h('div', {});
  const actions = h('div', { class: 'row-actions wrap' });

  // ---- editing (own playlists only) -------------------------------------------------------
  const save = (what) => saveOrder(p.id, order.map((t) => t.id)).then(() => { announce(what); }, (e) => {
    if (e.status === 401) return;
    toast(`Could not save the playlist: ${e.message}`);
    route({ quiet: true }); // show what the server has
  });

  /** Redraws the table; the focus goes to control `act` of row `row` (if given). */
  function draw(focus = null) {
    tableBox.replaceChildren(order.length
      ? trackTable(order, { number: 'index', label: `Tracks of ${p.name}`, edit: mine ? edit : null })
      : h('p', { class: 'empty' }, mine ? 'No tracks yet. Add some with “Add to playlist” on any track or album.' : 'No tracks.'));
    showInfo();
    actions.replaceChildren(...playActions());
    if (!focus) return;
    const tr = tableBox.querySelector(`tr[data-index="${Math.min(focus.row, order.length - 1)}"]`);
    const el = tr?.querySelector(`[data-act="${focus.act}"]`) ?? null;
    (el && !el.disabled ? el : tr?.querySelector('.grip') ?? title).focus();
  }

  function moveTo(from, to) {
    if (to < 0 || to >= order.length || to === from) return;
    const next = [...order];
    const [t] = next.splice(from, 1);
    next.splice(to, 0, t);
    order = next;
    const act = focusedAct();
    draw({ row: to, act });
    save(`${t.title} moved to position ${to + 1} of ${order.length}.`);
  }

  /** Which control of a row has the focus (its data-act), to focus it again once redrawn. */
  const focusedAct = () => document.activeElement?.dataset?.act ?? 'grip';

  function remove(i) {
    const [t] = order.splice(i, 1);
    order = [...order];
    draw({ row: i, act: 'remove' });
    if (!order.length) title.focus();
    save(`${t.title} removed from the playlist.`);
  }

  /** Drag by the grip, with a mouse, a pen or a finger (pointer events; HTML drag and drop
   *  does not work with touch). */
  function grip(tr, handle, i) {
    handle.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      handle.setPointerCapture(e.pointerId);
      handle.focus();
      const table = tr.closest('table');
      tr.classList.add('dragging');
      let target = null;
      const rows = () => [...table.querySelectorAll('tbody tr')];
      const over = (ev) => {
        for (const r of rows()) r.classList.remove('drop-before', 'drop-after');
        const under = rows().find((r) => { const b = r.getBoundingClientRect(); return ev.clientY >= b.top && ev.clientY < b.bottom; });
        if (!under) { target = null; return; }
        const b = under.getBoundingClientRect();
        const after = ev.clientY > b.top + b.height / 2;
        under.classList.add(after ? 'drop-after' : 'drop-before');
        const j = Number(under.dataset.index);
        target = after ? j + 1 : j;
      };
      const done = (ev, drop) => {
        handle.removeEventListener('pointermove', over);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', cancel);
        tr.classList.remove('dragging');
        for (const r of rows()) r.classList.remove('drop-before', 'drop-after');
        if (drop && target !== null) moveTo(i, target > i ? target - 1 : target);
      };
      const up = (ev) => { over(ev); done(ev, true); };
      const cancel = (ev) => done(ev, false);
      handle.addEventListener('pointermove', over);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', cancel);
    });
  }
  const edit = { move: (i, d) => moveTo(i, i + d), remove, grip };

  // Alt+↑ / Alt+↓ on any control of a row moves that row
  tableBox.addEventListener('keydown', (e) => {
    if (!mine || !e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    const tr = e.target.closest('tr[data-index]');
    if (!tr) return;
    e.preventDefault();
    const i = Number(tr.dataset.index);
    const to = i + (e.key === 'ArrowUp' ? -1 : 1);
    if (to < 0 || to >= order.length) return;
    moveTo(i, to); // the focus stays on the same control of the moved row
  });

  // ---- the playlist's own settings --------------------------------------------------------
  async function rename() {
    const form = h('form', { class: 'stack' },
      h('h2', { id: 'rename-title' }, 'Rename the playlist'),
      field('Name', { id: 'rename-name', required: true, maxlength: '200', value: p.name, autocomplete: 'off' }),
      field('Comment', { id: 'rename-comment', maxlength: '1000', value: p.comment ?? '', autocomplete: 'off' }, 'Optional.'),
      alertLine(),
      h('div', { class: 'row-actions end' },
        h('button', { class: 'btn secondary', type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'),
        h('button', { class: 'btn', type: 'submit' }, 'Save')));
    const { dialog, closed } = modal({ labelId: 'rename-title' }, form);
    onSubmit(form, async () => {
      const name = form.querySelector('#rename-name');
      if (!name.value.trim()) throw new FieldError('Give the playlist a name.', name);
      const out = await inOrder(p.id, () => api.updatePlaylist(p.id, { name: name.value.trim(), comment: form.querySelector('#rename-comment').value }));
      p.name = out.name;
      p.comment = out.comment;
      dialog.close('ok');
    });
    if ((await closed) === 'ok') { draw(); announce(`Renamed to “${p.name}”.`); }
  }

  const publicBox = h('input', { type: 'checkbox', id: 'pl-public', checked: p.public, 'aria-describedby': 'pl-public-hint' });
  publicBox.addEventListener('change', async () => {
    const want = publicBox.checked;
    try {
      const out = await inOrder(p.id, () => api.updatePlaylist(p.id, { public: want }));
      p.public = out.public;
      showInfo();
      announce(p.public ? 'The playlist is public: other users can see and play it.' : 'The playlist is private.');
    } catch (e) {
      publicBox.checked = !want;
      if (e.status !== 401) toast(`Could not change the playlist: ${e.message}`);
    }
  });

  async function remove_() {
    const sure = await confirmDialog({
      title: `Delete the playlist “${p.name}”?`,
      text: 'Its tracks stay in the library. This cannot be undone.',
      confirm: 'Delete playlist',
    });
    if (!sure) return;
    try {
      await inOrder(p.id, () => api.deletePlaylist(p.id));
    } catch (e) {
      if (e.status !== 401) toast(`Could not delete the playlist: ${e.message}`);
      return;
    }
    announce(`Playlist “${p.name}” deleted.`);
    location.hash = '#/playlists';
  }

  const playActions = () => [
    ...listActions(order, 'playlist', { playId: 'play-playlist' }),
    h('a', { class: 'btn secondary', href: api.m3uUrl(p.id), download: fileName(p.name) }, 'Export M3U'),
  ];
  const owner = mine ? [
    h('div', { class: 'row-actions wrap' },
      h('button', { class: 'btn secondary', type: 'button', onclick: rename }, 'Rename'),
      h('div', { class: 'fld check inline' }, publicBox, h('label', { for: 'pl-public' }, 'Public')),
      h('button', { class: 'btn danger', type: 'button', onclick: remove_ }, 'Delete playlist')),
    h('p', { class: 'hint pl-hint', id: 'pl-public-hint' }, 'A public playlist can be seen and played by the other users, not changed.')] : null;

  draw();
  return {
    nodes: [h('div', { class: 'pl-head' }, title, info, comment, actions, owner), tableBox],
    tracks: () => order,
  };
}
