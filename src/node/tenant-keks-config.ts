// How this node reaches each tenant's own KMS (tenant-held keys, I-K6): node config, never the log. A
// `tenant-key-set` record names (tenant, provider, keyRef); a node uses a key only through its own entry for
// exactly that triple, with its own credentials — so a record naming a KMS the operator did not configure
// reaches nothing, and a log writer cannot point nodes at a KMS it controls.
import { z } from 'zod';

const common = { tenant: z.string().min(1), keyRef: z.string().min(1).max(2048) };

export const tenantKekEntrySchema = z.discriminatedUnion('provider', [
  // keyRef: key id, key ARN or alias; credentials from the standard AWS chain of the node's process.
  z.object({
    ...common,
    provider: z.literal('aws-kms'),
    region: z.string().min(1),
    endpoint: z.string().url().optional(),
  }),
  // keyRef: the key's label on the token; the PIN from pinFile.
  z.object({
    ...common,
    provider: z.literal('pkcs11'),
    modulePath: z.string().min(1),
    tokenLabel: z.string().min(1),
    pinFile: z.string().min(1),
  }),
  // keyRef: the key's Unique Identifier on the KMIP server; TLS client certificate per node.
  z.object({
    ...common,
    provider: z.literal('kmip'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(5696),
    caFile: z.string().min(1),
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    serverName: z.string().min(1).optional(),
    protocolVersion: z.enum(['2.0', '2.1']).optional(),
    timeoutMs: z.number().int().positive().optional(),
  }),
  // keyRef: any name; keyFile holds 32 raw bytes or 64 hex characters. For development and tests only: the
  // "KMS" is a file, and deleting it is the revocation.
  z.object({ ...common, provider: z.literal('local'), keyFile: z.string().min(1) }),
]);

export type TenantKekEntry = z.infer<typeof tenantKekEntrySchema>;

/** Node config fields for tenant-held keys. */
export const tenantKeksConfig = {
  /** One entry per tenant key this node may use (I-K6). */
  tenantKeks: z.array(tenantKekEntrySchema).optional(),
  /**
   * How long an unwrapped tenant-layered DEK (and an opened tenant provider) stays in memory before the
   * tenant's KMS is asked again: the bound on how late a revocation in the tenant's KMS takes effect on a
   * running node. Default 5 minutes.
   */
  tenantKeyCacheMs: z.number().int().min(0).max(86_400_000).optional(),
};

/** Makes an entry's file paths absolute (config files are relative to themselves). */
export function resolveTenantKekPaths(entry: TenantKekEntry, at: (path: string) => string): TenantKekEntry {
  switch (entry.provider) {
    case 'aws-kms':
      return entry;
    case 'pkcs11':
      return { ...entry, pinFile: at(entry.pinFile) };
    case 'kmip':
      return { ...entry, caFile: at(entry.caFile), certFile: at(entry.certFile), keyFile: at(entry.keyFile) };
    case 'local':
      return { ...entry, keyFile: at(entry.keyFile) };
  }
}
