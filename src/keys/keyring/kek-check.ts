// Keyring.open's proof that its KEK owns every live DEK row: `kek_ref`s first, then a real unwrap (DESIGN §8).
import type { DatabaseSync } from 'node:sqlite';
import { DsvError } from '../../errors/index.ts';
import type { KekProvider } from '../kek/kek-provider.ts';
import { bindingMatches } from './data-key.ts';
import { kekRefOf } from './kek-ref.ts';
import { type DekRow } from './keyring-schema.ts';
import { inTransaction } from '../../platform/node-database.ts';

/** How the live (not destroyed) DEK rows of a keyring relate to one KEK. Counts only, never bytes. */
export interface KekOwnership {
  readonly live: number;
  /** Rows whose `kek_ref` is this KEK. */
  readonly own: number;
  /** Rows without a `kek_ref` (written before refs existed, or by a provider without one). */
  readonly legacy: number;
  /** Rows wrapped by another KEK. */
  readonly foreign: number;
  /** Rows an unfinished KEK rotation has staged for this KEK. */
  readonly staged: number;
}

export function kekOwnership(db: DatabaseSync, ref: string | undefined): KekOwnership {
  const counts = db
    .prepare(
      `SELECT count(*) AS live,
              coalesce(sum(kek_ref IS ?), 0) AS own,
              coalesce(sum(kek_ref IS NULL), 0) AS legacy,
              (SELECT count(*) FROM keys_kek_staged s JOIN keys_deks d ON d.id = s.dek_id
                WHERE d.state != 'destroyed' AND s.kek_ref IS ?) AS staged
       FROM keys_deks WHERE state != 'destroyed'`,
    )
    .get(ref ?? null, ref ?? null) as { live: number; own: number; legacy: number; staged: number };
  const own = ref === undefined ? 0 : counts.own;
  return { ...counts, own, foreign: counts.live - own - counts.legacy };
}

const sealed = (kek: KekProvider, cause?: unknown): DsvError =>
  new DsvError(
    'DSV_KEK_UNAVAILABLE',
    `Unseal failed: the ${kek.kind} key-encryption key does not unwrap this node's data keys`,
    cause === undefined ? {} : { cause },
  );

/**
 * Refuses a KEK that does not own every live row, naming the state: an unfinished rotation to this KEK, or rows
 * under another KEK (a committed rotation needs the new secret). Rows without a ref are proven by unwrapping
 * them and then labelled, once. Finally the newest row is unwrapped, so a mislabelled row cannot pass.
 */
export async function checkKekOwnsKeys(db: DatabaseSync, kek: KekProvider): Promise<void> {
  const ref = kekRefOf(kek);
  const owned = kekOwnership(db, ref);
  if (owned.live === 0) return;
  if (ref !== undefined && owned.foreign > 0) {
    const details = { live: owned.live, foreign: owned.foreign, staged: owned.staged };
    if (owned.staged > 0) {
      throw new DsvError(
        'DSV_KEK_UNAVAILABLE',
        `Unseal failed: a KEK rotation to this ${kek.kind} key-encryption key is not finished on this node ` +
          `(${owned.staged} of ${owned.live} data keys staged): finish it with \`dsv keys rotate-kek\`, ` +
          'or unseal with the current secret',
        { details: { ...details, reason: 'kek-rotation-unfinished' } },
      );
    }
    throw new DsvError(
      'DSV_KEK_UNAVAILABLE',
      `Unseal failed: the ${kek.kind} key-encryption key does not unwrap this node's data keys ` +
        `(${owned.foreign} of ${owned.live} are wrapped by another KEK; after \`dsv keys rotate-kek\`, ` +
        'unseal with the new secret)',
      { details: { ...details, reason: 'foreign-kek' } },
    );
  }
  if (ref !== undefined && owned.legacy > 0) await labelLegacyRows(db, kek, ref);
  const newest = db
    .prepare(`SELECT wrapped FROM keys_deks WHERE state != 'destroyed' ORDER BY id DESC LIMIT 1`)
    .get() as { wrapped: Uint8Array } | undefined;
  if (newest === undefined) return;
  try {
    (await kek.unwrap(newest.wrapped)).fill(0);
  } catch (error) {
    throw sealed(kek, error);
  }
}

/** Proves every unlabelled live row unwraps under this KEK (and belongs to its row), then records the ref. */
async function labelLegacyRows(db: DatabaseSync, kek: KekProvider, ref: string): Promise<void> {
  const rows = db
    .prepare(`SELECT * FROM keys_deks WHERE state != 'destroyed' AND kek_ref IS NULL ORDER BY id`)
    .all() as unknown as DekRow[];
  for (const row of rows) {
    let bytes: Uint8Array;
    try {
      bytes = await kek.unwrap(row.wrapped);
    } catch (error) {
      throw sealed(kek, error);
    }
    // A tenant-layered row (I-K6) holds the tenant key's wrap inside: the node KEK's AEAD proves it is ours;
    // the binding is checked after the tenant's KMS unwraps it, at first use.
    const belongs =
      row.tenant_kek_ref !== null ||
      (bytes.length === 32 && bindingMatches(bytes, row.id, row.tenant, row.binding));
    bytes.fill(0);
    if (!belongs) throw sealed(kek);
  }
  inTransaction(db, () => {
    const label = db.prepare(`UPDATE keys_deks SET kek_ref = ? WHERE id = ? AND kek_ref IS NULL`);
    for (const row of rows) label.run(ref, row.id);
  });
}
