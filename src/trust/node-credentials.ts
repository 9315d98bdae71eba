// Per-audience client credentials (trust-boundaries design §5, I-G3): a token T is turned into one
// credential per node, so a node that sees its own credential cannot replay it at another node.
// A leaf (node builtins only): the client library (client/) imports it to derive the credentials itself.
import { createHash, createHmac } from 'node:crypto';

const DOMAIN = 'dsv/node-credential/v1';

/** cred_j = HMAC-SHA256(T, domain ‖ clusterId ‖ nodeId), base64url. */
export function nodeCredential(token: string, clusterId: string, nodeId: string): string {
  return createHmac('sha256', token).update(`${DOMAIN}\u0000${clusterId}\u0000${nodeId}`).digest('base64url');
}

/** What a token-create record stores for node j: SHA-256 of cred_j (hex), never the credential. */
export const credentialVerifier = (credential: string): string =>
  createHash('sha256').update(credential).digest('hex');

export function tokenVerifiers(
  token: string,
  clusterId: string,
  nodeIds: readonly string[],
): Record<string, string> {
  return Object.fromEntries(
    nodeIds.map((nodeId) => [nodeId, credentialVerifier(nodeCredential(token, clusterId, nodeId))]),
  );
}

/** What a coordinator sends a peer on a client's behalf: that peer's credential, or the dev anonymous claim. */
export type ForwardedCredential =
  { readonly kind: 'token'; readonly credential: string } | { readonly kind: 'anonymous' };
