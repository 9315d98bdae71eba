// Tenant-held keys on the other providers of the same port (I-K6): a KMIP server (PyKMIP) and an HSM
// (SoftHSM2), opened the way a node opens them — from `tenantKeks` config entries through the node's opener —
// with the keyring's two layers over a real SQLite file. The tenant destroys its KMIP key: within the cache
// bound the running keyring stops using it, and a backup copy of the database yields nothing.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import {
  EnvelopeShardSealer,
  Keyring,
  LocalKekProvider,
  TenantKekLayer,
  type TenantKeyRef,
} from '../../src/keys/index.ts';
import { KmipKekProvider, Pkcs11KekProvider } from '../../src/keys/kek/providers.ts';
import { KmipClient } from '../../src/keys/kek/kmip/kmip-client.ts';
import { tenantKekOpener } from '../../src/node/tenant-kek-opener.ts';
import type { TenantKekEntry } from '../../src/node/tenant-keks-config.ts';
import type { ShardIdentity } from '../../src/shards/index.ts';
import { startKmip, type KmipServer } from '../testing/kmip.ts';
import { createSoftHsm, type SoftHsm } from '../testing/softhsm.ts';

let root = '';
let nodeKeyFile = '';
let kmip: KmipServer;
let hsm: SoftHsm;
const cleanups: Array<() => Promise<void> | void> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dsv-tenant-key-providers-'));
  nodeKeyFile = join(root, 'node.key');
  await writeFile(nodeKeyFile, randomBytes(32), { mode: 0o600 });
  hsm = await createSoftHsm({ tokenLabels: ['tenant-acme'] });
  kmip = await startKmip();
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await kmip?.dispose();
  await hsm?.cleanup();
  await rm(root, { recursive: true, force: true });
});

const identity = (tenant: string): ShardIdentity => ({
  tenant,
  namespace: 'app',
  name: 'db',
  version: 1,
  writeId: 'w1',
  index: 0,
  node: 'node-0',
});

let clock = 1_000_000;
async function openKeyring(file: string, entries: readonly TenantKekEntry[], registered: TenantKeyRef) {
  const db = new DatabaseSync(join(root, file));
  const kek = await LocalKekProvider.fromKeyFile(nodeKeyFile);
  const tenantKeys = new TenantKekLayer({
    directory: { tenantKey: (tenant) => (tenant === 'acme' ? registered : undefined) },
    opener: tenantKekOpener(entries),
    cacheMs: 1000,
    now: () => clock,
  });
  const keyring = await Keyring.open({ db, kek, tenantKeys, now: () => clock });
  const close = async () => {
    keyring.close();
    await tenantKeys.close();
    await kek.close();
    if (db.isOpen) db.close();
  };
  cleanups.push(close);
  return { db, keyring, sealer: new EnvelopeShardSealer(keyring), close };
}

const rejectsWith = (code: string) => (error: unknown) => {
  assert.equal((error as { code?: string }).code, code, String(error));
  return true;
};

describe('tenant keys on KMIP and PKCS#11', () => {
  it('I-K6: a KMIP tenant key wraps the DEKs; once the tenant destroys it, the running node and a backup yield nothing', async () => {
    const created = await KmipKekProvider.open({
      host: kmip.host,
      port: kmip.port,
      caFile: kmip.pki.ca,
      certFile: kmip.pki.clientCert,
      keyFile: kmip.pki.clientKey,
      keyName: `acme-${randomUUID()}`,
      createKeyIfMissing: true,
    });
    const uid = created.keyUid;
    await created.close();
    const entries: TenantKekEntry[] = [
      {
        tenant: 'acme',
        provider: 'kmip',
        keyRef: uid,
        host: kmip.host,
        port: kmip.port,
        caFile: kmip.pki.ca,
        certFile: kmip.pki.clientCert,
        keyFile: kmip.pki.clientKey,
        timeoutMs: 3000,
      },
    ];
    const registered = { provider: 'kmip', keyRef: uid, revoked: false };
    const running = await openKeyring('kmip.sqlite', entries, registered);
    const sealed = await running.sealer.seal(identity('acme'), Buffer.from('acme on kmip'));
    const other = await running.sealer.seal(identity('beta'), Buffer.from('beta'));
    assert.equal(running.keyring.list('acme')[0]?.tenantKek, `kmip:${uid}`);
    assert.equal(Buffer.from(await running.sealer.open(identity('acme'), sealed)).toString(), 'acme on kmip');
    running.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    await copyFile(join(root, 'kmip.sqlite'), join(root, 'kmip-backup.sqlite'));

    const [ca, cert, key] = await Promise.all(
      [kmip.pki.ca, kmip.pki.clientCert, kmip.pki.clientKey].map((path) => readFile(path)),
    );
    const client = await KmipClient.connect({
      host: kmip.host,
      port: kmip.port,
      ca: ca!,
      cert: cert!,
      key: key!,
      timeoutMs: 3000,
    });
    await client.revokeAndDestroy(uid);
    client.close();

    clock += 1001; // past the bound: the running keyring asks the KMIP server again, and is refused
    await assert.rejects(running.keyring.checkTenantKey('acme'), rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'));
    await assert.rejects(running.sealer.open(identity('acme'), sealed), rejectsWith('DSV_SHARD_UNREADABLE'));
    assert.equal(Buffer.from(await running.sealer.open(identity('beta'), other)).toString(), 'beta');

    const restored = await openKeyring('kmip-backup.sqlite', entries, registered);
    await assert.rejects(restored.keyring.checkTenantKey('acme'), rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'));
    await assert.rejects(restored.sealer.open(identity('acme'), sealed), rejectsWith('DSV_SHARD_UNREADABLE'));
  });

  it('I-K6: a PKCS#11 tenant key (a non-extractable HSM key) wraps the DEKs; a label the HSM lacks answers 503', async () => {
    const pinFile = join(root, 'hsm.pin');
    await writeFile(pinFile, `${hsm.pin}\n`, { mode: 0o600 });
    const created = await Pkcs11KekProvider.open({
      modulePath: hsm.modulePath,
      tokenLabel: 'tenant-acme',
      keyLabel: 'acme-kek',
      pin: hsm.pin,
      createKeyIfMissing: true,
    });
    await created.close();
    const entry = (keyRef: string): TenantKekEntry => ({
      tenant: 'acme',
      provider: 'pkcs11',
      keyRef,
      modulePath: hsm.modulePath,
      tokenLabel: 'tenant-acme',
      pinFile,
    });
    const entries = [entry('acme-kek'), entry('missing-kek')];
    const good = await openKeyring('hsm.sqlite', entries, {
      provider: 'pkcs11',
      keyRef: 'acme-kek',
      revoked: false,
    });
    const sealed = await good.sealer.seal(identity('acme'), Buffer.from('acme in the hsm'));
    assert.equal(good.keyring.list('acme')[0]?.tenantKek, 'pkcs11:acme-kek');
    assert.equal(Buffer.from(await good.sealer.open(identity('acme'), sealed)).toString(), 'acme in the hsm');
    await good.close();

    const missing = await openKeyring('hsm-missing.sqlite', entries, {
      provider: 'pkcs11',
      keyRef: 'missing-kek',
      revoked: false,
    });
    await assert.rejects(missing.keyring.checkTenantKey('acme'), rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'));
    await assert.rejects(
      missing.sealer.seal(identity('acme'), Buffer.from('x')),
      rejectsWith('DSV_TENANT_KEY_UNAVAILABLE'),
    );
    await missing.keyring.checkTenantKey('beta');
  });
});
