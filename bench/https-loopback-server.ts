// The peer-call baseline: a minimal node:https server on loopback with mutual TLS (certificates from the same
// CA code `dsv cluster init` uses), answering a tiny GET — the cost of one round trip like a peer call's.
import { createServer } from 'node:https';
import { createClusterCa, issueNodeCertificate } from '../src/node/tls/index.ts';
import type { ClientTls } from './workload.ts';

export interface HttpsLoopbackServer {
  readonly url: string;
  /** What a client presents and trusts: the CA, and a client certificate the server requires. */
  readonly clientTls: ClientTls;
  close(): Promise<void>;
}

export async function startHttpsLoopbackServer(): Promise<HttpsLoopbackServer> {
  const ca = await createClusterCa('bench');
  const server = await issueNodeCertificate(ca, 'bench-server');
  const client = await issueNodeCertificate(ca, 'bench-client');
  // As the peer API: only clients with a certificate the CA signed get past the handshake.
  const https = createServer(
    { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '2' });
      response.end('ok');
    },
  );
  https.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(0, '127.0.0.1', () => resolve());
  });
  const address = https.address();
  if (typeof address !== 'object' || !address) throw new Error('https loopback server has no address');
  return {
    url: `https://127.0.0.1:${address.port}`,
    clientTls: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
    close: async () => {
      https.closeAllConnections();
      await new Promise<void>((resolve) => https.close(() => resolve()));
    },
  };
}
