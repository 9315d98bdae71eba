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
  app.addHook('onRequest', async (request) => {
    const socket = request.raw.socket as Partial<TLSSocket>;
    const certificate = socket.authorized === true ? socket.getPeerCertificate?.() : undefined;
    const name: unknown = certificate?.subject?.CN;
    if (typeof name !== 'string' || !memberIds.has(name)) throw new DsvError('DSV_PEER_REJECTED');
    // I-G4: a certificate issued for serving only (no clientAuth) does not call peers.
    const usages = (certificate as { ext_key_usage?: string[] } | undefined)?.ext_key_usage;
    if (usages !== undefined && !usages.includes(CLIENT_AUTH)) throw new DsvError('DSV_PEER_REJECTED');
    // I-G4: the certificate must name the very node the call claims to come from.
    if (request.headers['x-dsv-peer-node'] !== name) throw new DsvError('DSV_PEER_REJECTED');
  });
}
