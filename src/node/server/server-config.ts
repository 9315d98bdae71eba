// The config file of one production node (`dsv server --config F`): a node config plus where its KEK,
// peer token and commit log come from. Validated with zod; relative paths are relative to the file.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DsvError } from '../../errors/index.ts';
import { nodeConfigSchema } from '../node-config.ts';
import { resolveTenantKekPaths } from '../tenant-keks-config.ts';

const tls = nodeConfigSchema.shape.tls.unwrap();
const log = nodeConfigSchema.shape.log.unwrap();

export const serverConfigSchema = nodeConfigSchema.extend({
  /** Production nodes always speak mutual TLS to each other and order writes through Kafka. */
  tls,
  log,
  /**
   * The node's identity directory from `dsv cluster init`: identity.json (its signing and agreement keys and
   * its own peer token, 0600), log.key (0600) and cluster.json (the manifest it trusts).
   */
  identityDir: z.string().min(1),
  /**
   * Serve the public API over plain HTTP on a non-loopback address (issue 11: refused by default; for a node
   * behind a TLS-terminating proxy). Loopback binds never need it; `tls.publicCertFile` serves HTTPS.
   */
  publicInsecureHttp: z.boolean().default(false),
  /** Where the node's key-encryption key comes from (DESIGN §8). */
  kek: z.discriminatedUnion('kind', [
    // DSV_UNSEAL_PASSPHRASE, else this file, else a no-echo prompt on a terminal.
    z.object({ kind: z.literal('passphrase'), passphraseFile: z.string().min(1).optional() }),
    z.object({ kind: z.literal('key-file'), path: z.string().min(1) }),
    // The PIN comes from DSV_PKCS11_PIN, else this file; the key never leaves the HSM.
    z.object({
      kind: z.literal('pkcs11'),
      modulePath: z.string().min(1),
      tokenLabel: z.string().min(1),
      keyLabel: z.string().min(1),
      pinFile: z.string().min(1).optional(),
      createKeyIfMissing: z.boolean().default(false),
    }),
    // Credentials from the standard AWS chain (environment, profile, instance role).
    z.object({
      kind: z.literal('aws-kms'),
      keyId: z.string().min(1),
      region: z.string().min(1),
      endpoint: z.string().url().optional(),
    }),
    // A KMIP server (KMIP 2.1, or 2.0 when that is all it speaks) over TLS with a client certificate; the
    // key is named by Unique Identifier or by Name and never leaves the server.
    z
      .object({
        kind: z.literal('kmip'),
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(5696),
        caFile: z.string().min(1),
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
        serverName: z.string().min(1).optional(),
        keyUid: z.string().min(1).optional(),
        keyName: z.string().min(1).optional(),
        createKeyIfMissing: z.boolean().default(false),
        protocolVersion: z.enum(['2.0', '2.1']).optional(),
        timeoutMs: z.number().int().positive().optional(),
      })
      .refine((kek) => (kek.keyUid === undefined) !== (kek.keyName === undefined), {
        message: 'kek: configure exactly one of keyUid and keyName',
      }),
  ]),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

function resolveKekPaths(kek: ServerConfig['kek'], at: (path: string) => string): ServerConfig['kek'] {
  switch (kek.kind) {
    case 'key-file':
      return { ...kek, path: at(kek.path) };
    case 'passphrase':
      return kek.passphraseFile === undefined ? kek : { ...kek, passphraseFile: at(kek.passphraseFile) };
    case 'pkcs11':
      return kek.pinFile === undefined ? kek : { ...kek, pinFile: at(kek.pinFile) };
    case 'aws-kms':
      return kek;
    case 'kmip':
      return { ...kek, caFile: at(kek.caFile), certFile: at(kek.certFile), keyFile: at(kek.keyFile) };
  }
}

function resolveLogPaths(log: ServerConfig['log'], at: (path: string) => string): ServerConfig['log'] {
  const { tls, sasl } = log;
  return {
    ...log,
    ...(tls === undefined
      ? {}
      : {
          tls: {
            caFile: at(tls.caFile),
            ...(tls.certFile === undefined ? {} : { certFile: at(tls.certFile) }),
            ...(tls.keyFile === undefined ? {} : { keyFile: at(tls.keyFile) }),
          },
        }),
    ...(sasl === undefined ? {} : { sasl: { ...sasl, passwordFile: at(sasl.passwordFile) } }),
  };
}

function misconfigured(message: string, cause?: unknown): DsvError {
  return new DsvError('DSV_INPUT_INVALID', message, cause === undefined ? {} : { cause });
}

/** Reads, validates and resolves a node config file; every problem is named with the file. */
export function loadServerConfig(path: string): ServerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw misconfigured(`cannot read the config file ${path} (${code})`, error);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw misconfigured(`the config file ${path} is not valid JSON`, error);
  }
  const parsed = serverConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw misconfigured(`the config file ${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return resolvePaths(parsed.data, dirname(resolve(path)));
}

/** Makes every path absolute against `base`, so a node directory can be copied anywhere with its config. */
export function resolvePaths(config: ServerConfig, base: string): ServerConfig {
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  return {
    ...config,
    dataDir: at(config.dataDir),
    identityDir: at(config.identityDir),
    tls: {
      caFile: at(config.tls.caFile),
      certFile: at(config.tls.certFile),
      keyFile: at(config.tls.keyFile),
      ...(config.tls.clientCertFile === undefined ? {} : { clientCertFile: at(config.tls.clientCertFile) }),
      ...(config.tls.clientKeyFile === undefined ? {} : { clientKeyFile: at(config.tls.clientKeyFile) }),
      ...(config.tls.publicCertFile === undefined ? {} : { publicCertFile: at(config.tls.publicCertFile) }),
      ...(config.tls.publicKeyFile === undefined ? {} : { publicKeyFile: at(config.tls.publicKeyFile) }),
    },
    kek: resolveKekPaths(config.kek, at),
    ...(config.tenantKeks === undefined
      ? {}
      : { tenantKeks: config.tenantKeks.map((entry) => resolveTenantKekPaths(entry, at)) }),
    log: resolveLogPaths(config.log, at),
  };
}
