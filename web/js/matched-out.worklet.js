// The level-matched original's peak safety (an AudioWorklet, loaded by engine.js): its input
// is the original raised or lowered to the processed variant's loudness; its output is the
// same through a look-ahead true-peak limiter, delayed by exactly LOOKAHEAD frames. The
// engine starts the sources of this path LOOKAHEAD frames early, so it comes out aligned with
// the original and processed paths, which never pass through here.
//
// Why a limiter of our own: the raised original can exceed full scale between samples where
// the processed variant, limited on the server, never does. Web Audio has no true-peak
// limiter (DynamicsCompressorNode is a compressor on sample values; a WaveShaper, even
// oversampled, overshoots after its down-sampling filter: +1.4 dBTP above its ceiling at
// +20 dB in Chromium), and the server cannot limit a path the browser mixes.
//
// How: the true peak of each input frame is estimated at 4x (a windowed-sinc interpolator,
// HALF taps each side); the gain each frame needs is ceiling / peak (1 below the ceiling);
// a minimum over WINDOW frames followed by a WINDOW-frame moving average gives a gain that has
// ramped down by the time a peak arrives and is never above what any frame needs; it then
// recovers with a RELEASE time constant. Below the ceiling the gain is exactly 1, so a quiet
// passage passes bit for bit.
//
// It runs on the audio thread for every frame, so the common cases cost almost nothing: the
// interpolator only runs where a sample is within reach of the ceiling (|x| above ceiling /
// the interpolator's largest gain), counters of the frames that need less than 1 skip the
// window loops while nothing is limited, and while the input is silent (the option is off)
// whole blocks are zeroed, not frames.

const HALF = 6; // interpolator taps on each side of a frame
const WINDOW = 59; // frames of attack ramp
const LOOKAHEAD = HALF + WINDOW - 1; // 64 frames: the delay of both inputs
const RING = 256; // > LOOKAHEAD + 2 * HALF, a power of two
const RELEASE = 0.08; // s
const PHASES = 4;

// taps[p][k]: the value at n + p / PHASES from x[n - HALF + 1 + k] (Hann-windowed sinc).
const TAPS = (() => {
  const out = [];
  for (let p = 1; p < PHASES; p++) {
    const t = [];
    for (let k = -HALF + 1; k <= HALF; k++) {
      const u = k - p / PHASES;
      const w = 0.5 + 0.5 * Math.cos((Math.PI * u) / (HALF + 1));
      t.push(((Math.sin(Math.PI * u) / (Math.PI * u)) * w));
    }
    out.push(t);
  }
  return out;
})();
// No interpolated value exceeds max|x| over its taps times this.
const REACH = Math.max(...TAPS.map((t) => t.reduce((a, v) => a + Math.abs(v), 0)));

registerProcessor('auralis-matched-out', class extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const ceilingDb = options.processorOptions?.ceilingDb ?? -1.5;
    // a little under the ceiling: the 12-tap estimate reads true peaks up to ~0.2 dB low
    this.ceiling = 10 ** ((ceilingDb - 0.3) / 20);
    this.release = 1 - Math.exp(-1 / (RELEASE * sampleRate));
    this.matched = [new Float32Array(RING), new Float32Array(RING)];
    this.need = new Float32Array(RING).fill(1); // gain each frame needs
    this.low = new Float32Array(RING).fill(1); // minimum of `need` over the WINDOW frames from a frame on
    this.n = 0; // frames written
    this.gain = 1;
    this.quiet = this.ceiling / REACH; // below this, a frame's neighbourhood cannot reach it
    this.loud = new Uint8Array(RING); // frame has a sample above `quiet`
    this.loudCount = 0; // loud frames among the interpolator's 2 * HALF
    this.needCount = 0; // frames needing < 1 in the window of the newest `low`
    this.lowCount = 0; // `low` < 1 in the window of the newest gain
    this.silent = 0; // frames since the level-matched input last had a non-zero sample
  }

  peakAt(i) {
    // true-peak estimate of frame i (both channels), from frames i - HALF + 1 .. i + HALF
    let peak = 0;
    for (const x of this.matched) {
      peak = Math.max(peak, Math.abs(x[i & (RING - 1)]));
      for (const t of TAPS) {
        let s = 0;
        for (let k = 0; k < t.length; k++) s += t[k] * x[(i - HALF + 1 + k) & (RING - 1)];
        peak = Math.max(peak, Math.abs(s));
      }
    }
    return peak;
  }

  /** A silent block with the limiter at rest (the last RING frames were silent too): the
   *  output is silence, the delay line takes the block's zeros. */
  silentBlock(out, frames) {
    const at = this.n & (RING - 1);
    for (let c = 0; c < 2; c++) {
      this.matched[c].fill(0, at, at + frames);
      out[c].fill(0);
    }
    this.n += frames;
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const frames = out[0].length;
    const matchedIn = inputs[0] ?? [];
    const M = RING - 1;
    let zero = true;
    for (const ch of matchedIn) for (let f = 0; f < frames && zero; f++) if (ch[f] !== 0) zero = false;
    // at rest: every window the limiter reads holds only silent frames, and the gain is 1
    const rest = this.silent >= RING && this.gain === 1 && (this.n & (frames - 1)) === 0
      && frames <= RING - LOOKAHEAD;
    if (zero && rest) {
      this.silentBlock(out, frames);
      return true;
    }
    this.silent = zero ? this.silent + frames : 0;
    for (let f = 0; f < frames; f++) {
      const n = this.n;
      for (let c = 0; c < 2; c++) {
        // a missing input (nothing connected) is silence; a mono one feeds both channels
        const m = matchedIn[c] ?? matchedIn[0];
        this.matched[c][n & M] = m ? m[f] : 0;
      }
      const loud = Math.max(Math.abs(this.matched[0][n & M]), Math.abs(this.matched[1][n & M])) > this.quiet ? 1 : 0;
      this.loudCount += loud - this.loud[(n - 2 * HALF) & M];
      this.loud[n & M] = loud;
      // frame n - HALF now has its interpolation neighbours
      const i = n - HALF;
      const peak = this.loudCount ? this.peakAt(i) : 0;
      const need = peak > this.ceiling ? this.ceiling / peak : 1;
      this.needCount += (need < 1) - (this.need[(i - WINDOW) & M] < 1);
      this.need[i & M] = need;
      // frame j = i - WINDOW + 1 now has every frame of its window
      const j = i - WINDOW + 1;
      let low = 1;
      if (this.needCount) for (let k = 0; k < WINDOW; k++) low = Math.min(low, this.need[(j + k) & M]);
      this.lowCount += (low < 1) - (this.low[(j - WINDOW) & M] < 1);
      this.low[j & M] = low;
      // the gain of frame j: the mean of `low` over the WINDOW frames up to it (exactly 1 when
      // nothing near needs less), then the release
      let target = 1;
      if (this.lowCount) {
        let sum = 0;
        for (let k = 0; k < WINDOW; k++) sum += this.low[(j - k) & M];
        target = sum / WINDOW;
      }
      let g = Math.min(target, this.gain + (1 - this.gain) * this.release);
      if (g > 1 - 1e-6 && target === 1) g = 1;
      this.gain = g;
      // frame j = n - LOOKAHEAD leaves at its gain
      for (let c = 0; c < 2; c++) {
        const mv = this.matched[c][j & M];
        out[c][f] = g === 1 ? mv : g * mv;
      }
      this.n = n + 1;
    }
    return true;
  }
});
