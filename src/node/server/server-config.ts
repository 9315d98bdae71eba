// The config file of one production node (`dsv server --config F`): a node config plus where its KEK,
// peer token and commit log come from. Validated with zod; relative paths are relative to the file.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DsvError } from '../../errors/index.ts';
import { nodeConfigSchema } from '../node-config.ts';

const tls = nodeConfigSchema.shape.tls.unwrap();
const log = nodeConfigSchema.shape.log.unwrap();

export const serverConfigSchema = nodeConfigSchema.extend({
  /** Production nodes always speak mutual TLS to each other and order writes through Kafka. */
  tls,
  log,
  /** A shared secret every peer call carries too (defence in depth beside mTLS); a 0600 file. */
  peerTokenFile: z.string().min(1),
  /** Where the node's key-encryption key comes from (DESIGN §8). */
  kek: z.discriminatedUnion('kind', [
    // DSV_UNSEAL_PASSPHRASE, else this file, else a no-echo prompt on a terminal.
    z.object({ kind: z.literal('passphrase'), passphraseFile: z.string().min(1).optional() }),
    z.object({ kind: z.literal('key-file'), path: z.string().min(1) }),
  ]),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

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
    peerTokenFile: at(config.peerTokenFile),
    tls: {
      caFile: at(config.tls.caFile),
      certFile: at(config.tls.certFile),
      keyFile: at(config.tls.keyFile),
      ...(config.tls.publicCertFile === undefined ? {} : { publicCertFile: at(config.tls.publicCertFile) }),
      ...(config.tls.publicKeyFile === undefined ? {} : { publicKeyFile: at(config.tls.publicKeyFile) }),
    },
    kek:
      config.kek.kind === 'key-file'
        ? { kind: 'key-file', path: at(config.kek.path) }
        : {
            kind: 'passphrase',
            ...(config.kek.passphraseFile === undefined
              ? {}
              : { passphraseFile: at(config.kek.passphraseFile) }),
          },
  };
}
