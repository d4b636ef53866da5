// Starts the real `target/debug/auralis serve` (or AURALIS_BIN) on a temp library and fresh data
// folder (so no account exists yet) and waits until it is healthy and its scan has found the
// tracks. Everything but `/api/health` and `/api/auth/*` needs a signed-in user: waiting for the
// scan to finish (analysis included) is the harness's job once the page has signed in.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLibrary, CHUNK_SECONDS } from './fixtures.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export async function startServer({ expectTracks = 3, chunkSeconds = CHUNK_SECONDS, trackSeconds } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-web-'));
  const music = path.join(tmp, 'music');
  const data = path.join(tmp, 'data');
  fs.mkdirSync(data, { recursive: true });
  makeLibrary(music, { trackSeconds });
  const port = await freePort();
  const cmd = (process.env.AURALIS_BIN || path.join(ROOT, 'target/debug/auralis')).split(' ');
  if (!process.env.AURALIS_BIN && !fs.existsSync(cmd[0])) throw new Error(`${cmd[0]} not found: build it first (cargo build --bin auralis)`);
  const args = [...cmd.slice(1), 'serve', music, '--addr', `127.0.0.1:${port}`, '--data-dir', data, '--chunk-seconds', String(chunkSeconds)];
  const proc = spawn(cmd[0], args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' } });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  let exited = null;
  proc.on('exit', (code) => { exited = code; });
  const base = `http://127.0.0.1:${port}`;
  const get = async (p) => (await fetch(base + p)).json();
  const stop = async () => {
    if (exited === null) { proc.kill('SIGTERM'); await Promise.race([new Promise((r) => proc.on('exit', r)), sleep(3000)]); }
    if (exited === null) proc.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    let health = null;
    while (Date.now() < deadline) {
      if (exited !== null) throw new Error(`server exited with ${exited}`);
      try { health = await get('/api/health'); if (health.status === 'ok' && health.tracks >= expectTracks) break; } catch { /* not up yet */ }
      await sleep(200);
    }
    if (!health) throw new Error('server did not become healthy in 60 s');
    if (health.tracks < expectTracks) throw new Error(`the scan found ${health.tracks} tracks in 60 s, expected ${expectTracks}`);
  } catch (e) {
    await stop();
    e.message += `\n--- server log ---\n${log.slice(-4000)}`;
    throw e;
  }
  return { base, port, stop, log: () => log, get, expectTracks };
}
