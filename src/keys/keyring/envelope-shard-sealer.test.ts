// EnvelopeShardSealer: the ShardSealer seam over the keyring; a shard opens only under its own identity (I-S2).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import type { ShardIdentity } from '../../shards/shard-sealer.ts';
import { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { EnvelopeShardSealer } from './envelope-shard-sealer.ts';
import { Keyring } from './keyring.ts';

const base: ShardIdentity = {
  tenant: 'a',
  namespace: 'ns',
  name: 'N',
  version: 1,
  writeId: 'w',
  index: 0,
  node: 'n1',
};

void describe('EnvelopeShardSealer', () => {
  let root: string;
  let db: DatabaseSync;
  let kek: LocalKekProvider;
  let keyring: Keyring;
  let sealer: EnvelopeShardSealer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dsv-sealer-'));
    await writeFile(join(root, 'k'), randomBytes(32), { mode: 0o600 });
    kek = await LocalKekProvider.fromKeyFile(join(root, 'k'));
    db = new DatabaseSync(':memory:');
    keyring = await Keyring.open({ db, kek });
    sealer = new EnvelopeShardSealer(keyring);
  });
  after(async () => {
    keyring.close();
    await kek.close();
    db.close();
    await rm(root, { recursive: true, force: true });
  });

  void it('names its kind without key material', () => {
    assert.equal(sealer.kind, 'envelope-aes-256-gcm');
  });

  void it('I-K2: seal then open returns the share; the sealed form does not contain it', async () => {
    const share = randomBytes(48);
    const sealed = await sealer.seal(base, share);
    assert.ok(!Buffer.from(sealed).includes(share));
    assert.deepEqual(Buffer.from(await sealer.open(base, sealed)), share);
  });

  void it('I-S2: a shard moved to another tenant fails to open, even though that tenant has keys', async () => {
    await sealer.seal({ ...base, tenant: 'b' }, Buffer.from('b'));
    const sealed = await sealer.seal(base, Buffer.from('a'));
    await assert.rejects(sealer.open({ ...base, tenant: 'b' }, sealed), {
      code: 'DSV_SHARD_UNREADABLE',
      details: { reason: 'unknown-key' },
    });
  });

  void it('I-S2: a shard opens under its own identity only (property)', async () => {
    const fields = fc.record({
      namespace: fc.constantFrom('ns', 'ns2'),
      name: fc.constantFrom('N', 'M'),
      version: fc.constantFrom(1, 2),
      writeId: fc.constantFrom('w', 'x'),
      index: fc.constantFrom(0, 1),
      node: fc.constantFrom('n1', 'n2'),
    });
    await fc.assert(
      fc.asyncProperty(fields, fields, fc.uint8Array({ maxLength: 64 }), async (x, y, share) => {
        const from = { ...base, ...x };
        const to = { ...base, ...y };
        const sealed = await sealer.seal(from, share);
        if (JSON.stringify(from) === JSON.stringify(to)) {
          assert.deepEqual(Buffer.from(await sealer.open(to, sealed)), Buffer.from(share));
        } else {
          await assert.rejects(sealer.open(to, sealed), { code: 'DSV_SHARD_UNREADABLE' });
        }
      }),
      { numRuns: 200 },
    );
  });

  void it('I-K2: garbage and truncated input is DSV_SHARD_UNREADABLE', async () => {
    const sealed = await sealer.seal(base, Buffer.from('abc'));
    await assert.rejects(sealer.open(base, sealed.subarray(0, 10)), { code: 'DSV_SHARD_UNREADABLE' });
    await assert.rejects(sealer.open(base, randomBytes(60)), { code: 'DSV_SHARD_UNREADABLE' });
  });
});
