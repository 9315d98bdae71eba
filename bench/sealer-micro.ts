// Prices the at-rest envelope on its own (no HTTP, no cluster): µs per seal and per open of one shard, with
// the node's real keyring on a real SQLite file, so the end-to-end encrypted/plain ratio can be cross-checked.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { EnvelopeShardSealer, Keyring, LocalKekProvider } from '../src/keys/index.ts';
import { openNodeDatabase } from '../src/platform/node-database.ts';
import type { ShardIdentity } from '../src/shards/index.ts';
import { freshValue } from './workload.ts';

export interface SealerMicro {
  readonly operations: number;
  readonly sealMicros: number;
  readonly openMicros: number;
}

/** Times `operations` seals then as many opens of ~`shardBytes`-byte shards (after a short warm-up). */
export async function measureEnvelopeSealer(
  dataDir: string,
  keyFile: string,
  operations = 5_000,
  shardBytes = 101,
): Promise<SealerMicro> {
  const db = openNodeDatabase(join(dataDir, 'sealer-micro.db'));
  const kek = await LocalKekProvider.fromKeyFile(keyFile);
  const keyring = await Keyring.open({ db, kek });
  try {
    const sealer = new EnvelopeShardSealer(keyring);
    const share = new TextEncoder().encode(freshValue(shardBytes));
    const identity = (version: number): ShardIdentity => ({
      tenant: 'default',
      namespace: 'bench',
      name: 'bench-key-0000',
      version,
      writeId: `w-${version}`,
      index: 1,
      node: 'node-0',
    });
    const sealed: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) await sealer.open(identity(i), await sealer.seal(identity(i), share));
    let started = performance.now();
    for (let i = 0; i < operations; i++) sealed.push(await sealer.seal(identity(i), share));
    const sealMs = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < operations; i++) await sealer.open(identity(i), sealed[i]!);
    const openMs = performance.now() - started;
    return { operations, sealMicros: (sealMs * 1000) / operations, openMicros: (openMs * 1000) / operations };
  } finally {
    keyring.close();
    await kek.close();
    db.close();
  }
}
