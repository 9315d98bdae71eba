// The trust-boundaries API (docs/design/2026_12_02_implemented_trust-boundaries.md, `src/trust/index.ts`) as
// the attacker uses it: with one node's complete files, seal records that carry that node's valid signature
// and the cluster's log key — everything a compromised node can produce, and nothing more (no endorsement of
// any other member, no operator key).
//
// The module is loaded by a computed specifier, so this file typechecks before `src/trust` exists; tests that
// need it are marked `todo` until it loads.
import { createHash, createHmac, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The exports these tests rely on (the brief of the trust-boundaries implementation). */
export interface TrustApi {
  loadNodeIdentity(nodeDir: string): unknown;
  loadClusterManifest(file: string): unknown;
  loadLogKey(nodeDir: string): Uint8Array;
  sealRecord(
    identity: { signer: string; privateKey: KeyObject },
    manifest: unknown,
    logKey: Uint8Array,
    partition: number,
    body: object,
  ): Uint8Array;
  /** Optional: the per-audience verifiers of a token (§5); a local rendering of the note is used otherwise. */
  tokenVerifiers?(token: string, clusterId: string, nodeIds: readonly string[]): Record<string, string>;
}

const trustModule = fileURLToPath(new URL('../../src/trust/index.ts', import.meta.url));

/** `src/trust` when it exists and exports what the tests need; undefined otherwise. */
export async function loadTrust(): Promise<TrustApi | undefined> {
  if (!existsSync(trustModule)) return undefined;
  const specifier = trustModule; // computed: tsc does not resolve it
  const loaded = (await import(specifier)) as Partial<TrustApi>;
  const needed = ['loadNodeIdentity', 'loadClusterManifest', 'loadLogKey', 'sealRecord'] as const;
  return needed.every((name) => typeof loaded[name] === 'function') ? (loaded as TrustApi) : undefined;
}

/** Why a sealed-record test cannot run yet, or false when it can (for `it(…, { todo })`). */
export async function trustTodo(): Promise<string | false> {
  return (await loadTrust()) ? false : 'needs src/trust';
}

/** A record sealer holding one stolen node's identity and the cluster's log key. */
export interface NodeSealer {
  readonly signer: string;
  readonly clusterId: string;
  seal(partition: number, body: object): Uint8Array;
  /** Verifiers of `token` for every node, as a token-create record of the protocol carries them. */
  verifiers(token: string, nodeIds: readonly string[]): Record<string, string>;
}

/**
 * Seals as node `nodeId` with the files of its directory (`identity.json`, `log.key`) and the cluster
 * manifest (`cluster.json`, in the cluster dir or the node's dir).
 */
export async function stolenSealer(clusterDir: string, nodeDir: string, nodeId: string): Promise<NodeSealer> {
  const trust = await loadTrust();
  if (!trust) throw new Error('src/trust is not available');
  const identity = trust.loadNodeIdentity(nodeDir);
  const manifestFile = [join(clusterDir, 'cluster.json'), join(nodeDir, 'cluster.json')].find((file) =>
    existsSync(file),
  );
  if (!manifestFile) throw new Error(`no cluster.json in ${clusterDir} or ${nodeDir}`);
  const manifest = trust.loadClusterManifest(manifestFile);
  const logKey = trust.loadLogKey(nodeDir);
  const signing = signingKeyOf(identity);
  if (!signing) throw new Error('no Ed25519 private key found in the node identity');
  const clusterId = stringField(manifest, /^clusterId$/) ?? stringField(manifest, /cluster.?id/i) ?? '';
  return {
    signer: nodeId,
    clusterId,
    seal: (partition, body) =>
      trust.sealRecord({ signer: nodeId, privateKey: signing }, manifest, logKey, partition, body),
    verifiers: (token, nodeIds) =>
      trust.tokenVerifiers?.(token, clusterId, nodeIds) ?? tokenVerifiers(token, clusterId, nodeIds),
  };
}

/** The node's Ed25519 signing key, wherever the identity object keeps it. */
function signingKeyOf(identity: unknown): KeyObject | undefined {
  const keys: KeyObject[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || typeof value !== 'object' || value === null) return;
    if (isPrivateKey(value)) {
      keys.push(value);
      return;
    }
    for (const inner of Object.values(value as Record<string, unknown>)) visit(inner, depth + 1);
  };
  visit(identity, 0);
  return keys.find((key) => key.asymmetricKeyType === 'ed25519');
}

const isPrivateKey = (value: object): value is KeyObject =>
  'asymmetricKeyType' in value && (value as KeyObject).type === 'private';

function stringField(value: unknown, pattern: RegExp): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (pattern.test(key) && typeof inner === 'string') return inner;
  }
  return undefined;
}

/**
 * Per-audience token verifiers of the note (§5): `cred_j = HMAC-SHA256(T, "dsv/node-credential/v1" ‖
 * clusterId ‖ j)`, verifier = hex SHA-256(cred_j). A forged `token-create` carries them, so the only thing
 * standing between it and a working token is the record's authority, not its shape.
 */
export function tokenVerifiers(
  token: string,
  clusterId: string,
  nodeIds: readonly string[],
): Record<string, string> {
  return Object.fromEntries(
    nodeIds.map((nodeId) => {
      const credential = createHmac('sha256', token)
        .update(`dsv/node-credential/v1${clusterId}${nodeId}`, 'utf8')
        .digest();
      return [nodeId, createHash('sha256').update(credential).digest('hex')];
    }),
  );
}
