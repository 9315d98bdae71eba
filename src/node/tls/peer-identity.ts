// Peer identity on top of mutual TLS: a peer call is served only when the TLS layer verified the client's
// certificate against the cluster CA and that certificate names a member of the cluster (I-G1).
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { DsvError } from '../../errors/index.ts';

/** The OID of the clientAuth extended key usage. */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * Adds an onRequest hook to the peer server. The handshake (requestCert + rejectUnauthorized + ca) already
 * refuses callers without a CA-signed certificate; this also refuses a CA-signed certificate that names no
 * member (a retired node, a certificate issued for something else), and runs beside the peer-token check.
 */
export function requireMemberCertificate(app: FastifyInstance, memberIds: ReadonlySet<string>): void {
  // The peer server speaks TLS 1.3 only (no renegotiation): a connection's verified certificate never changes,
  // so it is read once per connection, not parsed again on every call (issue #10).
  const identities = new WeakMap<object, CertificateIdentity | null>();
  app.addHook('onRequest', async (request) => {
    const socket = request.raw.socket as Partial<TLSSocket>;
    let identity = identities.get(socket);
    if (identity === undefined) {
      identity = socket.authorized === true ? identityOf(socket.getPeerCertificate?.()) : null;
      identities.set(socket, identity);
    }
    if (identity === null || !memberIds.has(identity.name)) throw new DsvError('DSV_PEER_REJECTED');
    // I-G4: a certificate issued for serving only (no clientAuth) does not call peers.
    if (identity.usages !== undefined && !identity.usages.includes(CLIENT_AUTH))
      throw new DsvError('DSV_PEER_REJECTED');
    // I-G4: the certificate must name the very node the call claims to come from.
    if (request.headers['x-dsv-peer-node'] !== identity.name) throw new DsvError('DSV_PEER_REJECTED');
  });
}

interface CertificateIdentity {
  readonly name: string;
  readonly usages: readonly string[] | undefined;
}

/** The subject CN and extended key usages of a verified certificate; null when it names nothing. */
function identityOf(
  certificate: ReturnType<TLSSocket['getPeerCertificate']> | undefined,
): CertificateIdentity | null {
  const name: unknown = certificate?.subject?.CN;
  if (typeof name !== 'string') return null;
  const usages = (certificate as { ext_key_usage?: string[] } | undefined)?.ext_key_usage;
  return { name, usages: usages === undefined ? undefined : [...usages] };
}
