// The file half of a local KEK rotation: which KEK a verifier file names, and its durable swap after the commit.
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError } from '../../../errors/index.ts';
import { localKekRef } from './kek-derivation.ts';
import { syncDir } from '../../../platform/sync-dir.ts';
import { KEK_FILE_NAME, NEXT_KEK_FILE_NAME, readKekFile } from './kek-file.ts';

/** The `kek_ref` of the KEK a verifier file describes, without its passphrase; `undefined` if no such file. */
export async function verifierFileRef(dataDir: string, name: string): Promise<string | undefined> {
  const stored = await readKekFile(dataDir, name);
  return stored === undefined ? undefined : localKekRef(stored.verifier);
}

/**
 * kek.next.json becomes kek.json (rename is atomic; the directory is fsynced). Only after the keyring
 * committed to the new KEK: before that, the old kek.json is what unseals the node.
 */
export async function promoteNextKekFile(dataDir: string): Promise<void> {
  try {
    await rename(join(dataDir, NEXT_KEK_FILE_NAME), join(dataDir, KEK_FILE_NAME));
    await syncDir(dataDir);
  } catch (error) {
    throw new DsvError('DSV_KEK_UNAVAILABLE', `Cannot install the new ${KEK_FILE_NAME} in ${dataDir}`, {
      cause: error,
    });
  }
}

/** Removes verifier files that no longer describe this node's KEK (e.g. after a rotation to a key file). */
export async function removeKekFiles(dataDir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await unlink(join(dataDir, name)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }
  await syncDir(dataDir);
}
