// KEK rotation of one keyring (DESIGN §8): every live DEK rewrapped under a new KEK; shards are never touched.
// Two phases so that exactly one KEK owns the keyring at every instant: stage each row's new wrap (one small
// transaction per row: restartable, idempotent), then swap all of them in with ONE transaction — the commit.
import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { DsvError } from '../../errors/index.ts';
import { inTransaction } from '../../platform/node-database.ts';
import type { KekProvider } from '../kek/kek-provider.ts';
import { bindingMatches } from '../keyring/data-key.ts';
import { kekRefOf } from '../keyring/kek-ref.ts';
import { migrateKeyring } from '../keyring/keyring-schema.ts';

export interface KekRewrapProgress {
  /** Live DEKs handled so far (staged now, staged earlier, or already under the new KEK). */
  readonly done: number;
  readonly total: number;
}

export interface RewrapAllOptions {
  /** Called after each row's staged wrap is durable; a throw stops the rotation there, as a crash would. */
  readonly onProgress?: (progress: KekRewrapProgress) => void;
}

export interface KekRewrapSummary {
  readonly liveKeys: number;
  /** Wrapped under the new KEK by this run. */
  readonly rewrapped: number;
  /** Staged by an earlier, interrupted run and kept (the DEK was not unwrapped again). */
  readonly resumed: number;
  /** Already under the new KEK when this run started (its commit had happened). */
  readonly alreadyRotated: number;
  /** Destroyed rows: never read, never written (I-K1: nothing of a shredded key comes back). */
  readonly destroyedUntouched: number;
  readonly ms: number;
}

interface RowPlan {
  readonly id: number;
  readonly kek_ref: string | null;
  readonly staged_ref: string | null;
}

const COMMIT_ATTEMPTS = 3;

/**
 * Rewraps every live DEK of the keyring in `db` from the KEK `from` to the KEK `to` (provider-agnostic; `to`
 * must name its key, see `IdentifiedKek`). Before the commit only `from` owns the keyring; after it only `to`.
 * Run it again after any interruption: rows already staged or committed are skipped.
 */
export async function rewrapAll(
  db: DatabaseSync,
  from: KekProvider,
  to: KekProvider,
  options: RewrapAllOptions = {},
): Promise<KekRewrapSummary> {
  const started = performance.now();
  const toRef = kekRefOf(to);
  if (toRef === undefined) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `KEK rotation needs a target provider that names its key (ref); the ${to.kind} provider does not`,
    );
  }
  migrateKeyring(db);
  await assertDifferentKeks(from, to);
  // Wraps staged for another target (an abandoned rotation) would never be committed: drop them.
  db.prepare('DELETE FROM keys_kek_staged WHERE kek_ref != ?').run(toRef);
  const totals = { rewrapped: 0, resumed: 0, alreadyRotated: 0 };
  for (let attempt = 1; ; attempt++) {
    const pass = await stageAll(db, from, to, toRef, options);
    totals.rewrapped += pass.rewrapped;
    if (attempt === 1) Object.assign(totals, { resumed: pass.resumed, alreadyRotated: pass.alreadyRotated });
    if (commitStaged(db, to.kind, toRef)) break;
    if (attempt === COMMIT_ATTEMPTS) {
      throw new DsvError(
        'DSV_INTERNAL',
        'KEK rotation could not commit: data keys keep appearing (is the node running on this database?)',
      );
    }
  }
  // The old wraps are overwritten in place (secure_delete); their page images leave the WAL here.
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const count = (state: string) =>
    (db.prepare(`SELECT count(*) AS n FROM keys_deks WHERE state ${state}`).get() as { n: number }).n;
  return {
    liveKeys: count(`!= 'destroyed'`),
    ...totals,
    destroyedUntouched: count(`= 'destroyed'`),
    ms: performance.now() - started,
  };
}

/** Refuses a "rotation" to the KEK already in use: equal refs, or a wrap by `to` that `from` opens. */
async function assertDifferentKeks(from: KekProvider, to: KekProvider): Promise<void> {
  const fromRef = kekRefOf(from);
  if ((fromRef !== undefined && fromRef === kekRefOf(to)) || (await opensOthersWrap(from, to))) {
    throw new DsvError('DSV_INPUT_INVALID', 'The new key-encryption key is the same as the current one');
  }
}

async function opensOthersWrap(from: KekProvider, to: KekProvider): Promise<boolean> {
  const probe = randomBytes(32);
  try {
    const back = await from.unwrap(await to.wrap(probe));
    const same = Buffer.from(back).equals(probe);
    back.fill(0);
    return same;
  } catch {
    return false; // a foreign wrap is refused: different keys (a failing `to` fails loudly when staging)
  } finally {
    probe.fill(0);
  }
}

/** Phase 1: every live row not yet under `to` gets its wrap under `to` in keys_kek_staged, one row at a time. */
async function stageAll(
  db: DatabaseSync,
  from: KekProvider,
  to: KekProvider,
  toRef: string,
  options: RewrapAllOptions,
): Promise<{ rewrapped: number; resumed: number; alreadyRotated: number }> {
  const plan = db
    .prepare(
      `SELECT d.id, d.kek_ref, s.kek_ref AS staged_ref
       FROM keys_deks d LEFT JOIN keys_kek_staged s ON s.dek_id = d.id
       WHERE d.state != 'destroyed' ORDER BY d.id`,
    )
    .all() as unknown as RowPlan[];
  const read = db.prepare(
    `SELECT tenant, wrapped, binding, tenant_kek_ref FROM keys_deks WHERE id = ? AND state != 'destroyed'`,
  );
  // Compare-and-set on the wrapped bytes: a row destroyed or changed meanwhile is not staged.
  const stage = db.prepare(
    `INSERT OR REPLACE INTO keys_kek_staged (dek_id, kek_ref, wrapped)
     SELECT id, ?, ? FROM keys_deks WHERE id = ? AND state != 'destroyed' AND wrapped = ?`,
  );
  const counts = { rewrapped: 0, resumed: 0, alreadyRotated: 0 };
  for (const [index, row] of plan.entries()) {
    if (row.kek_ref === toRef) counts.alreadyRotated += 1;
    else if (row.staged_ref === toRef) counts.resumed += 1;
    else {
      const current = read.get(row.id) as
        { tenant: string; wrapped: Uint8Array; binding: Uint8Array } | undefined;
      if (current !== undefined) {
        const wrapped = await rewrapOne(from, to, row.id, current);
        if (Number(stage.run(toRef, wrapped, row.id, current.wrapped).changes) > 0) counts.rewrapped += 1;
      }
    }
    options.onProgress?.({ done: index + 1, total: plan.length });
  }
  return counts;
}

/** Unwraps under `from`, checks the DEK belongs to its row (I-K2), wraps under `to` and proves it reopens. */
async function rewrapOne(
  from: KekProvider,
  to: KekProvider,
  id: number,
  row: { tenant: string; wrapped: Uint8Array; binding: Uint8Array; tenant_kek_ref?: string | null },
): Promise<Uint8Array> {
  let dek: Uint8Array;
  try {
    dek = await from.unwrap(row.wrapped);
  } catch (error) {
    throw new DsvError(
      'DSV_KEK_UNAVAILABLE',
      `KEK rotation stopped: data key ${id} does not unwrap under the current ${from.kind} key-encryption key`,
      { cause: error },
    );
  }
  try {
    // A tenant-layered row (I-K6): the node KEK's layer is rewrapped; the tenant's wrap inside is untouched
    // and its binding is checked after the tenant's KMS unwraps it.
    const layered = row.tenant_kek_ref !== undefined && row.tenant_kek_ref !== null;
    if (!layered && (dek.length !== 32 || !bindingMatches(dek, id, row.tenant, row.binding))) {
      throw new DsvError('DSV_KEY_UNWRAP_FAILED', `Data key ${id} does not belong to its keyring row`);
    }
    const wrapped = await to.wrap(dek);
    const back = await to.unwrap(wrapped);
    const same = Buffer.from(back).equals(dek);
    back.fill(0);
    if (!same) throw new DsvError('DSV_INTERNAL', `The new KEK did not reopen data key ${id}`);
    return wrapped;
  } finally {
    dek.fill(0);
  }
}

/**
 * Phase 2, the commit: if every live row is staged under `to` (or already under it), swaps all staged wraps in
 * and labels the rows with `to`, in one transaction. Returns false, changing nothing, if some row is missing.
 */
function commitStaged(db: DatabaseSync, kind: string, toRef: string): boolean {
  const previous = (db.prepare('PRAGMA secure_delete').get() as { secure_delete: number }).secure_delete;
  db.exec('PRAGMA secure_delete = ON'); // the old wraps' freed bytes are overwritten, not left in free pages
  try {
    return inTransaction(db, () => {
      const missing = db
        .prepare(
          `SELECT count(*) AS n FROM keys_deks d WHERE d.state != 'destroyed' AND d.kek_ref IS NOT ?
           AND NOT EXISTS (SELECT 1 FROM keys_kek_staged s WHERE s.dek_id = d.id AND s.kek_ref = ?)`,
        )
        .get(toRef, toRef) as { n: number };
      if (missing.n > 0) return false; // nothing written yet: the transaction commits no change
      db.prepare(
        `UPDATE keys_deks SET kek_kind = ?, kek_ref = ?,
           wrapped = (SELECT s.wrapped FROM keys_kek_staged s WHERE s.dek_id = keys_deks.id)
         WHERE state != 'destroyed' AND id IN (SELECT dek_id FROM keys_kek_staged WHERE kek_ref = ?)`,
      ).run(kind, toRef, toRef);
      db.exec('DELETE FROM keys_kek_staged');
      return true;
    });
  } finally {
    db.exec(`PRAGMA secure_delete = ${previous}`);
  }
}
