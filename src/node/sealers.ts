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
  TenantKekLayer,
  type TenantKeyState,
} from '../keys/index.ts';
import {
  AwsKmsKekProvider,
  KmipKekProvider,
  Pkcs11KekProvider,
  type KmipKekOptions,
} from '../keys/kek/providers.ts';
import type { TenantKeyAccess } from '../cluster/index.ts';
import type { ShardSealer } from '../shards/index.ts';
import type { NodeConfig } from './node-config.ts';
import { tenantKekOpener } from './tenant-kek-opener.ts';

export interface OpenedSealer {
  readonly sealer: ShardSealer;
  /** Present when the sealer uses a keyring: crypto-shred, rotation status and rewrap need it. */
  readonly keyring?: Keyring;
  /** Tenant-held keys (I-K6): the tenants' own KMS keys as this node reaches them. */
  readonly tenantKeys?: TenantKekLayer;
  close(): Promise<void>;
}

export type SealerFactory = (
  db: DatabaseSync,
  config: NodeConfig,
  tenants: TenantKeyState,
) => Promise<OpenedSealer>;

export type KekSource =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'key-file'; readonly path: string }
  | {
      readonly kind: 'pkcs11';
      readonly modulePath: string;
      readonly tokenLabel: string;
      readonly keyLabel: string;
      readonly pin: string;
      readonly createKeyIfMissing: boolean;
    }
  | {
      readonly kind: 'aws-kms';
      readonly keyId: string;
      readonly region: string;
      readonly endpoint?: string;
    }
  | ({ readonly kind: 'kmip' } & KmipKekOptions);

/** The one place that picks a KEK provider (DESIGN §8: callers never branch on the provider). */
export async function openKekProvider(source: KekSource, dataDir: string): Promise<KekProvider> {
  switch (source.kind) {
    case 'passphrase':
      return LocalKekProvider.fromPassphrase({ dataDir, passphrase: source.passphrase });
    case 'key-file':
      return LocalKekProvider.fromKeyFile(source.path);
    case 'pkcs11':
      return Pkcs11KekProvider.open({
        modulePath: source.modulePath,
        tokenLabel: source.tokenLabel,
        keyLabel: source.keyLabel,
        pin: source.pin,
        createKeyIfMissing: source.createKeyIfMissing,
      });
    case 'aws-kms':
      return AwsKmsKekProvider.open({
        keyId: source.keyId,
        region: source.region,
        ...(source.endpoint === undefined ? {} : { endpoint: source.endpoint }),
      });
    case 'kmip': {
      const { kind: _kind, ...options } = source;
      return KmipKekProvider.open(options);
    }
  }
}

/**
 * A node refuses to start (sealed) when its KEK cannot be obtained: the provider or keyring throws.
 * Given an already opened provider (`dsv server` unseals before it connects to anything), it uses that one.
 */
export function envelopeSealer(source: KekSource | KekProvider): SealerFactory {
  return async (db, config, tenants) => {
    const kek = 'wrap' in source ? source : await openKekProvider(source, config.dataDir);
    // I-K6: every node has the layer, so a tenant key this node has no entry for answers 503, never plaintext.
    const tenantKeys = new TenantKekLayer({
      directory: { tenantKey: (tenant) => tenants.tenantKey?.(tenant) },
      opener: tenantKekOpener(config.tenantKeks ?? []),
      ...(config.tenantKeyCacheMs === undefined ? {} : { cacheMs: config.tenantKeyCacheMs }),
    });
    try {
      const keyring = await Keyring.open({ db, kek, tenantKeys });
      return {
        sealer: new EnvelopeShardSealer(keyring, new EpochRotation(db, keyring, tenants)),
        keyring,
        tenantKeys,
        close: async () => {
          keyring.close();
          await tenantKeys.close();
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
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return path;
}

/** Tenant-held keys (I-K6, I-K7): what the coordinator may do with tenants' own KMS keys on this node. */
export function tenantKeyAccess(sealer: OpenedSealer): { tenantKeys?: TenantKeyAccess } {
  const { keyring, tenantKeys } = sealer;
  if (keyring === undefined || tenantKeys === undefined) return {};
  return {
    tenantKeys: {
      check: (tenant) => keyring.checkTenantKey(tenant),
      probe: (tenant, provider, keyRef) => tenantKeys.probe(tenant, provider, keyRef),
      layers: (tenant) => keyring.layers(tenant),
    },
  };
}
