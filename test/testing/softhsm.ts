// Test helper: a real SoftHSM2 with its own config and token directory, tokens initialised by softhsm2-util.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ENSURE_SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'softhsm', 'ensure-softhsm.sh');

export interface SoftHsm {
  /** libsofthsm2.so, as found by scripts/softhsm/ensure-softhsm.sh. */
  readonly modulePath: string;
  /** The softhsm2.conf this process (and its children) use, via SOFTHSM2_CONF. */
  readonly confPath: string;
  /** The first token; every token in `tokenLabels` has the same PINs. */
  readonly tokenLabel: string;
  readonly tokenLabels: readonly string[];
  /** The slot id SoftHSM2 assigned to each token (it reassigns on --init-token). */
  readonly slots: Readonly<Record<string, number>>;
  readonly pin: string;
  readonly soPin: string;
  /** Removes the token directory and restores SOFTHSM2_CONF. Close every provider first. */
  cleanup(): Promise<void>;
}

let modulePath: Promise<string> | undefined;

/** Installs SoftHSM2 when missing (apt-get, as root) and returns the module path; once per process. */
export function ensureSoftHsm(): Promise<string> {
  modulePath ??= run('sh', [ENSURE_SCRIPT], { timeout: 10 * 60_000 }).then(
    ({ stdout }) => stdout.trim(),
    (error: Error & { stderr?: string }) => {
      modulePath = undefined;
      throw new Error(`scripts/softhsm/ensure-softhsm.sh failed: ${error.stderr ?? error.message}`, {
        cause: error,
      });
    },
  );
  return modulePath;
}

/**
 * Creates an isolated SoftHSM2 (temp softhsm2.conf + token dir) and initialises the given tokens. SoftHSM reads
 * SOFTHSM2_CONF and scans its tokens at C_Initialize, so call this before the first provider of the process
 * opens, and create every token the test file needs in one go. One instance per test file (process).
 */
export async function createSoftHsm(
  options: { tokenLabels?: readonly string[]; pin?: string; soPin?: string } = {},
): Promise<SoftHsm> {
  const module = await ensureSoftHsm();
  const tokenLabels = options.tokenLabels ?? ['dsv-test'];
  const [tokenLabel] = tokenLabels;
  if (tokenLabel === undefined) throw new Error('createSoftHsm needs at least one token label');
  const pin = options.pin ?? '4711-user';
  const soPin = options.soPin ?? '0815-security-officer';
  const root = await mkdtemp(join(tmpdir(), 'dsv-softhsm-'));
  const confPath = join(root, 'softhsm2.conf');
  await writeFile(
    confPath,
    [
      `directories.tokendir = ${join(root, 'tokens')}`,
      'objectstore.backend = file',
      'log.level = ERROR',
      'slots.removable = false',
      '',
    ].join('\n'),
  );
  await mkdir(join(root, 'tokens'));
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = confPath;
  const slots: Record<string, number> = {};
  for (const label of tokenLabels) {
    const { stdout } = await run(
      'softhsm2-util',
      ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin],
      { env: { ...process.env, SOFTHSM2_CONF: confPath } },
    );
    const slot = /reassigned to slot (\d+)/.exec(stdout)?.[1];
    if (slot === undefined) throw new Error(`softhsm2-util did not report a slot for token ${label}`);
    slots[label] = Number(slot);
  }
  return {
    modulePath: module,
    confPath,
    tokenLabel,
    tokenLabels,
    slots,
    pin,
    soPin,
    cleanup: async () => {
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
      await rm(root, { recursive: true, force: true });
    },
  };
}
