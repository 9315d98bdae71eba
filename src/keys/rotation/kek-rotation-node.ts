// `dsv keys rotate-kek` for one stopped node: lock its database, open both local KEKs, rewrap, swap kek files.
import { holdExclusiveLock } from '../../platform/node-database.ts';
import { checkDatabaseFormat } from '../../platform/schema-migrations.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DsvError } from '../../errors/index.ts';
import type { ScryptParams } from '../kek/local/kek-file.ts';
import type { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { migrateKeyring } from '../keyring/keyring-schema.ts';
import { rewrapAll, type KekRewrapProgress, type KekRewrapSummary } from './kek-rotation.ts';
import {
  assertOwnsKeyring,
  installNextKek,
  openCurrentKek,
  openFinishedKek,
  openNextKek,
  settleCommittedRotation,
  tidyFinishedKek,
  type LocalKekSecret,
} from './kek-rotation-local.ts';

export const NODE_DATABASE_FILE = 'node.sqlite';

export interface NodeKekRotationOptions {
  /** The node's data directory (dev: `<data-dir>/node-<i>`), holding node.sqlite and kek.json. */
  readonly nodeDir: string;
  readonly from: LocalKekSecret;
  readonly to: LocalKekSecret;
  /** scrypt parameters of a new kek.next.json; default DEFAULT_SCRYPT. */
  readonly scrypt?: ScryptParams;
  readonly onProgress?: (progress: KekRewrapProgress) => void;
  /** Durable milestones: 'committed' (the keyring is under the new KEK), 'installed' (kek files swapped). */
  readonly onPhase?: (phase: 'committed' | 'installed') => void;
}

export interface NodeKekRotationResult extends KekRewrapSummary {
  /** True when the node was already under the new KEK (a re-run): only leftover files were tidied. */
  readonly alreadyFinished: boolean;
}

/**
 * Rotates the node's KEK offline. Crash-safe at every point: before the keyring commit only the old secret
 * unseals the node, after it only the new one, and running this again with the same arguments finishes it.
 */
export async function rotateNodeKek(options: NodeKekRotationOptions): Promise<NodeKekRotationResult> {
  const started = performance.now();
  const { nodeDir } = options;
  const db = openExclusively(join(nodeDir, NODE_DATABASE_FILE));
  const opened: LocalKekProvider[] = [];
  try {
    migrateKeyring(db);
    await settleCommittedRotation(db, nodeDir);
    const finished = await openFinishedKek(db, nodeDir, options.to);
    if (finished !== undefined) {
      opened.push(finished);
      await tidyFinishedKek(nodeDir, options.to);
      const live = liveKeys(db);
      return {
        liveKeys: live,
        rewrapped: 0,
        resumed: 0,
        alreadyRotated: live,
        destroyedUntouched: destroyedKeys(db),
        ms: performance.now() - started,
        alreadyFinished: true,
      };
    }
    const from = await openCurrentKek(nodeDir, options.from);
    opened.push(from);
    assertOwnsKeyring(db, from);
    const to = await openNextKek(db, nodeDir, options.to, options.scrypt);
    opened.push(to);
    const summary = await rewrapAll(
      db,
      from,
      to,
      options.onProgress ? { onProgress: options.onProgress } : {},
    );
    options.onPhase?.('committed');
    await installNextKek(nodeDir, options.to);
    options.onPhase?.('installed');
    return { ...summary, ms: performance.now() - started, alreadyFinished: false };
  } finally {
    for (const kek of opened) await kek.close();
    db.close();
  }
}

const liveKeys = (db: DatabaseSync): number =>
  (db.prepare(`SELECT count(*) AS n FROM keys_deks WHERE state != 'destroyed'`).get() as { n: number }).n;
const destroyedKeys = (db: DatabaseSync): number =>
  (db.prepare(`SELECT count(*) AS n FROM keys_deks WHERE state = 'destroyed'`).get() as { n: number }).n;

/**
 * Opens node.sqlite holding SQLite's exclusive lock for the whole rotation: it fails while the node (or anything)
 * has the database open, and a node started meanwhile cannot open it. A crash releases the lock.
 */
function openExclusively(path: string): DatabaseSync {
  if (!existsSync(path)) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `No node database at ${path}: --node-dir is one node's data directory (dev: <data-dir>/node-<i>)`,
    );
  }
  const db = new DatabaseSync(path);
  try {
    // An offline tool of an older release must not rewrite what a newer one wrote (issue #13).
    checkDatabaseFormat(db, path);
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA synchronous = FULL'); // the commit is on disk before kek.next.json is renamed
    db.exec('PRAGMA foreign_keys = ON');
    holdExclusiveLock(db);
    return db;
  } catch (error) {
    db.close();
    if (/locked|busy/i.test(error instanceof Error ? error.message : String(error))) {
      throw new DsvError(
        'DSV_INPUT_INVALID',
        `The node database ${path} is in use: stop the node before rotating its KEK`,
        { cause: error },
      );
    }
    throw error;
  }
}
