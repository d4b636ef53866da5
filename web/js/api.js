// Thin fetch wrappers over the Auralis HTTP API (docs/API.md). No DOM access; the only state is
// the one callback told about answers that say the caller is not signed in.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    /** Seconds the server asked us to wait (the `Retry-After` header of a 429 or 503), or null. */
    this.retryAfter = retryAfter;
  }
}

let unauthorized = () => {};
/** Registers the function called with the ApiError of every 401 answer (session expired, user
 *  deleted, signed out in another tab), except the sign-in and first-run calls, where a 401 is
 *  the answer to wrong credentials. One handler: the page decides what a lost session means. */
export function onUnauthorized(fn) { unauthorized = fn; }

function retryAfterSeconds(res) {
  const v = res.headers.get('retry-after');
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v);
  const at = Date.parse(v); // the HTTP-date form
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
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

/** `raw` sends a body as it is, with its own `contentType` (an M3U file); `body` is JSON. */
async function request(path, { method = 'GET', body, raw, contentType, signal, keepalive = false, signingIn = false } = {}) {
  const init = { method, signal, keepalive, headers: {} };
  if (raw !== undefined) {
    init.headers['content-type'] = contentType;
    init.body = raw;
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let err = {};
    try { err = await res.json(); } catch { /* not JSON */ }
    const e = new ApiError(res.status, err.error, err.message, retryAfterSeconds(res));
    if (res.status === 401 && !signingIn) unauthorized(e);
    throw e;
  }
  return res;
}

const getJson = async (path, opts) => (await request(path, opts)).json();
const send = async (method, path, body, opts = {}) => {
  const res = await request(path, { ...opts, method, body });
  return res.status === 204 ? null : res.json();
};
const postJson = (path, body, opts) => send('POST', path, body, opts);
/** `{"user": User}` per docs/API.md; a bare User is taken as well. */
const userOf = (r) => r?.user ?? r;

export const api = {
  health: () => getJson('/api/health'),

  // accounts (docs/API.md "Accounts and access")
  authStatus: () => getJson('/api/auth/status'),
  setup: (username, password) => postJson('/api/auth/setup', { username, password }, { signingIn: true }).then(userOf),
  login: (username, password) => postJson('/api/auth/login', { username, password }, { signingIn: true }).then(userOf),
  logout: () => postJson('/api/auth/logout'),
  apiKeys: () => getJson('/api/auth/keys'),
  createApiKey: (name) => postJson('/api/auth/keys', { name }),
  revokeApiKey: (id) => send('DELETE', `/api/auth/keys/${id}`),
  users: () => getJson('/api/users'),
  createUser: (username, password, admin) => postJson('/api/users', { username, password, admin }).then(userOf),
  deleteUser: (id) => send('DELETE', `/api/users/${id}`),
  /** Without `oldPassword` (an admin setting another user's) the field is left out. */
  setPassword: (id, newPassword, oldPassword) => postJson(`/api/users/${id}/password`,
    oldPassword === undefined ? { new_password: newPassword } : { old_password: oldPassword, new_password: newPassword }),

  tracks: ({ q = '', limit = 200, offset = 0 } = {}) =>
    getJson(`/api/tracks?${new URLSearchParams({ q, limit, offset })}`),
  track: (id) => getJson(`/api/tracks/${id}`),
  /** sort: 'name' (the default), 'recent' or 'frequent' (the caller's plays; unplayed albums
   *  are left out of both). */
  albums: (sort = 'name') => getJson(sort === 'name' ? '/api/albums' : `/api/albums?sort=${sort}`),
  album: (id) => getJson(`/api/albums/${id}`),
  artists: () => getJson('/api/artists'),
  artworkUrl: (trackId) => `/api/tracks/${trackId}/artwork`,
  scanStatus: () => getJson('/api/library/scan'),
  startScan: () => postJson('/api/library/scan'),
  unreadable: () => getJson('/api/library/unreadable'),

  // your music (docs/API.md "Your music"): everything belongs to the signed-in user
  playlists: () => getJson('/api/playlists'),
  playlist: (id) => getJson(`/api/playlists/${id}`),
  /** `{name, comment?, public?, track_ids?}` → the Playlist with its tracks. */
  createPlaylist: (fields) => postJson('/api/playlists', fields),
  /** `{name?, comment?, public?, track_ids?}`; `track_ids` replaces the whole order. */
  updatePlaylist: (id, fields) => send('PUT', `/api/playlists/${id}`, fields),
  deletePlaylist: (id) => send('DELETE', `/api/playlists/${id}`),
  m3uUrl: (id) => `/api/playlists/${id}/m3u`,
  /** Imports M3U text (or a File/Blob) as a new playlist: `{playlist, unmatched: [line]}`. */
  importM3u: async (name, m3u) => (await request(`/api/playlists/import?${new URLSearchParams({ name })}`,
    { method: 'POST', raw: m3u, contentType: 'audio/x-mpegurl' })).json(),
  /** kind: 'track' | 'album' | 'artist'. */
  setFavorite: (kind, id, on) => send(on ? 'PUT' : 'DELETE', `/api/${kind}s/${id}/favorite`),
  favorites: () => getJson('/api/favorites'),
  history: ({ limit = 50, offset = 0 } = {}) => getJson(`/api/history?${new URLSearchParams({ limit, offset })}`),
  savedQueue: () => getJson('/api/player/queue'),
  /** `{track_ids, current_index, position_s}`; keepalive lets it outlive the page (pagehide). */
  saveQueue: (q, { keepalive = false } = {}) => send('PUT', '/api/player/queue', q, { keepalive }),
  lyrics: (id) => getJson(`/api/tracks/${id}/lyrics`),
  waveform: (id, points) => getJson(`/api/tracks/${id}/waveform?points=${points}`),

  /** The track's stream metadata; with `preset` (and `loudness`), its `level_match_db`. */
  metadata: (id, { preset, loudness } = {}) => {
    const q = new URLSearchParams();
    if (preset) q.set('preset', preset);
    if (loudness === 'album') q.set('loudness', loudness);
    return getJson(`/api/stream/${id}/metadata${q.size ? `?${q}` : ''}`);
  },
  chunkUrl(id, n, variant, preset, loudness) {
    const q = new URLSearchParams({ variant, listener: listenerId });
    if (variant === 'processed' && preset) q.set('preset', preset);
    if (variant === 'processed' && loudness === 'album') q.set('loudness', loudness);
    return `/api/stream/${id}/chunk/${n}?${q}`;
  },
  /** Fetches one FLAC chunk; resolves to { bytes: ArrayBuffer, tier }. */
  async chunk(id, n, variant, preset, loudness, signal) {
    const res = await request(api.chunkUrl(id, n, variant, preset, loudness), { signal });
    return { bytes: await res.arrayBuffer(), tier: res.headers.get('x-cache-tier') };
  },
  reportPosition: (trackId, positionS, nextTrackId, loudness = 'track') =>
    postJson('/api/player/position', {
      track_id: trackId, position_s: positionS, next_track_id: nextTrackId ?? null, listener: listenerId, loudness,
    }),

  enhancement: () => getJson('/api/enhancement'),
  setEnabled: (enabled) => postJson('/api/enhancement/toggle', { enabled }),
  setPreset: (preset) => postJson('/api/enhancement/preset', { preset }),
  setIntensity: (intensity) => postJson('/api/enhancement/intensity', { intensity }),
  setLoudness: (mode) => postJson('/api/enhancement/loudness', { mode }),

  cacheStatus: (id) => getJson(`/api/cache/track/${id}`),

  /** Subscribes to the server's SSE stream; handlers = { eventName: (data) => ... }, and
   *  `closed()`, called when the browser has given up on the stream for good (an answer other
   *  than 200, such as 401 once the session has ended; it retries network errors itself). */
  events({ closed, ...handlers }) {
    const es = new EventSource('/api/events');
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => {
        try { fn(JSON.parse(e.data)); } catch { /* ignore malformed event */ }
      });
    }
    es.addEventListener('error', () => { if (es.readyState === EventSource.CLOSED) closed?.(); });
    return es;
  },
};
