// Forms and dialogs: labelled fields, a submit handler that shows the server's message in the
// form's alert, modal dialogs that give the focus back, and the "are you sure?" dialog.
//
// Not for: what any form does (the sign-in, account and playlist modules decide that).

import { h } from './dom.js';

/** An error that belongs to one field: the field is marked invalid and gets the focus. */
export class FieldError extends Error {
  constructor(message, input) { super(message); this.input = input; }
}

/** A labelled input with an optional hint (tied to it with aria-describedby). */
export function field(label, attrs, hint = null) {
  const hintId = hint ? `${attrs.id}-hint` : null;
  return h('div', { class: 'fld' },
    h('label', { for: attrs.id }, label),
    h('input', { type: 'text', ...attrs, 'aria-describedby': hintId }),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

export const alertLine = () => h('p', { class: 'form-error', role: 'alert' });
export const statusLine = () => h('p', { class: 'form-ok', role: 'status' });

/** Wires a form's submit: the alert is cleared, `action(form)` runs once at a time, and what it
 *  throws is shown in the form's alert (an ApiError with the server's message). */
export function onSubmit(form, action) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    const alert = form.querySelector('.form-error');
    const ok = form.querySelector('.form-ok');
    alert.textContent = '';
    if (ok) ok.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    form.setAttribute('aria-busy', 'true');
    try {
      await action(form);
    } catch (err) {
      if (!form.isConnected) return;
      alert.textContent = err.message;
      if (err.input) {
        err.input.setAttribute('aria-invalid', 'true');
        err.input.setAttribute('aria-errormessage', alert.id || (alert.id = `err-${Math.random().toString(36).slice(2)}`));
        err.input.focus();
        err.input.select?.();
      }
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

/** The two new-password fields must agree (the server cannot check that). */
export function sameNewPasswords(pw, confirm) {
  if (pw.value !== confirm.value) throw new FieldError('The two passwords differ.', confirm);
}

/** A modal dialog named by its heading `labelId` (and described by `describedBy`); `closed`
 *  resolves to its return value, and the focus goes back where it was. */
export function modal({ labelId, describedBy = null, cls = null }, ...content) {
  const back = document.activeElement;
  const d = h('dialog', { 'aria-labelledby': labelId, 'aria-describedby': describedBy, class: cls }, ...content);
  const closed = new Promise((resolve) => d.addEventListener('close', () => {
    d.remove();
    if (back?.isConnected) back.focus();
    resolve(d.returnValue);
  }));
  document.body.append(d);
  d.showModal();
  return { dialog: d, closed };
}

/** Asks "are you sure?"; resolves true only for the confirming button (Escape cancels). */
export async function confirmDialog({ title, text, confirm }) {
  const { closed } = modal({ labelId: 'confirm-title', describedBy: 'confirm-text' }, h('form', { method: 'dialog' },
    h('h2', { id: 'confirm-title' }, title),
    h('p', { id: 'confirm-text' }, text),
    h('div', { class: 'row-actions end' },
      h('button', { class: 'btn secondary', type: 'submit', value: 'cancel' }, 'Cancel'),
      h('button', { class: 'btn danger', type: 'submit', value: 'ok' }, confirm))));
  return (await closed) === 'ok';
}
