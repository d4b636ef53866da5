// The lyrics panel of the playing track (GET /api/tracks/{id}/lyrics): beside the view on wide
// screens, above the player bar on phones. Synced lyrics highlight the line being heard, read
// from the engine's audio clock (engine.playhead, the sample the render thread plays), never
// from wall time; a click on a line seeks to its start. Unsynced lyrics are shown as text; a
// track without lyrics (404) says so.
//
// Not for: parsing LRC (the server does) or seeking itself (the player's seekTo).

import { api } from './api.js';
import { $, h } from './dom.js';
import { engine, bus } from './state.js';

const OPEN_KEY = 'auralis-lyrics-open';

export class LyricsPanel {
  /** @param {{seek: (seconds: number) => void}} hooks */
  constructor({ seek }) {
    this.panel = $('#lyrics');
    this.body = $('#lyrics-body');
    this.caption = $('#lyrics-track');
    this.button = $('#lyrics-btn');
    this.seek = seek;
    this.track = null;
    this.lyrics = null; // { synced, lines } of this.track, or null
    this.lines = []; // the line buttons of synced lyrics
    this.currentLine = -1;
    this.gen = 0;
    this.cache = new Map(); // track id -> lyrics | 'none'
    this.raf = 0;
    this.button.addEventListener('click', () => this.toggle());
    $('#lyrics-close').addEventListener('click', () => { this.toggle(false); this.button.focus(); });
    this.body.addEventListener('keydown', (e) => this.key(e));
    bus.addEventListener('nowplaying', (e) => this.setTrack(e.detail));
    // phones: the panel goes into the player bar, under the now-playing area
    const phone = matchMedia('(max-width: 820px)');
    const place = () => {
      const bar = $('footer.player');
      if (phone.matches) bar.insertBefore(this.panel, bar.querySelector('.transport'));
      else document.body.insertBefore(this.panel, bar);
    };
    phone.addEventListener('change', place);
    place();
    try { this.wantOpen = localStorage.getItem(OPEN_KEY) === '1'; } catch { this.wantOpen = false; }
  }

  get open() { return !this.panel.hidden; }

  /** Opens or closes the panel (and remembers it in this browser). */
  toggle(open = !this.open) {
    this.wantOpen = open;
    try { localStorage.setItem(OPEN_KEY, open ? '1' : '0'); } catch { /* private mode */ }
    this.show();
  }

  show() {
    const open = this.wantOpen && document.body.dataset.signedIn === 'true';
    this.panel.hidden = !open;
    document.body.classList.toggle('with-lyrics', open);
    this.button.setAttribute('aria-expanded', String(open));
    if (open) this.load();
    this.loop();
  }

  setTrack(t) {
    if (t?.id === this.track?.id && t) return;
    this.track = t ?? null;
    this.lyrics = null;
    this.lines = [];
    this.currentLine = -1;
    this.gen++;
    this.caption.textContent = t ? `${t.title}${t.artist ? ` · ${t.artist}` : ''}` : '';
    this.body.replaceChildren(h('p', { class: 'empty' }, t ? '' : 'Nothing playing.'));
    if (this.open) this.load();
    this.loop();
  }

  /** Fetches the lyrics of the playing track (once per track) and draws them. */
  async load() {
    const t = this.track;
    if (!t || this.lyrics) return;
    const gen = this.gen;
    let l = this.cache.get(t.id);
    if (!l) {
      this.body.replaceChildren(h('p', { class: 'muted' }, 'Loading lyrics…'));
      try {
        l = await api.lyrics(t.id);
      } catch (e) {
        if (gen !== this.gen) return;
        if (e.status === 404) l = 'none';
        else { this.body.replaceChildren(h('p', { class: 'empty' }, `Lyrics could not be loaded: ${e.message}`)); return; }
      }
      if (this.cache.size > 50) this.cache.clear();
      this.cache.set(t.id, l);
    }
    if (gen !== this.gen) return;
    this.lyrics = l === 'none' ? { synced: false, lines: [] } : l;
    this.draw();
  }

  draw() {
    const l = this.lyrics;
    this.lines = [];
    this.currentLine = -1;
    if (!l.lines.length) {
      this.body.replaceChildren(h('p', { class: 'empty', id: 'no-lyrics' }, 'No lyrics'));
    } else if (!l.synced) {
      this.body.replaceChildren(h('div', { class: 'lyrics-plain' }, l.lines.map((x) => h('p', {}, x.text || '\u00a0'))));
    } else {
      const list = h('ol', { class: 'lyrics-lines', 'aria-label': 'Lyrics lines: a line plays from its start when chosen' });
      l.lines.forEach((x, i) => {
        const b = h('button', {
          type: 'button', class: 'line', tabindex: i === 0 ? '0' : '-1', 'data-start': String(x.start_s),
          onclick: () => this.seek(x.start_s),
        }, x.text || '♪');
        this.lines.push(b);
        list.append(h('li', {}, b));
      });
      this.body.replaceChildren(list);
      this.highlight();
    }
    this.loop();
  }

  /** ↑/↓ move between lines (one tab stop for the whole list). */
  key(e) {
    if (!this.lines.length || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') || e.altKey) return;
    const i = this.lines.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    e.stopPropagation();
    const j = Math.max(0, Math.min(this.lines.length - 1, i + (e.key === 'ArrowUp' ? -1 : 1)));
    this.roving(j);
    this.lines[j].focus();
  }

  roving(j) {
    this.lines.forEach((b, k) => b.setAttribute('tabindex', k === j ? '0' : '-1'));
  }

  /** Seconds of the playing track the listener hears now, from the audio clock. */
  heardSeconds() {
    if (!this.track || engine.trackId !== this.track.id) return null;
    const ph = engine.playhead;
    if (ph && ph.trackId === this.track.id && engine.ctx) return ph.sample / engine.ctx.sampleRate;
    return engine.position;
  }

  /** Marks the line being heard: the last one whose start has been reached. */
  highlight() {
    const t = this.heardSeconds();
    const lines = this.lyrics?.lines ?? [];
    let i = -1;
    if (t !== null) {
      // binary search: lines are sorted by start_s
      let lo = 0; let hi = lines.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (lines[mid].start_s <= t) { i = mid; lo = mid + 1; } else hi = mid - 1;
      }
    }
    if (i === this.currentLine) return;
    const old = this.lines[this.currentLine];
    if (old) { old.removeAttribute('aria-current'); old.classList.remove('now'); }
    this.currentLine = i;
    const b = this.lines[i];
    if (!b) return;
    b.setAttribute('aria-current', 'true');
    b.classList.add('now');
    if (!this.body.contains(document.activeElement)) this.roving(i);
    // keep the line in view inside the panel, without scrolling the page
    const box = this.body;
    const top = b.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
    if (top < box.scrollTop || top + b.offsetHeight > box.scrollTop + box.clientHeight) {
      const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
      box.scrollTo({ top: Math.max(0, top - box.clientHeight / 3), behavior: still ? 'auto' : 'smooth' });
    }
  }

  /** Follows the audio clock once per frame while synced lyrics are on screen. */
  loop() {
    const want = this.open && this.lines.length > 0;
    if (want && !this.raf) {
      const tick = () => {
        if (!(this.open && this.lines.length > 0)) { this.raf = 0; return; }
        this.highlight();
        this.raf = requestAnimationFrame(tick);
      };
      this.raf = requestAnimationFrame(tick);
    }
  }

  /** Forgets the lyrics shown (sign-out); the open/closed choice stays with the browser. */
  clear() {
    this.cache.clear();
    this.setTrack(null);
    this.show();
  }
}
