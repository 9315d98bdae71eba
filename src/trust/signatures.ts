// Detached signatures a node gives outside the log (trust-boundaries design §4, §6): endorsements of a
// record body and stage receipts. Each has its own domain, so one can never be replayed as the other.
import { createHash, type KeyObject } from 'node:crypto';
import { OPERATOR, publicKeyOf, type ClusterManifest } from './cluster-identity.ts';
import { signEd25519, verifyEd25519 } from './signature-verdicts.ts';

export type SignatureDomain = 'dsv/endorse/v1' | 'dsv/stage-receipt/v1' | 'dsv/refresh-receipt/v1';

/** JSON with object keys sorted at every level, so two nodes hash the same body to the same digest. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function digestOf(domain: SignatureDomain, clusterId: string, value: unknown): Buffer {
  return createHash('sha256')
    .update(`${domain}\u0000${clusterId}\u0000${canonicalJson(value)}`)
    .digest();
}

export function signDigest(privateKey: KeyObject, digest: Uint8Array): string {
  return signEd25519(privateKey, digest).toString('base64');
}

/** Verifies members' (and the operator's) detached signatures against the manifest's public keys. */
export class SignatureVerifier {
  readonly clusterId: string;
  private readonly keys = new Map<string, KeyObject>();

  constructor(manifest: ClusterManifest) {
    this.clusterId = manifest.clusterId;
    this.keys.set(OPERATOR, publicKeyOf(manifest.operatorKey));
    for (const member of manifest.members) this.keys.set(member.nodeId, publicKeyOf(member.signingKey));
  }

  isMember(nodeId: string): boolean {
    return nodeId !== OPERATOR && this.keys.has(nodeId);
  }

  verify(signer: string, digest: Uint8Array, signature: string): boolean {
    const key = this.keys.get(signer);
    if (!key || typeof signature !== 'string') return false;
    const bytes = Buffer.from(signature, 'base64');
    if (bytes.length !== 64) return false;
    try {
      return verifyEd25519(key, digest, bytes);
    } catch {
      return false;
    }
  }
}
