// Cluster identity material (trust-boundaries design §1): the operator's key, each node's signing and
// key-agreement keys and peer token, the cluster manifest every node trusts, and the shared log key.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DsvError } from '../errors/index.ts';

/** Public facts about one member: what every other node verifies its signatures and peer calls against. */
export interface MemberKeys {
  readonly nodeId: string;
  /** Ed25519 public key (SPKI DER, base64): signs log records, endorsements and stage receipts. */
  readonly signingKey: string;
  /** X25519 public key (SPKI DER, base64): pairwise masks of secret-preserving share recovery. */
  readonly agreementKey: string;
  /** Hex SHA-256 of the node's own peer token (I-G4: no cluster-wide shared peer secret). */
  readonly peerTokenHash: string;
}

export interface ClusterManifest {
  readonly version: 1;
  readonly clusterId: string;
  /** Ed25519 public key (SPKI DER, base64) of the offline operator key. */
  readonly operatorKey: string;
  readonly members: readonly MemberKeys[];
}

/** One node's private material (0600 on its disk only). */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly signingKey: KeyObject;
  readonly agreementKey: KeyObject;
  readonly peerToken: string;
}

/** The signer of operator records; no node id can take this name. */
export const OPERATOR = 'operator';

export const MANIFEST_FILE = 'cluster.json';
export const IDENTITY_FILE = 'identity.json';
export const LOG_KEY_FILE = 'log.key';
export const OPERATOR_KEY_FILE = 'operator.key';

const der = (key: KeyObject): string =>
  key.export({ format: 'der', type: key.type === 'private' ? 'pkcs8' : 'spki' }).toString('base64');

export const publicKeyOf = (spkiBase64: string): KeyObject =>
  createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });

const privateKeyOf = (pkcs8Base64: string): KeyObject =>
  createPrivateKey({ key: Buffer.from(pkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });

export const sha256Hex = (text: string | Uint8Array): string =>
  createHash('sha256').update(text).digest('hex');

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

function writePublic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o644, flag: 'wx' });
}

export interface ClusterIdentityLayout {
  /** Where the manifest and the operator key go. */
  readonly dir: string;
  /** Node id → the directory its private material goes to (a copy of the manifest goes there too). */
  readonly nodeDirs: ReadonlyMap<string, string>;
}

/**
 * Creates every key of a new cluster. Never overwrites (flag wx): a second run would orphan every record the
 * old keys signed. The operator key belongs offline once the cluster has its first root token.
 */
export function createClusterIdentity(layout: ClusterIdentityLayout): ClusterManifest {
  const operator = generateKeyPairSync('ed25519');
  const logKey = randomBytes(32);
  const members: MemberKeys[] = [];
  for (const [nodeId, nodeDir] of layout.nodeDirs) {
    if (nodeId === OPERATOR) throw new DsvError('DSV_INPUT_INVALID', `'${OPERATOR}' is not a node id`);
    const signing = generateKeyPairSync('ed25519');
    const agreement = generateKeyPairSync('x25519');
    const peerToken = randomBytes(32).toString('base64url');
    writePrivate(
      join(nodeDir, IDENTITY_FILE),
      `${JSON.stringify({ nodeId, signingKey: der(signing.privateKey), agreementKey: der(agreement.privateKey), peerToken })}\n`,
    );
    writePrivate(join(nodeDir, LOG_KEY_FILE), `${logKey.toString('hex')}\n`);
    members.push({
      nodeId,
      signingKey: der(signing.publicKey),
      agreementKey: der(agreement.publicKey),
      peerTokenHash: sha256Hex(peerToken),
    });
  }
  const manifest: ClusterManifest = {
    version: 1,
    clusterId: randomUUID(),
    operatorKey: der(operator.publicKey),
    members,
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  writePublic(join(layout.dir, MANIFEST_FILE), text);
  for (const nodeDir of layout.nodeDirs.values()) writePublic(join(nodeDir, MANIFEST_FILE), text);
  writePrivate(join(layout.dir, OPERATOR_KEY_FILE), `${der(operator.privateKey)}\n`);
  logKey.fill(0);
  return manifest;
}

function readJson(path: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new DsvError('DSV_INPUT_INVALID', `cannot read the ${what} ${path}`, { cause: error });
  }
}

export function loadClusterManifest(path: string): ClusterManifest {
  const raw = readJson(path, 'cluster manifest');
  const members = raw['members'];
  if (raw['version'] !== 1 || typeof raw['clusterId'] !== 'string' || typeof raw['operatorKey'] !== 'string')
    throw new DsvError('DSV_INPUT_INVALID', `the cluster manifest ${path} is not a DSV cluster manifest`);
  if (!Array.isArray(members) || members.length === 0)
    throw new DsvError('DSV_INPUT_INVALID', `the cluster manifest ${path} names no members`);
  return raw as unknown as ClusterManifest;
}

export function loadNodeIdentity(nodeDir: string): NodeIdentity {
  const path = join(nodeDir, IDENTITY_FILE);
  const raw = readJson(path, 'node identity');
  const { nodeId, signingKey, agreementKey, peerToken } = raw;
  if (
    typeof nodeId !== 'string' ||
    typeof signingKey !== 'string' ||
    typeof agreementKey !== 'string' ||
    typeof peerToken !== 'string'
  )
    throw new DsvError('DSV_INPUT_INVALID', `the node identity ${path} is incomplete`);
  return {
    nodeId,
    signingKey: privateKeyOf(signingKey),
    agreementKey: privateKeyOf(agreementKey),
    peerToken,
  };
}

export function loadLogKey(nodeDir: string): Uint8Array {
  const path = join(nodeDir, LOG_KEY_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new DsvError('DSV_INPUT_INVALID', `cannot read the log key ${path}`, { cause: error });
  }
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new DsvError('DSV_INPUT_INVALID', `the log key ${path} is malformed`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function loadOperatorKey(dir: string): KeyObject {
  const path = join(dir, OPERATOR_KEY_FILE);
  if (!existsSync(path))
    throw new DsvError('DSV_INPUT_INVALID', `no operator key at ${path} (it is made by dsv cluster init)`);
  return privateKeyOf(readFileSync(path, 'utf8').trim());
}

/** Everything a node loads at start: its own keys, the manifest it trusts and the log key. */
export interface TrustMaterial {
  readonly manifest: ClusterManifest;
  readonly identity: NodeIdentity;
  readonly logKey: Uint8Array;
}

export function loadTrustMaterial(nodeDir: string): TrustMaterial {
  const manifest = loadClusterManifest(join(nodeDir, MANIFEST_FILE));
  const identity = loadNodeIdentity(nodeDir);
  if (!manifest.members.some((member) => member.nodeId === identity.nodeId))
    throw new DsvError('DSV_INPUT_INVALID', `${identity.nodeId} is not a member of the cluster manifest`);
  return { manifest, identity, logKey: loadLogKey(nodeDir) };
}

/** `dsv dev`: the same files under the data dir, made on the first start and kept. */
export function ensureDevTrust(trustDir: string, nodeIds: readonly string[]): void {
  if (existsSync(join(trustDir, MANIFEST_FILE))) return;
  createClusterIdentity({
    dir: trustDir,
    nodeDirs: new Map(nodeIds.map((nodeId) => [nodeId, join(trustDir, nodeId)])),
  });
}
