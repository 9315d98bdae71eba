// A real crash mid KEK rotation: the rotating process is SIGKILLed (no cleanup, no close), then the node must
// unseal with exactly the documented secret, and running the rotation again must finish it (I-K4, DESIGN §8).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { LocalKekProvider } from '../../src/keys/kek/local/local-kek-provider.ts';
import { seedKeyring, unsealNode } from '../../src/keys/rotation/kek-rotation-fixture.ts';
import type { LocalKekSecret } from '../../src/keys/rotation/kek-rotation-local.ts';
import { rotateNodeKek } from '../../src/keys/rotation/kek-rotation-node.ts';
import { projectRoot } from '../testing/dsv-process.ts';

const FAST_SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const OLD: LocalKekSecret = { kind: 'passphrase', passphrase: 'before the crash' };
const NEW: LocalKekSecret = { kind: 'passphrase', passphrase: 'after the crash' };

/** Runs the rotation in a child process that kills itself with SIGKILL at `killAt` (a row count or a phase). */
function rotateAndDie(nodeDir: string, killAt: number | 'committed'): Promise<string | number | null> {
  const modulePath = join(projectRoot, 'src', 'keys', 'rotation', 'kek-rotation-node.ts');
  const script = `
    const { rotateNodeKek } = await import(${JSON.stringify(modulePath)});
    const job = JSON.parse(process.env.KEK_JOB);
    const die = () => process.kill(process.pid, 'SIGKILL');
    await rotateNodeKek({
      ...job,
      onProgress: ({ done }) => { if (done === job.killAt) die(); },
      onPhase: (phase) => { if (phase === job.killAt) die(); },
    });
    console.log('finished without crashing');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      KEK_JOB: JSON.stringify({ nodeDir, from: OLD, to: NEW, scrypt: FAST_SCRYPT, killAt }),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
}

describe('KEK rotation killed mid-flight (SIGKILL)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dsv-kek-crash-'));
  });
  after(async () => rm(root, { recursive: true, force: true }));

  const node = async (name: string) => {
    const nodeDir = join(root, name);
    await mkdir(nodeDir);
    const kek = await LocalKekProvider.fromPassphrase({
      dataDir: nodeDir,
      passphrase: OLD.passphrase,
      scrypt: FAST_SCRYPT,
    });
    const db = new DatabaseSync(join(nodeDir, 'node.sqlite'));
    db.exec('PRAGMA journal_mode = WAL');
    const keys = await seedKeyring(db, kek);
    db.close();
    await kek.close();
    return { nodeDir, keys };
  };
  const unseals = (nodeDir: string, secret: LocalKekSecret) =>
    unsealNode(nodeDir, secret).then(
      () => true,
      () => false,
    );

  for (const [killAt, owner] of [
    [2, 'old'],
    ['committed', 'new'],
  ] as const) {
    it(`I-K4: killed ${typeof killAt === 'number' ? `after ${killAt} of 4 rows` : 'right after the commit'}: only the ${owner} passphrase unseals; a re-run finishes`, async () => {
      const { nodeDir, keys } = await node(`killed-${killAt}`);
      assert.equal(await rotateAndDie(nodeDir, killAt), 'SIGKILL');
      assert.ok(existsSync(join(nodeDir, 'kek.next.json')), 'the rotation was caught mid-flight');
      assert.deepEqual(
        [await unseals(nodeDir, OLD), await unseals(nodeDir, NEW)],
        owner === 'old' ? [true, false] : [false, true],
      );
      const rerun = await rotateNodeKek({ nodeDir, from: OLD, to: NEW, scrypt: FAST_SCRYPT });
      if (typeof killAt === 'number') assert.equal(rerun.resumed, killAt, 'staged rows are kept');
      else assert.equal(rerun.alreadyFinished, true, 'only the rename was left');
      assert.deepEqual(await unsealNode(nodeDir, NEW), keys, 'every DEK is intact under the new KEK');
      assert.equal(await unseals(nodeDir, OLD), false);
      assert.ok(!existsSync(join(nodeDir, 'kek.next.json')));
    });
  }
});
