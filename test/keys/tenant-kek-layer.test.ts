// Tenant-held keys in the keyring (I-K6) over a real SQLite file, the real local KEK for the node and a local
// key file as the tenant's "KMS": two layers of wrapping, the bound on the cache, a backup that is useless once
// the tenant's key is gone, and another tenant untouched.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import {
  EnvelopeShardSealer,
  Keyring,
  LocalKekProvider,
  TenantKekLayer,
  type TenantKekOpener,
  type TenantKeyRef,
} from '../../src/keys/index.ts';
import type { ShardIdentity } from '../../src/shards/index.ts';

let root: string;
let nodeKeyFile: string;
const tenantKeyFiles = new Map<string, string>();
const cleanups: Array<() => Promise<void> | void> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dsv-tenant-kek-'));
  nodeKeyFile = join(root, 'node.key');
  await writeFile(nodeKeyFile, randomBytes(32), { mode: 0o600 });
  for (const ref of ['acme-1', 'acme-2']) {
    const file = join(root, `${ref}.key`);
    await writeFile(file, randomBytes(32), { mode: 0o600 });
    tenantKeyFiles.set(ref, file);
  }
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(root, { recursive: true, force: true });
});

/** The "view": which key each tenant registered. */
const registered = new Map<string, TenantKeyRef>();
/** The node config: a local key file per ref; opened afresh every time (as the node's opener does). */
const opener: TenantKekOpener = {
  open: async (_tenant, provider, keyRef) => {
    const file = tenantKeyFiles.get(keyRef);
    return provider === 'local' && file !== undefined ? LocalKekProvider.fromKeyFile(file) : undefined;
  },
};

let clock = 1_000_000;
async function openKeyring(file: string) {
  const db = new DatabaseSync(join(root, file));
  const kek = await LocalKekProvider.fromKeyFile(nodeKeyFile);
  const tenantKeys = new TenantKekLayer({
    directory: { tenantKey: (tenant) => registered.get(tenant) },
    opener,
    cacheMs: 1000,
    now: () => clock,
  });
  const keyring = await Keyring.open({ db, kek, tenantKeys, now: () => clock });
  cleanups.push(async () => {
    keyring.close();
    await tenantKeys.close();
    await kek.close();
    if (db.isOpen) db.close();
  });
  return { db, keyring, sealer: new EnvelopeShardSealer(keyring) };
}

const identity = (tenant: string): ShardIdentity => ({
  tenant,
  namespace: 'app',
  name: 'db',
  version: 1,
  writeId: 'w1',
  index: 0,
  node: 'node-0',
});

const rejectsWith = (code: string) => (error: unknown) => {
  assert.equal((error as { code?: string }).code, code);
  return true;
};

describe('tenant-held keys in the keyring', () => {
  it('I-K6: a tenant key wraps the DEK inside the node KEK; the node KEK alone yields no DEK', async () => {
    registered.set('acme', { provider: 'local', keyRef: 'acme-1', revoked: false });
    const { db, keyring, sealer } = await openKeyring('layers.sqlite');
    const sealed = await sealer.seal(identity('acme'), Buffer.from('acme share'));
    const plain = await sealer.seal(identity('beta'), Buffer.from('beta share'));
    const rows = db
      .prepare('SELECT tenant, wrapped, tenant_kek_ref FROM keys_deks ORDER BY id')
      .all() as Array<{
      tenant: string;
      wrapped: Uint8Array;
      tenant_kek_ref: string | null;
    }>;
    assert.deepEqual(
      rows.map((row) => [row.tenant, row.tenant_kek_ref]),
      [
        ['acme', 'local:acme-1'],
        ['beta', null],
      ],
    );
    // The node KEK's unwrap of acme's row is the tenant key's wrap, not a 32-byte DEK.
    const nodeKek = await LocalKekProvider.fromKeyFile(nodeKeyFile);
    const outer = await nodeKek.unwrap(rows[0]?.wrapped ?? new Uint8Array());
    assert.notEqual(outer.length, 32);
    await nodeKek.close();
    assert.equal(Buffer.from(await sealer.open(identity('acme'), sealed)).toString(), 'acme share');
    assert.equal(Buffer.from(await sealer.open(identity('beta'), plain)).toString(), 'beta share');
    assert.equal(keyring.list('acme')[0]?.tenantKek, 'local:acme-1');
  });

  it('I-K6: a backup taken before the tenant destroys its key yields nothing with the node KEK; other tenants read', async () => {
    registered.set('acme', { provider: 'local', keyRef: 'acme-1', revoked: false });
    const first = await openKeyring('backup.sqlite');
    const sealedA = await first.sealer.seal(identity('acme'), Buffer.from('acme secret'));
    const sealedB = await first.sealer.seal(identity('beta'), Buffer.from('beta secret'));
    first.keyring.close();
    first.db.close();
    await copyFile(join(root, 'backup.sqlite'), join(root, 'restored.sqlite'));

    // The tenant destroys its key in its own KMS; a running node stops using it within the cache bound.
    const keyFile = tenantKeyFiles.get('acme-1') ?? '';
    await copyFile(keyFile, `${keyFile}.saved`);
    await unlink(keyFile);
    clock += 1001;
    const restored = await openKeyring('restored.sqlite');
    await assert.rejects(restored.keyring.checkTenantKey('acme'), rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'));
    await assert.rejects(restored.sealer.open(identity('acme'), sealedA), (error: unknown) => {
      const e = error as { code: string; details?: { keyError?: string } };
      assert.equal(e.code, 'DSV_SHARD_UNREADABLE');
      assert.equal(e.details?.keyError, 'DSV_TENANT_KEY_UNAVAILABLE');
      return true;
    });
    await assert.rejects(
      restored.sealer.seal(identity('acme'), Buffer.from('x')),
      rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'),
    );
    // Another tenant is untouched.
    await restored.keyring.checkTenantKey('beta');
    assert.equal(
      Buffer.from(await restored.sealer.open(identity('beta'), sealedB)).toString(),
      'beta secret',
    );
    await copyFile(`${keyFile}.saved`, keyFile);
    clock += 1001;
    await restored.keyring.checkTenantKey('acme');
    assert.equal(
      Buffer.from(await restored.sealer.open(identity('acme'), sealedA)).toString(),
      'acme secret',
    );
  });

  it('I-K6: an unwrapped tenant-layered DEK is kept at most cacheMs; within it, no KMS call', async () => {
    registered.set('acme', { provider: 'local', keyRef: 'acme-1', revoked: false });
    const { keyring, sealer } = await openKeyring('cache.sqlite');
    const sealed = await sealer.seal(identity('acme'), Buffer.from('cached'));
    const keyFile = tenantKeyFiles.get('acme-1') ?? '';
    await copyFile(keyFile, `${keyFile}.saved`);
    await unlink(keyFile);
    clock += 500; // within the bound: the cached DEK still serves
    await keyring.checkTenantKey('acme');
    assert.equal(Buffer.from(await sealer.open(identity('acme'), sealed)).toString(), 'cached');
    clock += 600; // past it: the tenant's KMS is asked again, and refuses
    await assert.rejects(keyring.checkTenantKey('acme'), rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'));
    await copyFile(`${keyFile}.saved`, keyFile);
  });

  it('I-K6: a new tenant key takes new writes at once; old DEKs stay readable under the key that wrapped them', async () => {
    registered.set('acme', { provider: 'local', keyRef: 'acme-1', revoked: false });
    const { keyring, sealer } = await openKeyring('rotate.sqlite');
    const old = await sealer.seal(identity('acme'), Buffer.from('old'));
    registered.set('acme', { provider: 'local', keyRef: 'acme-2', revoked: false });
    await keyring.rotate('acme'); // what the tenant-key-set record's key epoch does on every node
    await sealer.seal(identity('acme'), Buffer.from('new'));
    assert.deepEqual(
      keyring.list('acme').map((dek) => [dek.state, dek.tenantKek]),
      [
        ['retired', 'local:acme-1'],
        ['active', 'local:acme-2'],
      ],
    );
    assert.equal(Buffer.from(await sealer.open(identity('acme'), old)).toString(), 'old');
  });

  it('I-K7: a tenant KMS that cannot be reached is asked again at most once per retry window; meanwhile 503 at once', async () => {
    let opens = 0;
    const layer = new TenantKekLayer({
      directory: { tenantKey: () => ({ provider: 'aws-kms', keyRef: 'k', revoked: false }) },
      opener: {
        open: async () => {
          opens += 1;
          throw new Error('connect ECONNREFUSED');
        },
      },
      cacheMs: 60_000,
      now: () => clock,
    });
    for (let i = 0; i < 5; i++) {
      await assert.rejects(layer.wrap('acme', new Uint8Array(32)), rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'));
    }
    assert.equal(opens, 1);
    clock += 1001;
    await assert.rejects(layer.wrap('acme', new Uint8Array(32)), rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'));
    assert.equal(opens, 2);
    await layer.close();
  });

  it('I-K6: a tenant key revoked through DSV refuses new keys; a key no node entry maps answers 503', async () => {
    registered.set('acme', { provider: 'local', keyRef: 'acme-1', revoked: true });
    const { keyring, sealer } = await openKeyring('revoked.sqlite');
    await assert.rejects(
      sealer.seal(identity('acme'), Buffer.from('x')),
      rejectsWith('DSV_TENANT_KEY_REVOKED'),
    );
    registered.set('acme', { provider: 'aws-kms', keyRef: 'arn:unknown', revoked: false });
    await assert.rejects(keyring.checkTenantKey('acme'), (error: unknown) => {
      const e = error as { code: string; details?: { reason?: string } };
      assert.equal(e.code, 'DSV_TENANT_KEY_UNAVAILABLE');
      assert.equal(e.details?.reason, 'not-configured');
      return true;
    });
  });
});
