// The Queue view (#/queue): what plays now and next; a click plays that entry.
//
// Not for: changing what plays (player.js owns the queue).

import { h } from '../dom.js';
import { page } from '../router.js';
import { state } from '../state.js';
import { playIndex } from '../player.js';

export function queueView() {
  const q = state.queue;
  return {
    nodes: page('Queue', q.length ? h('ol', { class: 'list', id: 'queue-list', 'aria-label': 'Queue' }, q.map((t, i) => h('li', {},
      h('button', { type: 'button', 'aria-current': i === state.index ? 'true' : null, onclick: () => playIndex(i) },
        i === state.index ? '▶ ' : `${i + 1}. `, h('strong', {}, t.title), h('span', { class: 'muted' }, ` · ${t.artist ?? ''}`)))))
      : h('p', { class: 'empty' }, 'The queue is empty. Play an album or add tracks with their queue button.')),
    tracks: q,
  };
}
