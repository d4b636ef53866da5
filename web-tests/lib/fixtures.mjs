// Test music written by the harness itself: a non-periodic multi-tone as 16-bit stereo WAV.
import fs from 'node:fs';
import path from 'node:path';

// Quiet on purpose (about -25 dBFS RMS), so the processed variant (loudness-normalised) is
// clearly a different signal from the original.
export const AMP = 0.3;
export function tone(t) {
  return AMP * (0.2 * Math.sin(2 * Math.PI * 220 * t) + 0.15 * Math.sin(2 * Math.PI * 331.7 * t)
    + 0.1 * Math.sin(2 * Math.PI * 523.1 * t) + 0.05 * Math.sin(2 * Math.PI * 1201.3 * t));
}
/** The int16 sample the WAV holds at absolute sample n of the signal (shared with the page). */
export const toneSource = `(${tone.toString().replace('AMP', String(AMP))})`;

function infoChunk(tags) {
  const parts = Object.entries(tags).map(([k, v]) => {
    let b = Buffer.from(`${v}\0`, 'utf8');
    if (b.length & 1) b = Buffer.concat([b, Buffer.alloc(1)]);
    const h = Buffer.alloc(8); h.write(k, 0, 'ascii'); h.writeUInt32LE(Buffer.byteLength(`${v}\0`), 4);
    return Buffer.concat([h, b]);
  });
  const body = Buffer.concat([Buffer.from('INFO'), ...parts]);
  const h = Buffer.alloc(8); h.write('LIST', 0, 'ascii'); h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
}

/** Writes seconds [from, from+dur) of the signal as a 16-bit stereo WAV with RIFF INFO tags. */
export function writeWav(file, { sampleRate = 48000, from = 0, dur, tags = {} }) {
  const n = Math.round(dur * sampleRate);
  const start = Math.round(from * sampleRate);
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round(tone((start + i) / sampleRate) * 32767)));
    data.writeInt16LE(v, i * 4);
    data.writeInt16LE(v, i * 4 + 2);
  }
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'ascii'); fmt.writeUInt32LE(16, 4); fmt.writeUInt16LE(1, 8); fmt.writeUInt16LE(2, 10);
  fmt.writeUInt32LE(sampleRate, 12); fmt.writeUInt32LE(sampleRate * 4, 16); fmt.writeUInt16LE(4, 20); fmt.writeUInt16LE(16, 22);
  const info = infoChunk(tags);
  const dh = Buffer.alloc(8); dh.write('data', 0, 'ascii'); dh.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE'), fmt, info, dh, data]);
  const riff = Buffer.alloc(8); riff.write('RIFF', 0, 'ascii'); riff.writeUInt32LE(body.length, 4);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([riff, body]));
}

export const TRACK_SECONDS = 25;
export const CHUNK_SECONDS = 5;

/** The synced lyrics written beside "First Movement" (an .lrc with metadata tags): a line every
 *  2 s from 0.25 s, each start a whole number of samples at 48 kHz. */
export const LYRICS = Array.from({ length: 12 }, (_, k) => ({ start_s: 0.25 + 2 * k, text: `Line ${k + 1} of the first movement` }));
/** The plain (unsynced) lyrics of "Second Movement". */
export const PLAIN_LYRICS = ['No timestamps here', 'just the words of the second movement'];

function lrcTime(s) {
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${(s - 60 * m).toFixed(2).padStart(5, '0')}`;
}

/** Two 25 s (trackSeconds) tracks of one album (track 2 continues the signal of track 1), with
 *  lyrics (synced for track 1, plain for track 2), and one other track at 44.1 kHz. */
export function makeLibrary(dir, { trackSeconds = TRACK_SECONDS } = {}) {
  const album = { IART: 'Tone Collective', IPRD: 'Multitone Suite', ICRD: '2024' };
  writeWav(path.join(dir, 'Tone Collective/Multitone Suite/01 First Movement.wav'),
    { dur: trackSeconds, tags: { ...album, INAM: 'First Movement', ITRK: '1' } });
  writeWav(path.join(dir, 'Tone Collective/Multitone Suite/02 Second Movement.wav'),
    { from: trackSeconds, dur: trackSeconds, tags: { ...album, INAM: 'Second Movement', ITRK: '2' } });
  // lyrics beside the tracks (the scan ignores them: they are not audio); Lone Tone has none
  fs.writeFileSync(path.join(dir, 'Tone Collective/Multitone Suite/01 First Movement.lrc'),
    ['[ar:Tone Collective]', '[ti:First Movement]', '[offset:0]', ...LYRICS.map((l) => `[${lrcTime(l.start_s)}]${l.text}`)].join('\r\n'));
  fs.writeFileSync(path.join(dir, 'Tone Collective/Multitone Suite/02 Second Movement.lrc'), `${PLAIN_LYRICS.join('\n')}\n`);
  writeWav(path.join(dir, 'Lonely Oscillator/Solo Works/01 Lone Tone.wav'),
    { sampleRate: 44100, dur: 8, tags: { IART: 'Lonely Oscillator', IPRD: 'Solo Works', INAM: 'Lone Tone', ITRK: '1', ICRD: '2023' } });
  // not audio at all: the scan lists it as unreadable and indexes everything else
  fs.writeFileSync(path.join(dir, 'Lonely Oscillator/notes.mp3'), 'these are liner notes, not an mp3');
}
