// I-S1 / I-K1: after writing known high-entropy values, no file under any node's data dir or the commit log
// contains a value, in any of the encodings a careless implementation might use.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { Keyring, LocalKekProvider } from '../../src/keys/index.ts';
import { startTestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('at-rest scan', () => {
  it('I-S1: no plaintext value (and, I-K1, no unwrapped key) appears in any file of any node or of the log', async () => {
    const test = await startTestCluster({ nodes: 3 });
    const values = Array.from({ length: 20 }, () => randomBytes(24).toString('hex'));
    try {
      for (const [i, value] of values.entries()) {
        const url = test.urls[i % 3] ?? '';
        assert.equal((await v1.create(url, 'scan', `k${i}`, value)).status, 201);
        assert.equal((await v1.update(url, 'scan', `k${i}`, `${value}-v2`)).status, 200);
        assert.equal((await v1.env(url, 'scan', `E${i}=enc(${value}-env)`)).status, 200);
      }
      assert.equal((await v1.read(test.urls[1] ?? '', 'scan', 'k3')).body, `${values[3]}-v2`);
    } finally {
      await test.stop({ keepData: true });
    }
    const files = filesUnder(test.dataDir);
    assert.ok(
      files.some((file) => file.includes('log')),
      'the commit log files are scanned too',
    );
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const value of values) {
        for (const needle of [
          value,
          Buffer.from(value).toString('base64'),
          Buffer.from(value, 'hex').toString('base64'),
        ]) {
          assert.equal(bytes.indexOf(needle), -1, `${file} contains a written value`);
        }
        assert.equal(bytes.indexOf(Buffer.from(value, 'hex')), -1, `${file} contains a value's raw bytes`);
      }
    }
    // I-K1: open each node's keyring with its KEK (as the node does) and look for the raw DEK bytes too.
    const deks: Uint8Array[] = [];
    for (const node of ['node-0', 'node-1', 'node-2']) {
      const db = new DatabaseSync(join(test.dataDir, node, 'node.sqlite'), { readOnly: true });
      const kek = await LocalKekProvider.fromKeyFile(join(test.dataDir, 'dev-kek.key'));
      try {
        const keyring = await Keyring.open({ db, kek });
        for (const row of db.prepare(`SELECT id FROM keys_deks WHERE state != 'destroyed'`).all()) {
          const key = await keyring.keyById(Number(row.id));
          if (key) deks.push(Uint8Array.from(key.key));
        }
        keyring.close();
      } finally {
        await kek.close();
        db.close();
      }
    }
    assert.ok(deks.length >= 3, 'every node has a data key');
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const dek of deks) {
        assert.equal(bytes.indexOf(dek), -1, `${file} contains an unwrapped data key`);
        assert.equal(
          bytes.indexOf(Buffer.from(dek).toString('hex')),
          -1,
          `${file} contains a data key in hex`,
        );
        assert.equal(
          bytes.indexOf(Buffer.from(dek).toString('base64')),
          -1,
          `${file} contains a data key in base64`,
        );
      }
    }
    rmSync(test.dataDir, { recursive: true, force: true });
  });
});
