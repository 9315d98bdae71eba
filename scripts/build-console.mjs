// Builds the web console (ui/src → ui/dist) with esbuild: one JS bundle (Preact) and one CSS file (Pico CSS
// and the console's own styles), no inline script, no CDN. Skips the build when ui/dist is newer than every
// source. Plain JS so that the system Node can run it from ensure-deps.mjs on a fresh clone.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'ui');
const dist = join(ui, 'dist');
const stamp = join(dist, '.built');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

/** Whether ui/dist is missing or older than a source, this script or the installed packages. */
export function consoleStale() {
  if (!existsSync(stamp)) return true;
  const inputs = [join(ui, 'src'), join(ui, 'index.html'), fileURLToPath(import.meta.url)];
  const lock = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(lock)) inputs.push(lock);
  return Math.max(...inputs.map(newest)) > statSync(stamp).mtimeMs;
}

export async function buildConsole({ force = false, quiet = true } = {}) {
  if (!force && !consoleStale()) return false;
  const esbuild = await import('esbuild');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(join(dist, 'assets'), { recursive: true });
  await esbuild.build({
    entryPoints: { app: join(ui, 'src', 'main.tsx'), style: join(ui, 'src', 'app.css') },
    outdir: join(dist, 'assets'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.svg': 'dataurl' },
    legalComments: 'none',
    logLevel: quiet ? 'warning' : 'info',
  });
  copyFileSync(join(ui, 'index.html'), join(dist, 'index.html'));
  writeFileSync(stamp, new Date().toISOString() + '\n');
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildConsole({ force: process.argv.includes('--force'), quiet: false });
}
