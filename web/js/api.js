// Thin fetch wrappers over the Auralis HTTP API (docs/API.md). No DOM access, no state.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

/** This tab's listener id: the server keeps this tab's playhead, pinned track and hot chunks
 *  under it, apart from every other tab. Kept in sessionStorage so a reload stays the same
 *  listener. crypto.randomUUID needs a secure context, which plain http on a home network is
 *  not; getRandomValues works everywhere. */
export const listenerId = (() => {
  const fresh = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  try {
    let id = sessionStorage.getItem('auralis-listener');
    if (!id) { id = fresh(); sessionStorage.setItem('auralis-listener', id); }
    return id;
  } catch { return fresh(); }
})();

async function request(path, { method = 'GET', body, signal } = {}) {
  const init = { method, signal, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let err = {};
    try { err = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, err.error, err.message);
  }
  return res;
}

const getJson = async (path, opts) => (await request(path, opts)).json();
const postJson = async (path, body) => {
  const res = await request(path, { method: 'POST', body });
  return res.status === 204 ? null : res.json();
};

export const api = {
  health: () => getJson('/api/health'),
  tracks: ({ q = '', limit = 200, offset = 0 } = {}) =>
    getJson(`/api/tracks?${new URLSearchParams({ q, limit, offset })}`),
  track: (id) => getJson(`/api/tracks/${id}`),
  albums: () => getJson('/api/albums'),
  album: (id) => getJson(`/api/albums/${id}`),
  artists: () => getJson('/api/artists'),
  artworkUrl: (trackId) => `/api/tracks/${trackId}/artwork`,
  scanStatus: () => getJson('/api/library/scan'),
  startScan: () => postJson('/api/library/scan'),
  unreadable: () => getJson('/api/library/unreadable'),

  metadata: (id) => getJson(`/api/stream/${id}/metadata`),
  chunkUrl(id, n, variant, preset) {
    const q = new URLSearchParams({ variant, listener: listenerId });
    if (variant === 'processed' && preset) q.set('preset', preset);
    return `/api/stream/${id}/chunk/${n}?${q}`;
  },
  /** Fetches one FLAC chunk; resolves to { bytes: ArrayBuffer, tier }. */
  async chunk(id, n, variant, preset, signal) {
    const res = await request(api.chunkUrl(id, n, variant, preset), { signal });
    return { bytes: await res.arrayBuffer(), tier: res.headers.get('x-cache-tier') };
  },
  reportPosition: (trackId, positionS, nextTrackId) =>
    postJson('/api/player/position', {
      track_id: trackId, position_s: positionS, next_track_id: nextTrackId ?? null, listener: listenerId,
    }),

  enhancement: () => getJson('/api/enhancement'),
  setEnabled: (enabled) => postJson('/api/enhancement/toggle', { enabled }),
  setPreset: (preset) => postJson('/api/enhancement/preset', { preset }),
  setIntensity: (intensity) => postJson('/api/enhancement/intensity', { intensity }),

  cacheStatus: (id) => getJson(`/api/cache/track/${id}`),

  /** Subscribes to the server's SSE stream; handlers = { eventName: (data) => ... }. */
  events(handlers) {
    const es = new EventSource('/api/events');
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => {
        try { fn(JSON.parse(e.data)); } catch { /* ignore malformed event */ }
      });
    }
    return es;
  },
};
