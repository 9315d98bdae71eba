// The local provider's side of a node's KEK rotation: which files hold which KEK, and the swap after the commit.
import type { DatabaseSync } from 'node:sqlite';
import { DsvError } from '../../errors/index.ts';
import { KEK_FILE_NAME, NEXT_KEK_FILE_NAME, type ScryptParams } from '../kek/local/kek-file.ts';
import { promoteNextKekFile, removeKekFiles, verifierFileRef } from '../kek/local/kek-file-swap.ts';
import { LocalKekProvider } from '../kek/local/local-kek-provider.ts';
import { kekOwnership } from '../keyring/kek-check.ts';

/** A local KEK as the operator names it: an unseal passphrase (with dataDir/kek.json) or a key file. */
export type LocalKekSecret =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'key-file'; readonly path: string };

const ownsAll = (db: DatabaseSync, ref: string | undefined): boolean => {
  if (ref === undefined) return false;
  const owned = kekOwnership(db, ref);
  return owned.live > 0 && owned.own === owned.live;
};

/**
 * A crash between the keyring commit and the file swap leaves kek.next.json beside the old kek.json while every
 * row is already under the next KEK: finish that swap. Needs no secret — the ref comes from the verifier.
 */
export async function settleCommittedRotation(db: DatabaseSync, nodeDir: string): Promise<boolean> {
  if (!ownsAll(db, await verifierFileRef(nodeDir, NEXT_KEK_FILE_NAME))) return false;
  await promoteNextKekFile(nodeDir);
  return true;
}

/** The current KEK. A passphrase must match kek.json (never creates one: the node must already have it). */
export async function openCurrentKek(nodeDir: string, secret: LocalKekSecret): Promise<LocalKekProvider> {
  if (secret.kind === 'key-file') return LocalKekProvider.fromKeyFile(secret.path);
  if ((await verifierFileRef(nodeDir, KEK_FILE_NAME)) === undefined) {
    throw new DsvError(
      'DSV_KEK_UNAVAILABLE',
      `${nodeDir} has no ${KEK_FILE_NAME}: this node is not sealed by a passphrase (give its key file)`,
    );
  }
  return LocalKekProvider.fromPassphraseFile({
    dataDir: nodeDir,
    passphrase: secret.passphrase,
    fileName: KEK_FILE_NAME,
  });
}

/**
 * If `secret` is already the KEK that owns every row (a re-run after the rotation finished), that KEK; else
 * undefined. For a passphrase this costs one scrypt, and only when kek.json's KEK owns the rows.
 */
export async function openFinishedKek(
  db: DatabaseSync,
  nodeDir: string,
  secret: LocalKekSecret,
): Promise<LocalKekProvider | undefined> {
  if (secret.kind === 'key-file') {
    const kek = await LocalKekProvider.fromKeyFile(secret.path);
    if (ownsAll(db, kek.ref)) return kek;
    await kek.close();
    return undefined;
  }
  if (!ownsAll(db, await verifierFileRef(nodeDir, KEK_FILE_NAME))) return undefined;
  return LocalKekProvider.fromPassphraseFile({
    dataDir: nodeDir,
    passphrase: secret.passphrase,
    fileName: KEK_FILE_NAME,
  }).catch(() => undefined);
}

/**
 * The new KEK. A passphrase goes to kek.next.json: resumed if an interrupted rotation to the same passphrase
 * left it, replaced if it belongs to an abandoned rotation to another one (it owns no row: settle ran first).
 */
export async function openNextKek(
  db: DatabaseSync,
  nodeDir: string,
  secret: LocalKekSecret,
  scrypt: ScryptParams | undefined,
): Promise<LocalKekProvider> {
  if (secret.kind === 'key-file') return LocalKekProvider.fromKeyFile(secret.path);
  const options = {
    dataDir: nodeDir,
    passphrase: secret.passphrase,
    fileName: NEXT_KEK_FILE_NAME,
    ...(scrypt ? { scrypt } : {}),
  };
  const pendingRef = await verifierFileRef(nodeDir, NEXT_KEK_FILE_NAME);
  if (pendingRef === undefined) return LocalKekProvider.fromPassphraseFile(options);
  try {
    return await LocalKekProvider.fromPassphraseFile(options);
  } catch (error) {
    if (kekOwnership(db, pendingRef).own > 0) throw error; // never drop the salt of a KEK that owns a row
    await removeKekFiles(nodeDir, [NEXT_KEK_FILE_NAME]);
    return LocalKekProvider.fromPassphraseFile(options);
  }
}

/** After the commit: the new KEK's file becomes kek.json, or — for a key file — no verifier file remains. */
export async function installNextKek(nodeDir: string, secret: LocalKekSecret): Promise<void> {
  if (secret.kind === 'passphrase') await promoteNextKekFile(nodeDir);
  else await removeKekFiles(nodeDir, [KEK_FILE_NAME, NEXT_KEK_FILE_NAME]);
}

/** A re-run found `secret` already owning every row: only leftovers of abandoned rotations go (they own none). */
export async function tidyFinishedKek(nodeDir: string, secret: LocalKekSecret): Promise<void> {
  const leftovers = secret.kind === 'passphrase' ? [] : [KEK_FILE_NAME];
  await removeKekFiles(nodeDir, [...leftovers, NEXT_KEK_FILE_NAME]);
}

/**
 * Refuses a current KEK that does not own the keyring before anything is written (no kek.next.json appears
 * for a mistyped key file). Rows without a ref are left to the unwrap in rewrapAll.
 */
export function assertOwnsKeyring(db: DatabaseSync, kek: LocalKekProvider): void {
  const owned = kekOwnership(db, kek.ref);
  if (owned.own + owned.legacy < owned.live) {
    throw new DsvError(
      'DSV_KEK_UNAVAILABLE',
      `The current KEK given does not unwrap this node's data keys (${owned.foreign} of ${owned.live} are ` +
        'wrapped by another KEK)',
    );
  }
}
