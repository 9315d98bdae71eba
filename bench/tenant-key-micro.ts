// Prices tenant-held keys on their own (I-K6, I-K7; no HTTP, no cluster): µs per request of the per-request
// tenant-key check and of a seal and an open, for a tenant without and with a tenant key (its DEK cached), on
// the node's real keyring over a real SQLite file and a real view; then a cold unwrap through both layers.
// Run: node_modules/node/bin/node bench/tenant-key-micro.ts  (local providers: a KMS adds its round trip to
// the cold figure only).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EnvelopeShardSealer, Keyring, LocalKekProvider, TenantKekLayer } from '../src/keys/index.ts';
import { openNodeDatabase } from '../src/platform/node-database.ts';
import type { ShardIdentity } from '../src/shards/index.ts';
import { ViewStore } from '../src/view/index.ts';

const N = 20_000;
const COLD = 200;

const dir = mkdtempSync(join(tmpdir(), 'dsv-tenant-key-micro-'));
try {
  writeFileSync(join(dir, 'node.key'), randomBytes(32), { mode: 0o600 });
  writeFileSync(join(dir, 'tenant.key'), randomBytes(32), { mode: 0o600 });
  const db = openNodeDatabase(join(dir, 'node.sqlite'));
  const view = new ViewStore(db);
  view.setTenantKey({ tenant: 'acme', provider: 'local', keyRef: 't', setAt: 1, setBy: 'bench' }, 1);
  const kek = await LocalKekProvider.fromKeyFile(join(dir, 'node.key'));
  const tenantKeys = new TenantKekLayer({
    directory: view,
    opener: { open: async () => LocalKekProvider.fromKeyFile(join(dir, 'tenant.key')) },
  });
  const keyring = await Keyring.open({ db, kek, tenantKeys });
  const sealer = new EnvelopeShardSealer(keyring);
  const identity = (tenant: string): ShardIdentity => ({
    tenant,
    namespace: 'app',
    name: 'db',
    version: 1,
    writeId: 'w',
    index: 0,
    node: 'node-0',
  });
  const share = randomBytes(64);
  const micros = async (work: () => Promise<unknown>): Promise<number> => {
    const at = performance.now();
    for (let i = 0; i < N; i++) await work();
    return ((performance.now() - at) * 1000) / N;
  };
  for (const round of [1, 2]) {
    for (const tenant of ['beta', 'acme']) {
      // What the coordinator runs before every read and write (checkTenantKey in src/cluster/coordinator).
      const check = await micros(async () => {
        if (view.tenantKey(tenant)?.revoked) throw new Error('revoked');
        await keyring.checkTenantKey(tenant);
      });
      let sealed: Uint8Array = new Uint8Array();
      const seal = await micros(async () => (sealed = await sealer.seal(identity(tenant), share)));
      const open = await micros(() => sealer.open(identity(tenant), sealed));
      if (round === 2)
        console.log(
          `${tenant === 'acme' ? 'tenant key   ' : 'no tenant key'}: check ${check.toFixed(2)} µs, ` +
            `seal ${seal.toFixed(2)} µs, open ${open.toFixed(2)} µs (mean of ${N})`,
        );
    }
  }
  const at = performance.now();
  for (let i = 0; i < COLD; i++) {
    const fresh = await Keyring.open({ db, kek, tenantKeys });
    await fresh.checkTenantKey('acme');
    fresh.close();
  }
  console.log(
    `cold: Keyring.open + one DEK unwrapped through both layers: ${(((performance.now() - at) * 1000) / COLD).toFixed(0)} µs`,
  );
  keyring.close();
  await tenantKeys.close();
  await kek.close();
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
