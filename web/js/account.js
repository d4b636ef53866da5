// The account panel (#/account): the signed-in user's password, their API keys, and for an
// administrator the users (add, set a password, delete).
//
// Not for: signing in or out (session.js), or anything of the library.

import { api } from './api.js';
import { h } from './dom.js';
import { state } from './state.js';
import { page } from './router.js';
import { FieldError, field, alertLine, statusLine, onSubmit, sameNewPasswords, modal, confirmDialog } from './forms.js';

/** A time of the accounts API (Unix seconds) as a table cell; null is "Never". */
function dateCell(t, label) {
  const d = typeof t === 'number' ? new Date(t * 1000) : t ? new Date(t) : null;
  const td = (...c) => h('td', { 'data-label': label }, ...c); // the label heads the cell on phones
  if (!d) return td('Never');
  if (Number.isNaN(d.getTime())) return td(String(t));
  return td(h('time', { datetime: d.toISOString() }, d.toLocaleString()));
}

export async function accountView() {
  const me = state.user;
  const [{ items: keys }, users] = await Promise.all([api.apiKeys(), me.admin ? api.users() : null]);
  return page('Account',
    h('p', { class: 'muted' }, `Signed in as ${me.name}${me.admin ? ', administrator' : ''}.`),
    passwordSection(me),
    keysSection(keys),
    me.admin ? usersSection(users.items) : []);
}

function section(id, title, ...content) {
  return h('section', { class: 'panel', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title`, tabindex: '-1' }, title), ...content);
}

function passwordSection(me) {
  const form = h('form', { class: 'stack', 'aria-labelledby': 'pw-title' },
    field('Current password', { id: 'pw-old', type: 'password', autocomplete: 'current-password', required: true }),
    field('New password', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters.'),
    field('Confirm new password', { id: 'pw-confirm', type: 'password', autocomplete: 'new-password', required: true }),
    alertLine(), statusLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Change password'));
  onSubmit(form, async () => {
    const [old, pw, confirm] = ['#pw-old', '#pw-new', '#pw-confirm'].map((s) => form.querySelector(s));
    sameNewPasswords(pw, confirm);
    try {
      await api.setPassword(me.id, pw.value, old.value);
    } catch (e) {
      throw e.status === 401 ? new FieldError(e.message, old) : e;
    }
    form.reset();
    form.querySelector('.form-ok').textContent = 'Password changed. Your other sessions have been signed out.';
  });
  return section('pw', 'Password', form);
}

function keysSection(keys) {
  const list = h('div', {});
  const news = h('div', {});
  const alert = alertLine();
  const status = statusLine();
  const heading = () => list.closest('section')?.querySelector('h2');
  const reload = async () => { showKeys((await api.apiKeys()).items); };
  const showKeys = (items) => list.replaceChildren(items.length
    ? h('table', { class: 'rows', 'aria-labelledby': 'keys-title' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Created'), h('th', {}, 'Last used'), h('th', {}, h('span', { class: 'sr' }, 'Actions')))),
      h('tbody', {}, items.map((k) => h('tr', { 'data-key-id': k.id },
        h('td', {}, k.name), dateCell(k.created_at, 'Created'), dateCell(k.last_used, 'Last used'),
        h('td', { class: 'act' }, h('button', { class: 'mini', type: 'button', 'aria-label': `Revoke key ${k.name}`, onclick: () => revoke(k) }, 'Revoke'))))))
    : h('p', { class: 'empty' }, 'No API keys yet.'));
  async function revoke(k) {
    const sure = await confirmDialog({
      title: `Revoke the key “${k.name}”?`,
      text: 'Scripts and apps that use it are refused from now on. This cannot be undone.',
      confirm: 'Revoke key',
    });
    if (!sure) return;
    alert.textContent = '';
    status.textContent = '';
    try {
      await api.revokeApiKey(k.id);
      status.textContent = `Key “${k.name}” revoked.`;
    } catch (e) { alert.textContent = e.message; }
    await reload().catch(() => {});
    heading()?.focus();
  }
  const form = h('form', { class: 'inline-form', 'aria-labelledby': 'newkey-title' },
    field('Key name', { id: 'key-name', required: true, maxlength: '64', autocomplete: 'off', placeholder: 'e.g. phone, backup script' }),
    h('button', { class: 'btn', type: 'submit' }, 'Create key'),
    alertLine());
  onSubmit(form, async () => {
    const name = form.querySelector('#key-name');
    if (!name.value.trim()) throw new FieldError('Give the key a name.', name);
    const k = await api.createApiKey(name.value.trim());
    form.reset();
    status.textContent = '';
    showNewKey(k);
    await reload();
  });
  function showNewKey(k) {
    const out = h('input', { id: 'new-key', type: 'text', readonly: true, value: k.key, class: 'mono', 'aria-describedby': 'new-key-warning', spellcheck: 'false' });
    const copied = h('span', { class: 'form-ok', role: 'status' });
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(k.key);
      } catch {
        out.select(); // plain http on a home network has no clipboard API; the old way still works
        document.execCommand('copy');
      }
      copied.textContent = 'Copied.';
    };
    news.replaceChildren(h('div', { class: 'new-key' },
      h('p', { id: 'new-key-warning', class: 'warn' }, `This is the key “${k.name}”. Copy it now: it is shown only this once, and anyone who has it can use Auralis as you.`),
      h('div', { class: 'fld' }, h('label', { for: 'new-key' }, 'New API key'),
        h('div', { class: 'inline-form' }, out,
          h('button', { class: 'btn', type: 'button', onclick: copy }, 'Copy key'),
          h('button', { class: 'btn secondary', type: 'button', onclick: () => { news.replaceChildren(); form.querySelector('#key-name').focus(); } }, 'Done'),
          copied))));
    out.focus();
    out.select();
  }
  showKeys(keys);
  return section('keys', 'API keys',
    h('p', { class: 'muted' }, 'A key lets a script or an app use Auralis as you: it sends the header “Authorization: Bearer <key>”.'),
    list, alert, status, news, h('h3', { id: 'newkey-title' }, 'Create a key'), form);
}

function usersSection(users) {
  const me = state.user;
  const list = h('div', {});
  const alert = alertLine();
  const status = statusLine();
  const heading = () => list.closest('section')?.querySelector('h2');
  const reload = async () => { showUsers((await api.users()).items); };
  const showUsers = (items) => list.replaceChildren(h('table', { class: 'rows', 'aria-labelledby': 'users-title' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Role'), h('th', {}, 'Created'), h('th', {}, h('span', { class: 'sr' }, 'Actions')))),
    h('tbody', {}, items.map((u) => h('tr', { 'data-user-id': u.id },
      h('td', {}, u.name, u.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', {}, u.admin ? 'Administrator' : 'User'),
      dateCell(u.created_at, 'Created'),
      h('td', { class: 'act' },
        u.id === me.id ? null // one's own password is changed above, with the old one
          : h('button', { class: 'mini', type: 'button', 'aria-label': `Set password for ${u.name}`, onclick: () => setPassword(u) }, 'Set password'),
        ' ',
        h('button', { class: 'mini', type: 'button', 'aria-label': `Delete user ${u.name}`, onclick: () => remove(u) }, 'Delete')))))));
  const say = (ok, err = '') => { status.textContent = ok; alert.textContent = err; };
  async function remove(u) {
    const sure = await confirmDialog({
      title: `Delete the user “${u.name}”?`,
      text: u.id === me.id
        ? 'This is your own account: you will be signed out and cannot sign in again.'
        : `${u.name} can no longer sign in, and their API keys stop working. This cannot be undone.`,
      confirm: 'Delete user',
    });
    if (!sure) return;
    say('');
    try {
      await api.deleteUser(u.id);
      say(`User “${u.name}” deleted.`);
    } catch (e) {
      if (e.status === 401) return;
      say('', e.message); // e.g. 409: the last administrator cannot be deleted
    }
    await reload().catch(() => {});
    heading()?.focus();
  }
  async function setPassword(u) {
    const form = h('form', { class: 'stack' },
      h('h2', { id: 'setpw-title' }, `Set a password for ${u.name}`),
      field('New password', { id: 'setpw-new', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters. Their sessions end.'),
      field('Confirm new password', { id: 'setpw-confirm', type: 'password', autocomplete: 'new-password', required: true }),
      alertLine(),
      h('div', { class: 'row-actions end' },
        h('button', { class: 'btn secondary', type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'),
        h('button', { class: 'btn', type: 'submit' }, 'Set password')));
    const { dialog, closed } = modal({ labelId: 'setpw-title' }, form);
    onSubmit(form, async () => {
      const [pw, confirm] = ['#setpw-new', '#setpw-confirm'].map((s) => form.querySelector(s));
      sameNewPasswords(pw, confirm);
      await api.setPassword(u.id, pw.value);
      dialog.close('ok');
    });
    if ((await closed) === 'ok') say(`Password of “${u.name}” changed.`);
  }
  const form = h('form', { class: 'stack', 'aria-labelledby': 'adduser-title' },
    h('h3', { id: 'adduser-title' }, 'Add a user'),
    field('Username', { id: 'adduser-name', autocomplete: 'off', required: true, maxlength: '64' }, '1 to 64 characters.'),
    field('Password', { id: 'adduser-password', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters.'),
    h('div', { class: 'fld check' },
      h('input', { id: 'adduser-admin', type: 'checkbox' }),
      h('label', { for: 'adduser-admin' }, 'Administrator (can manage users, scan the library and clear the cache)')),
    alertLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Add user'));
  onSubmit(form, async () => {
    const name = form.querySelector('#adduser-name');
    const u = await api.createUser(name.value, form.querySelector('#adduser-password').value, form.querySelector('#adduser-admin').checked);
    form.reset();
    say(`User “${u?.name ?? name.value}” added.`);
    await reload();
    name.focus();
  });
  showUsers(users);
  return section('users', 'Users', list, alert, status, form);
}
