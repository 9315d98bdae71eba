// Test support for KEK rotation: a keyring with live, retired and destroyed DEKs, and what opens under a KEK.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { KekProvider } from '../kek/kek-provider.ts';
import { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { Keyring } from '../keyring/keyring.ts';
import type { LocalKekSecret } from './kek-rotation-local.ts';

/**
 * Fills a keyring: tenants a, b, c with one DEK each, a rotated twice (two retired DEKs), c crypto-shredded.
 * Returns copies of every live DEK's bytes by id — test code only; production never copies key bytes out.
 */
export async function seedKeyring(db: DatabaseSync, kek: KekProvider): Promise<Map<number, Buffer>> {
  const keyring = await Keyring.open({ db, kek });
  try {
    for (const tenant of ['a', 'b', 'c']) await keyring.activeKey(tenant);
    await keyring.rotate('a');
    await keyring.rotate('a');
    keyring.destroyTenant('c');
    const live = new Map<number, Buffer>();
    for (const tenant of ['a', 'b']) {
      for (const info of keyring.list(tenant)) {
        const key = await keyring.keyById(info.id);
        if (key !== undefined) live.set(info.id, Buffer.from(key.key));
      }
    }
    return live;
  } finally {
    keyring.close();
  }
}

/** Opens the keyring under `kek` (the unseal check) and unwraps every live DEK; rejects like a sealed node. */
export async function openAllKeys(db: DatabaseSync, kek: KekProvider): Promise<Map<number, Buffer>> {
  const keyring = await Keyring.open({ db, kek });
  try {
    const ids = db.prepare(`SELECT id FROM keys_deks WHERE state != 'destroyed' ORDER BY id`).all() as Array<{
      id: number;
    }>;
    const keys = new Map<number, Buffer>();
    for (const { id } of ids) {
      const key = await keyring.keyById(id);
      if (key !== undefined) keys.set(id, Buffer.from(key.key));
    }
    return keys;
  } finally {
    keyring.close();
  }
}

/** A node's unseal path as the composition root runs it (src/node/sealers.ts): every live DEK, or a rejection. */
export async function unsealNode(nodeDir: string, secret: LocalKekSecret): Promise<Map<number, Buffer>> {
  const kek =
    secret.kind === 'passphrase'
      ? await LocalKekProvider.fromPassphrase({ dataDir: nodeDir, passphrase: secret.passphrase })
      : await LocalKekProvider.fromKeyFile(secret.path);
  const db = new DatabaseSync(join(nodeDir, 'node.sqlite'));
  try {
    return await openAllKeys(db, kek);
  } finally {
    db.close();
    await kek.close();
  }
}

/** A digest of every row of a table (all columns, blobs included), to prove a table was not touched. */
export function tableDigest(db: DatabaseSync, table: string, orderBy = 'rowid', where = 'true'): string {
  const rows = db.prepare(`SELECT * FROM ${table} WHERE ${where} ORDER BY ${orderBy}`).all();
  const hash = createHash('sha256');
  for (const row of rows) {
    for (const [column, value] of Object.entries(row)) {
      const text = value instanceof Uint8Array ? Buffer.from(value).toString('hex') : String(value);
      hash.update(`${column}=${text};`);
    }
    hash.update('\n');
  }
  return hash.digest('hex');
}
