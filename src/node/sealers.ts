// Picks the at-rest sealer for a node (composition root only, DESIGN §8): envelopes under a per-tenant DEK,
// DEKs wrapped by the node's KEK from a KEK provider.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import {
  EnvelopeShardSealer,
  EpochRotation,
  Keyring,
  LocalKekProvider,
  type KekProvider,
  type TenantKeyState,
} from '../keys/index.ts';
import type { ShardSealer } from '../shards/index.ts';
import type { NodeConfig } from './node-config.ts';

export interface OpenedSealer {
  readonly sealer: ShardSealer;
  /** Present when the sealer uses a keyring: crypto-shred, rotation status and rewrap need it. */
  readonly keyring?: Keyring;
  close(): Promise<void>;
}

export type SealerFactory = (
  db: DatabaseSync,
  config: NodeConfig,
  tenants: TenantKeyState,
) => Promise<OpenedSealer>;

export type KekSource =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'key-file'; readonly path: string };

/** A node refuses to start (sealed) when its KEK cannot be obtained: the provider or keyring throws. */
export function envelopeSealer(source: KekSource): SealerFactory {
  return async (db, config, tenants) => {
    const kek: KekProvider =
      source.kind === 'passphrase'
        ? await LocalKekProvider.fromPassphrase({ dataDir: config.dataDir, passphrase: source.passphrase })
        : await LocalKekProvider.fromKeyFile(source.path);
    try {
      const keyring = await Keyring.open({ db, kek });
      return {
        sealer: new EnvelopeShardSealer(keyring, new EpochRotation(db, keyring, tenants)),
        keyring,
        close: async () => {
          keyring.close();
          await kek.close();
        },
      };
    } catch (error) {
      await kek.close();
      throw error;
    }
  };
}

/**
 * Dev mode without a passphrase: a random KEK file beside the data, so `dsv dev` works with no setup.
 * It protects nothing against a stolen disk; `dsv dev` says so and DSV_UNSEAL_PASSPHRASE is the real thing.
 */
export function ensureDevKeyFile(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return path;
}
