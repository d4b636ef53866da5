// Who is signed in: the first-run form (the admin account), the sign-in form, signing out, and
// what a lost session means (a 401, a closed event stream): the page asks the server who it is
// and shows that user's page or the sign-in form, never reloading.
//
// Nothing but `/api/auth/status` is asked before a user is signed in. Signing out (or losing the
// session) calls the `signedOut` hook first, which stops the audio and clears every view, so the
// next user of the browser sees nothing of the previous one.
//
// Not for: what a signed-in page shows (ui.js wires that through the two hooks).

import { api, onUnauthorized } from './api.js';
import { $, h, silence } from './dom.js';
import { state } from './state.js';
import { FieldError, field, alertLine, onSubmit, sameNewPasswords } from './forms.js';

let hooks = { signedIn: () => {}, signedOut: () => {} };

/** Shows the signed-in page (header, tabs, views, player) or, signed out, only the form. */
function showChrome(signedIn) {
  for (const el of [$('#search'), $('#help-btn'), $('#user-menu'), $('.tabs'), $('#view'), $('footer.player')]) el.hidden = !signedIn;
  $('#auth').hidden = signedIn;
  document.body.classList.toggle('signed-out', !signedIn);
  document.body.dataset.signedIn = String(signedIn);
}

function signedIn(user) {
  state.user = user;
  $('#user-name').textContent = user.name;
  $('#auth').replaceChildren();
  showChrome(true);
  hooks.signedIn(user);
}

/** Forgets everything of the signed-in user (the hook clears audio, queue, views, events). */
function clearSession() {
  hooks.signedOut();
  $('#user-name').textContent = '';
  $('#toast').hidden = true;
  silence();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  // the next user starts at the albums, not in the previous one's view
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  showChrome(false);
}

export async function signOut() {
  clearSession(); // silent at once, whatever the server answers
  try {
    await api.logout();
    showAuth('signin');
  } catch (e) {
    showAuth('signin', `The server could not end the session (${e.message}); you may still be signed in.`);
  }
}

let checking = null;
/** Asks the server who we are after a 401 (or a closed event stream) and acts on the answer:
 *  still the same user, nothing; nobody, the sign-in form; someone else (another tab of this
 *  browser signed in meanwhile), that user's page. Never reloads, so it cannot loop. */
export function checkSession() {
  checking ??= api.authStatus().then((s) => {
    if (!state.user) return; // signed out meanwhile
    if (s.user?.id === state.user.id) return;
    clearSession();
    if (s.user) signedIn(s.user);
    else showAuth(s.setup_required ? 'setup' : 'signin', 'Your session has ended. Sign in again.');
  }).catch(() => { /* the server is unreachable: the next call will tell */ }).finally(() => { checking = null; });
  return checking;
}
onUnauthorized(() => { if (state.user) checkSession(); });

/** The first-run form ('setup') or the sign-in form ('signin'), with an optional notice. */
function showAuth(kind, notice = '') {
  const form = kind === 'setup' ? setupForm() : signInForm();
  $('#auth').replaceChildren(h('div', { class: 'auth-card' },
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    form));
  showChrome(false);
  form.querySelector('input').focus();
}

function setupForm() {
  const form = h('form', { class: 'stack', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, 'Create the admin account'),
    h('p', { class: 'muted' }, 'Auralis has no accounts yet. This first one is an administrator: it adds the other users, scans the library and clears the cache.'),
    field('Username', { id: 'setup-username', autocomplete: 'username', required: true, maxlength: '64', autocapitalize: 'none', spellcheck: 'false' }, '1 to 64 characters.'),
    field('Password', { id: 'setup-password', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters.'),
    field('Confirm password', { id: 'setup-confirm', type: 'password', autocomplete: 'new-password', required: true }),
    alertLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Create account and sign in'));
  return onSubmit(form, async () => {
    const [name, pw, confirm] = ['#setup-username', '#setup-password', '#setup-confirm'].map((s) => form.querySelector(s));
    if (!name.value) throw new FieldError('Choose a username.', name);
    sameNewPasswords(pw, confirm);
    let user;
    try {
      user = await api.setup(name.value, pw.value);
    } catch (e) {
      if (e.status === 409) { showAuth('signin', e.message); return; } // someone else was quicker
      throw e;
    }
    signedIn(user);
  });
}

function signInForm() {
  const form = h('form', { class: 'stack', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, 'Sign in to Auralis'),
    field('Username', { id: 'signin-username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' }),
    field('Password', { id: 'signin-password', type: 'password', autocomplete: 'current-password', required: true }),
    alertLine(),
    h('button', { class: 'btn', type: 'submit' }, 'Sign in'));
  return onSubmit(form, async () => {
    const [name, pw] = ['#signin-username', '#signin-password'].map((s) => form.querySelector(s));
    if (!name.value) throw new FieldError('Enter your username.', name);
    let user;
    try {
      user = await api.login(name.value, pw.value);
    } catch (e) {
      if (e.status === 429) {
        throw new Error(e.retryAfter !== null ? `Too many attempts; try again in ${e.retryAfter} s.` : e.message);
      }
      if (e.status === 401) throw new FieldError(e.message, pw);
      throw e;
    }
    signedIn(user);
  });
}

/** Asks the server whether a user is signed in (the cookie) or the first account is needed;
 *  `signedIn(user)` and `signedOut()` are called as users come and go. */
export async function startSession(h_) {
  hooks = h_;
  $('#sign-out').addEventListener('click', signOut);
  await start();
}

async function start() {
  let s;
  try {
    s = await api.authStatus();
  } catch (e) {
    const retry = h('button', { class: 'btn', type: 'button', onclick: start }, 'Try again');
    $('#auth').replaceChildren(h('div', { class: 'auth-card' },
      h('h1', {}, 'Auralis'), h('p', { role: 'alert' }, `The server cannot be reached: ${e.message}`), retry));
    showChrome(false);
    retry.focus();
    return;
  }
  if (s.user) signedIn(s.user);
  else showAuth(s.setup_required ? 'setup' : 'signin');
}
