// Keeps CPU cores busy beside a test run, so tests that only pass on an idle machine show up (issue 13):
// `node scripts/cpu-hog.mjs [--threads=N] [--seconds=S]`. N busy threads (default 1) at normal priority.
// Stops by itself: after S seconds (default 5400, CI's 90 minutes) or as soon as the process that started it
// is gone, whichever comes first; scripts/test-tier.mjs --cpu-hog starts it and stops it at the end.
import { Worker } from 'node:worker_threads';

const option = (name, fallback) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: a number >= 0`);
  return value;
};
const threads = option('threads', 1);
const seconds = option('seconds', 5400);
const parent = process.ppid;

// A busy loop that never yields; the worker dies with the process.
const spin = 'let x = 0; for (;;) { x = (x * 1103515245 + 12345) >>> 0; }';
for (let i = 0; i < threads; i++) new Worker(spin, { eval: true });
process.stderr.write(`cpu-hog: ${threads} busy thread(s) for at most ${seconds} s\n`);

const end = (why) => {
  process.stderr.write(`cpu-hog: stopped (${why})\n`);
  process.exit(0);
};
setTimeout(() => end(`${seconds} s`), seconds * 1000);
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    end('its parent is gone');
  }
}, 1000);
process.on('SIGTERM', () => end('SIGTERM'));
process.on('SIGINT', () => end('SIGINT'));
