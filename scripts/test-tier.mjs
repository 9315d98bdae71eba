// Runs test tiers: `node scripts/test-tier.mjs <unit|cluster|process>... [options]` (tiers in scripts/test-tiers.mjs).
// Each test file runs in its own `node --test` process (as `node --test` itself does), `concurrency` of them at
// once; a file's output is printed whole when it ends, with its duration; each tier ends with its slowest files.
// Before anything runs, every test file must be in exactly one tier, or the run fails.
//
//   --cpu-hog[=N]    N busy threads (default 1) beside the tests, for the whole run (scripts/cpu-hog.mjs): a test
//                    that fails only under load depends on timing, not on its deadline.
//   --concurrency=N  files at once, for every tier (default: the tier's own, capped by the cores).
//   --durations      list every file's duration at the end of each tier, not only the slowest.
//   --list           print each test file with its tier, run nothing.
// Tiers run in the order given; the first one that fails stops the run (as `a && b` would).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testRoots, tierOrder, tiers } from './test-tiers.mjs';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `*` within one path segment, `**` across segments (`a/**` and `a/**\/b` both allowed). */
function globToRegExp(glob) {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function findTestFiles() {
  const files = [];
  for (const root of testRoots) {
    for (const entry of readdirSync(join(projectRoot, root), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.test.ts')) continue;
      const path = join(entry.parentPath, entry.name).slice(projectRoot.length + 1);
      if (!path.split('/').includes('node_modules')) files.push(path);
    }
  }
  return files.sort();
}

/**
 * Every test file in exactly one tier, or `problems` says which is not. A pattern that matches no file is only
 * a warning (`stale`): no test is lost by it, and a file another change adds may not be there yet.
 */
export function classify(files = findTestFiles()) {
  const byTier = Object.fromEntries(Object.keys(tiers).map((name) => [name, []]));
  const problems = [];
  const stale = [];
  const patterns = Object.entries(tiers).flatMap(([tier, { files: globs }]) =>
    globs.map((glob) => ({ tier, glob, regexp: globToRegExp(glob), used: false })),
  );
  for (const file of files) {
    const matches = patterns.filter((pattern) => pattern.regexp.test(file));
    for (const match of matches) match.used = true;
    const matchedTiers = [...new Set(matches.map((match) => match.tier))];
    if (matchedTiers.length === 0) problems.push(`${file}: in no tier`);
    else if (matchedTiers.length > 1)
      problems.push(`${file}: in more than one tier (${matchedTiers.join(', ')})`);
    else byTier[matchedTiers[0]].push(file);
  }
  for (const pattern of patterns) {
    if (!pattern.used) stale.push(`${pattern.glob} (tier ${pattern.tier}) matches no test file`);
  }
  return { byTier, problems, stale };
}

function parseArgs(argv) {
  const options = { tiers: [], cpuHog: 0, concurrency: undefined, durations: false, list: false };
  for (const arg of argv) {
    if (arg === '--cpu-hog') options.cpuHog = 1;
    else if (arg.startsWith('--cpu-hog=')) options.cpuHog = Number(arg.slice('--cpu-hog='.length));
    else if (arg.startsWith('--concurrency='))
      options.concurrency = Number(arg.slice('--concurrency='.length));
    else if (arg === '--durations') options.durations = true;
    else if (arg === '--list') options.list = true;
    else if (arg in tiers) options.tiers.push(arg);
    else throw new Error(`unknown argument ${arg} (tiers: ${tierOrder.join(', ')})`);
  }
  if (!Number.isInteger(options.cpuHog) || options.cpuHog < 0) throw new Error('--cpu-hog=N: N >= 0');
  if (
    options.concurrency !== undefined &&
    !(Number.isInteger(options.concurrency) && options.concurrency > 0)
  )
    throw new Error('--concurrency=N: N >= 1');
  return options;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const running = new Set();

/** Ends a test file's process and whatever it started (its own process group, see runFile). */
function killFile(child, signal = 'SIGKILL') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/**
 * One test file in its own `node --test` process. `--test-force-exit`: once its tests are done the process
 * ends, even if a test left a server or timer behind (a failed test that skipped its cleanup once kept a
 * file, and CI, waiting until CI's own deadline). `deadlineSeconds` bounds the whole file: past it the file
 * and everything it started are killed and it fails, with the output it printed, so one hang costs one file's
 * deadline, not the run.
 */
function runFile(file, { buffered, deadlineSeconds }) {
  const started = performance.now();
  const args = ['--test', '--test-reporter=spec', '--test-timeout=600000', '--test-force-exit', file];
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    // Its own process group, so that the deadline ends the brokers and servers it started too.
    detached: true,
    stdio: buffered ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  });
  running.add(child);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    killFile(child);
  }, deadlineSeconds * 1000);
  const output = [];
  if (buffered) {
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      running.delete(child);
      const ms = performance.now() - started;
      if (timedOut) {
        const note = `\n✖ ${file}: still running after its ${deadlineSeconds} s deadline; killed\n`;
        if (buffered) output.push(Buffer.from(note));
        else process.stdout.write(note);
      }
      resolve({
        file,
        ok: code === 0 && !timedOut,
        code: timedOut ? 'deadline' : (code ?? signal),
        ms,
        output,
      });
    });
  });
}

async function runTier(name, files, options) {
  const concurrency = Math.max(
    1,
    Math.min(options.concurrency ?? tiers[name].concurrency, availableParallelism(), files.length),
  );
  const buffered = concurrency > 1;
  process.stdout.write(`\n▶ tier ${name}: ${files.length} files, ${concurrency} at a time\n`);
  const started = performance.now();
  const queue = [...files];
  const results = [];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (!buffered) process.stdout.write(`\n── ${file}\n`);
      const result = await runFile(file, { buffered, deadlineSeconds: tiers[name].fileDeadlineSeconds });
      if (buffered) {
        process.stdout.write(`\n── ${file}\n`);
        for (const chunk of result.output) process.stdout.write(chunk);
      }
      process.stdout.write(
        `── ${file}: ${result.ok ? 'ok' : `FAILED (exit ${result.code})`}, ${seconds(result.ms)}\n`,
      );
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - started;
  const failed = results.filter((result) => !result.ok);
  const slowest = [...results].sort((a, b) => b.ms - a.ms);
  process.stdout.write(
    `\n■ tier ${name}: ${results.length - failed.length}/${results.length} files passed in ${seconds(wallMs)}`,
  );
  process.stdout.write(` (${concurrency} at a time)\n`);
  const shown = options.durations ? slowest : slowest.slice(0, 8);
  process.stdout.write(`  ${options.durations ? 'durations' : 'slowest'}:\n`);
  for (const result of shown) process.stdout.write(`    ${seconds(result.ms).padStart(8)}  ${result.file}\n`);
  const budget = tiers[name].budgetSeconds;
  if (budget !== undefined && wallMs > budget * 1000)
    process.stdout.write(`  ⚠ over its ${budget} s budget: move the slowest files to a later tier\n`);
  for (const result of failed) process.stdout.write(`  ✖ FAILED: ${result.file}\n`);
  return failed.length === 0;
}

function startCpuHog(threads) {
  const hog = spawn(process.execPath, [join(projectRoot, 'scripts', 'cpu-hog.mjs'), `--threads=${threads}`], {
    cwd: projectRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  hog.unref();
  return hog;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { byTier, problems, stale } = classify();
  for (const line of stale) process.stderr.write(`test tiers: warning: ${line}\n`);
  if (problems.length > 0) {
    process.stderr.write(`test tiers (scripts/test-tiers.mjs) do not cover the test files exactly once:\n`);
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
    process.exit(1);
  }
  if (options.list) {
    const lines = tierOrder.flatMap((name) => byTier[name].map((file) => `${name}\t${file}\n`));
    process.stdout.write(lines.join(''));
    return;
  }
  if (options.tiers.length === 0) throw new Error(`name a tier: ${tierOrder.join(', ')}`);
  const hog = options.cpuHog > 0 ? startCpuHog(options.cpuHog) : undefined;
  const stop = () => {
    if (hog && hog.exitCode === null) hog.kill();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      stop();
      for (const child of running) killFile(child, signal);
      process.exit(1);
    });
  }
  const started = performance.now();
  let ok = true;
  for (const name of options.tiers) {
    ok = await runTier(name, byTier[name], options);
    if (!ok) break;
  }
  stop();
  if (options.tiers.length > 1) {
    const load = options.cpuHog > 0 ? `, beside ${options.cpuHog} busy thread(s)` : '';
    process.stdout.write(
      `\n${ok ? 'all passed' : 'FAILED'}: ${options.tiers.join(' → ')} in ${seconds(performance.now() - started)}${load}\n`,
    );
  }
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  });
}
