// The enhancement controls of the player bar (on/off, preset, intensity, loudness per track or
// per album, level-matched A/B): heard at once through the engine, then saved on the server,
// whose answer to the latest change wins; changes made in another tab arrive as `enhancement`
// events. The level-matched option is kept in this browser (localStorage), not on the server.
//
// Not for: the audio of the variants (engine.js) or the cache of presets.

import { api } from './api.js';
import { $, toast } from './dom.js';
import { state, engine, emit, defaultEnh, storeLevelMatch } from './state.js';

export function showEnh() {
  const { enabled, preset, intensity, loudness, levelMatch } = state.enh;
  const b = $('#enh-toggle');
  b.setAttribute('aria-pressed', String(enabled));
  b.querySelector('.label').textContent = enabled ? 'Enhanced' : 'Original';
  $('#preset').value = preset;
  $('#loudness').value = loudness;
  $('#level-match').checked = levelMatch;
  $('#intensity').value = intensity;
  $('#intensity-out').textContent = `${Math.round(intensity * 100)}%`;
}

export function applyEnh(next) {
  const { preset, loudness } = state.enh;
  state.enh = { ...state.enh, ...next };
  engine.setEnhancement(state.enh);
  showEnh();
  // 'preset': the processed rendition changed (its preset or its loudness mode)
  if (state.enh.preset !== preset || state.enh.loudness !== loudness) emit('preset', state.enh.preset);
}

let persistSeq = 0;
async function persist(call) {
  // only the answer to the latest change is applied: an older one may arrive after it
  const seq = ++persistSeq;
  try {
    const s = await call();
    if (seq === persistSeq) applyEnh(s);
  } catch (e) {
    if (state.user && e.status !== 401) toast(`Could not save the enhancement setting: ${e.message}`);
  }
}

export function toggleEnh() {
  const enabled = !state.enh.enabled;
  applyEnh({ enabled }); // heard now; the server is told afterwards
  persist(() => api.setEnabled(enabled));
}

/** The user's settings, once signed in. */
export function loadEnh(user) {
  api.enhancement().then((s) => { if (state.user === user) applyEnh(s); })
    .catch((e) => { if (e.status !== 401) toast(`Could not load the enhancement settings: ${e.message}`); });
}

/** The `enhancement` server event: another tab (or device) of this user changed it. */
export function enhancementEvent(d) {
  const same = ['enabled', 'preset', 'intensity', 'loudness'].every((k) => d[k] === undefined || d[k] === state.enh[k]);
  if (!same && document.activeElement !== $('#intensity')) applyEnh(d);
}

/** Back to the defaults, ignoring answers still on their way (sign-out). */
export function resetEnh() {
  persistSeq++;
  applyEnh(defaultEnh());
}

$('#enh-toggle').addEventListener('click', toggleEnh);
$('#preset').addEventListener('change', (e) => {
  const preset = e.target.value;
  applyEnh({ preset });
  persist(() => api.setPreset(preset));
});
$('#intensity').addEventListener('input', (e) => applyEnh({ intensity: Number(e.target.value) }));
$('#intensity').addEventListener('change', (e) => persist(() => api.setIntensity(Number(e.target.value))));
$('#loudness').addEventListener('change', (e) => {
  const loudness = e.target.value;
  applyEnh({ loudness });
  persist(() => api.setLoudness(loudness));
});
$('#level-match').addEventListener('change', (e) => {
  storeLevelMatch(e.target.checked);
  applyEnh({ levelMatch: e.target.checked });
});
