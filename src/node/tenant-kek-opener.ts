// Opens a tenant's own KMS key from this node's config (I-K6; composition root only). Each call opens afresh:
// the keys context caches the opened provider for at most its bound, so a key revoked or a file deleted in
// the tenant's KMS stops working on a running node within that bound.
import { readFile } from 'node:fs/promises';
import { LocalKekProvider, type KekProvider, type TenantKekOpener } from '../keys/index.ts';
import { AwsKmsKekProvider, KmipKekProvider, Pkcs11KekProvider } from '../keys/kek/providers.ts';
import type { TenantKekEntry } from './tenant-keks-config.ts';

export function tenantKekOpener(entries: readonly TenantKekEntry[]): TenantKekOpener {
  return {
    open: async (tenant, provider, keyRef) => {
      const entry = entries.find(
        (each) => each.tenant === tenant && each.provider === provider && each.keyRef === keyRef,
      );
      return entry === undefined ? undefined : openTenantKek(entry);
    },
  };
}

async function openTenantKek(entry: TenantKekEntry): Promise<KekProvider> {
  switch (entry.provider) {
    case 'aws-kms':
      return AwsKmsKekProvider.open({
        keyId: entry.keyRef,
        region: entry.region,
        ...(entry.endpoint === undefined ? {} : { endpoint: entry.endpoint }),
      });
    case 'pkcs11':
      return Pkcs11KekProvider.open({
        modulePath: entry.modulePath,
        tokenLabel: entry.tokenLabel,
        keyLabel: entry.keyRef,
        pin: (await readFile(entry.pinFile, 'utf8')).trim(),
        createKeyIfMissing: false,
      });
    case 'kmip': {
      const { tenant: _tenant, provider: _provider, keyRef, ...connection } = entry;
      const defined = Object.entries(connection).filter(([, value]) => value !== undefined);
      return KmipKekProvider.open({ ...Object.fromEntries(defined), keyUid: keyRef } as Parameters<
        typeof KmipKekProvider.open
      >[0]);
    }
    case 'local':
      return LocalKekProvider.fromKeyFile(entry.keyFile);
  }
}
