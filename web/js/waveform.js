// The seek bar: a canvas drawing the playing track's waveform (GET /api/tracks/{id}/waveform),
// the part already played and the part the server has cached, inside a `role="slider"` element
// that seeks by pointer (click or drag) and by keyboard.
//
// A click at x seeks to exactly the sample round(x / width * total_samples) of the stream
// metadata: the engine's seek(seconds) is given sample / sample_rate, which it rounds back to
// that same sample. Until the track is analysed (404) a plain bar stands in for the waveform.
//
// Not for: playing (it calls `seek(seconds)`), fetching cache status (the player tells it which
// chunks are cached), or the time labels beside it.

import { api } from './api.js';
import { fmtTime } from './dom.js';

const PITCH = 3; // css px per waveform bar (2 px bar, 1 px gap)
const RETRY_MS = 20_000; // while a waveform is missing (not analysed yet), ask again this often
const KEY_STEP = 5; // s per arrow key
const PAGE_STEP = 30; // s per Page Up/Down

export class SeekBar {
  /** @param {HTMLElement} el the slider element (it holds a canvas)
   *  @param {{seek: (seconds: number) => void, preview?: (seconds: number|null) => void}} hooks */
  constructor(el, { seek, preview = () => {} }) {
    this.el = el;
    this.canvas = el.querySelector('canvas');
    this.seek = seek;
    this.onPreview = preview;
    this.track = null; // { id, duration }
    this.meta = null; // stream metadata of the track: samples, rate, chunks
    this.peaks = null; // Float32Array or null (plain bar)
    this.points = 0;
    this.position = 0;
    this.dragging = null; // seconds under the pointer while a pointer is down
    this.chunks = new Map(); // chunk -> Set of cached variants
    this.full = false;
    this.preset = 'adaptive';
    this.gen = 0;
    this.retry = null;
    this.wanted = new Map(); // `${id}/${points}` -> peaks (small cache)
    this.drawQueued = false;
    this.size = { w: 0, h: 0 }; // css px, from the ResizeObserver (reading layout per update costs)
    new ResizeObserver(([entry]) => this.resized(entry.contentRect)).observe(el);
    el.addEventListener('pointerdown', (e) => this.down(e));
    el.addEventListener('pointermove', (e) => this.move(e));
    el.addEventListener('pointerup', (e) => this.up(e));
    el.addEventListener('pointercancel', () => this.cancel());
    el.addEventListener('lostpointercapture', () => this.cancel());
    el.addEventListener('keydown', (e) => this.key(e));
    this.aria();
  }

  get duration() {
    if (this.meta) return this.meta.total_samples / this.meta.sample_rate;
    return this.track?.duration ?? 0;
  }

  /** The track the bar shows (null: nothing playing). */
  setTrack(track) {
    const same = track && this.track?.id === track.id;
    this.gen++;
    clearTimeout(this.retry);
    if (!same) {
      this.meta = null;
      this.peaks = null;
      this.chunks = new Map();
      this.full = false;
      this.position = 0;
    }
    this.track = track ? { id: track.id, duration: track.duration_s ?? 0 } : null;
    this.el.classList.toggle('wave-empty', !track);
    this.el.setAttribute('aria-disabled', String(!track));
    if (track) {
      const gen = this.gen;
      api.metadata(track.id).then((m) => { if (gen === this.gen) { this.meta = m; this.aria(); this.cacheChanged(); } }).catch(() => {});
      this.loadPeaks();
    }
    this.aria();
    this.cacheChanged();
  }

  /** Asks for the waveform again if it was missing (the analysis may have finished). */
  refresh() {
    if (this.track && !this.peaks) this.loadPeaks();
  }

  setPosition(seconds) {
    this.position = seconds;
    if (this.dragging === null) this.aria();
    this.draw();
  }

  // ---- the cached part ----------------------------------------------------------------------

  /** The preset whose chunks count as cached (with the original), as the cache indicator does. */
  /** `full` stays as it is until the player learns the new preset's status (setFull), so the
   *  bar and the "Cached" indicator always agree. */
  setPreset(preset) {
    if (preset === this.preset) return;
    this.preset = preset;
    this.cacheChanged();
  }

  chunkCached(chunk, variant) {
    if (!this.chunks.has(chunk)) this.chunks.set(chunk, new Set());
    this.chunks.get(chunk).add(variant);
    this.cacheChanged();
  }

  setFull(full) {
    this.full = full;
    this.cacheChanged();
  }

  evicted() {
    this.chunks = new Map();
    this.full = false;
    this.cacheChanged();
  }

  cacheChanged() {
    this.el.dataset.cachedChunks = String(this.cachedCount());
    this.draw();
  }

  isCached(chunk) {
    if (this.full) return true;
    const v = this.chunks.get(chunk);
    return !!v && v.has('original') && v.has(this.preset);
  }

  /** How many chunks the bar shows as cached (the tests read it). */
  cachedCount() {
    if (!this.meta) return 0;
    let n = 0;
    for (let k = 0; k < this.meta.total_chunks; k++) if (this.isCached(k)) n++;
    return n;
  }

  // ---- input -------------------------------------------------------------------------------

  /** The sample under client x, per the stream metadata (null without it). */
  sampleAt(clientX) {
    const r = this.el.getBoundingClientRect();
    const x = Math.min(r.width, Math.max(0, clientX - r.left));
    if (!this.meta) return { seconds: (x / r.width) * this.duration, sample: null };
    const sample = Math.round((x / r.width) * this.meta.total_samples);
    return { seconds: sample / this.meta.sample_rate, sample };
  }

  down(e) {
    if (!this.track || e.button !== 0) return;
    e.preventDefault();
    this.el.focus({ preventScroll: true });
    this.el.setPointerCapture(e.pointerId);
    this.dragging = this.sampleAt(e.clientX).seconds;
    this.onPreview(this.dragging);
    this.draw();
  }

  move(e) {
    if (this.dragging === null) return;
    this.dragging = this.sampleAt(e.clientX).seconds;
    this.onPreview(this.dragging);
    this.draw();
  }

  up(e) {
    if (this.dragging === null) return;
    const { seconds } = this.sampleAt(e.clientX);
    this.dragging = null;
    this.onPreview(null);
    this.position = seconds;
    this.aria();
    this.draw();
    this.seek(seconds);
  }

  cancel() {
    if (this.dragging === null) return;
    this.dragging = null;
    this.onPreview(null);
    this.draw();
  }

  key(e) {
    if (!this.track || e.altKey || e.ctrlKey || e.metaKey) return;
    const d = this.duration;
    const steps = {
      ArrowRight: KEY_STEP, ArrowUp: KEY_STEP, ArrowLeft: -KEY_STEP, ArrowDown: -KEY_STEP,
      PageUp: PAGE_STEP, PageDown: -PAGE_STEP,
    };
    let to = null;
    if (e.key in steps) to = this.position + steps[e.key];
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = d;
    if (to === null) return;
    e.preventDefault();
    e.stopPropagation(); // the page's own arrow-key seek must not add to it
    to = Math.min(d, Math.max(0, to));
    this.position = to;
    this.aria();
    this.draw();
    this.seek(to);
  }

  // ---- drawing -----------------------------------------------------------------------------

  /** The bar's colours, from its CSS custom properties (read once: a style read per paint costs). */
  colors() {
    if (this.palette) return this.palette;
    const css = getComputedStyle(this.el);
    const color = (name, dflt) => css.getPropertyValue(name).trim() || dflt;
    this.palette = {
      cPlayed: color('--wave-played', '#7c5cff'), cCached: color('--wave-cached', '#6b7385'),
      cRest: color('--wave-rest', '#343946'), cStrip: color('--wave-strip', '#38d39f'), cHead: color('--text', '#e8eaf0'),
    };
    return this.palette;
  }

  /** Which chunks show as cached, as a string (a repaint is needed when it changes). */
  cachedKey() {
    if (!this.meta) return '';
    if (this.full) return 'all';
    let k = '';
    for (let c = 0; c < this.meta.total_chunks; c++) k += this.isCached(c) ? '1' : '0';
    return k;
  }

  aria() {
    const d = this.duration;
    const p = Math.min(d, Math.max(0, this.position));
    const now = String(Math.floor(p));
    const max = String(Math.floor(d));
    if (this.el.getAttribute('aria-valuemax') !== max) this.el.setAttribute('aria-valuemax', max);
    if (this.el.getAttribute('aria-valuenow') !== now || !this.track) {
      this.el.setAttribute('aria-valuenow', now);
      this.el.setAttribute('aria-valuetext', this.track ? `${fmtTime(p)} of ${fmtTime(d)}` : 'Nothing playing');
    }
  }

  resized({ width, height }) {
    this.size = { w: width, h: height };
    const points = pointsFor(width);
    if (this.track && points !== this.points) this.loadPeaks();
    this.draw(true);
  }

  loadPeaks() {
    const track = this.track;
    if (!track || !this.size.w) return; // not laid out yet: resized() asks once it is
    const points = pointsFor(this.size.w);
    const key = `${track.id}/${points}`;
    clearTimeout(this.retry);
    if (this.wanted.has(key)) {
      this.peaks = this.wanted.get(key);
      this.points = points;
      this.draw();
      return;
    }
    const gen = this.gen;
    api.waveform(track.id, points).then((w) => {
      const peaks = Float32Array.from(w.peaks);
      if (this.wanted.size > 8) this.wanted.clear();
      this.wanted.set(key, peaks);
      if (gen !== this.gen) return;
      this.peaks = peaks;
      this.points = peaks.length;
      this.draw();
    }, (e) => {
      if (gen !== this.gen) return;
      this.peaks = null; // 404: not analysed yet; a plain bar until it is
      this.points = points;
      if (e.status === 404 || e.status >= 500) this.retry = setTimeout(() => { if (gen === this.gen) this.loadPeaks(); }, RETRY_MS);
      this.draw();
    });
  }

  /** What the bar shows, in a string: nothing to repaint while it stays the same. */
  signature() {
    const { w, h: hgt } = this.size;
    const d = this.duration;
    const pos = this.dragging ?? this.position;
    const dpr = window.devicePixelRatio || 1;
    const x = d > 0 ? Math.round(Math.min(1, Math.max(0, pos / d)) * w * dpr) : 0;
    return `${w}x${hgt}@${dpr}|${this.track?.id}|${this.peaks?.length}|${x}|${this.cachedKey()}`;
  }

  draw(now = false) {
    if (now) { this.paint(); return; }
    if (this.drawQueued || this.signature() === this.sig) return;
    this.drawQueued = true;
    requestAnimationFrame(() => { this.drawQueued = false; this.paint(); });
  }

  paint() {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const { w, h: hgt } = this.size;
    this.el.dataset.waveform = this.peaks && this.track ? 'peaks' : 'plain';
    if (!w || !hgt) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
    }
    const d = this.duration;
    const pos = this.dragging ?? this.position;
    const playedX = d > 0 ? Math.min(1, Math.max(0, pos / d)) * w : 0;
    const meta = this.meta;
    // the bar is asked to draw on every position update: skip it when nothing visible moved
    const sig = this.signature();
    if (sig === this.sig) return;
    this.sig = sig;
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const { cPlayed, cCached, cRest, cStrip, cHead } = this.colors();
    const chunkAtX = (x) => (meta && d > 0 ? Math.min(meta.total_chunks - 1, Math.floor(((x / w) * meta.total_samples) / meta.chunk_samples)) : -1);
    const stripH = 2;
    const mid = (hgt - stripH - 1) / 2;
    if (this.peaks && this.track) {
      const n = this.peaks.length;
      const pitch = w / n;
      const bw = Math.max(1, pitch - 1);
      for (let i = 0; i < n; i++) {
        const x = i * pitch;
        const amp = Math.max(1, this.peaks[i] * (mid - 1));
        g.fillStyle = x + bw / 2 < playedX ? cPlayed : this.isCached(chunkAtX(x + bw / 2)) ? cCached : cRest;
        g.fillRect(x, mid - amp, bw, amp * 2);
      }
    } else {
      // a plain bar: the rest, the cached part, the played part
      const y = mid - 2;
      g.fillStyle = cRest;
      g.fillRect(0, y, w, 4);
      if (meta) {
        g.fillStyle = cCached;
        for (let k = 0; k < meta.total_chunks; k++) {
          if (!this.isCached(k)) continue;
          const [a, b] = chunkSpan(meta, k, w);
          g.fillRect(a, y, b - a, 4);
        }
      }
      g.fillStyle = cPlayed;
      g.fillRect(0, y, playedX, 4);
    }
    // the cached chunks, as a strip along the bottom (green like the "Cached" indicator)
    if (meta && this.track) {
      g.fillStyle = cStrip;
      for (let k = 0; k < meta.total_chunks; k++) {
        if (!this.isCached(k)) continue;
        const [a, b] = chunkSpan(meta, k, w);
        g.fillRect(a, hgt - stripH, b - a, stripH);
      }
    }
    if (this.track) {
      g.fillStyle = cHead;
      g.fillRect(Math.min(w - 2, Math.max(0, playedX - 1)), 0, 2, hgt - stripH - 1);
    }
  }
}

function pointsFor(width) {
  return Math.min(4000, Math.max(16, Math.floor(width / PITCH)));
}

function chunkSpan(meta, k, w) {
  const a = ((k * meta.chunk_samples) / meta.total_samples) * w;
  const b = (Math.min(meta.total_samples, (k + 1) * meta.chunk_samples) / meta.total_samples) * w;
  return [a, b];
}
