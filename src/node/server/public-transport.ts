// Production default (issue 11): the public API serves plain HTTP only on loopback, or when the operator says
// so explicitly (`dsv server --insecure-http`, node config `publicInsecureHttp: true`, e.g. behind a
// TLS-terminating proxy). Anywhere else a node needs its public certificate (`dsv cluster init --public-tls`).
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x) and `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}

export interface PublicTransport {
  readonly publicListen: { readonly host: string; readonly port: number };
  readonly tls?: { readonly publicCertFile?: string | undefined } | undefined;
  readonly publicInsecureHttp?: boolean | undefined;
}

/** Why this node must not start as configured, in one line; undefined when its public transport is fine. */
export function plainHttpRefusal(config: PublicTransport, insecureHttpFlag = false): string | undefined {
  if (config.tls?.publicCertFile !== undefined) return undefined; // HTTPS
  if (isLoopbackHost(config.publicListen.host)) return undefined;
  if (insecureHttpFlag || config.publicInsecureHttp === true) return undefined;
  const { host, port } = config.publicListen;
  return (
    `refusing to serve the public API over plain HTTP on ${host}:${port} (not loopback): ` +
    `give the node a certificate (dsv cluster init --public-tls), bind 127.0.0.1, or, behind a TLS proxy, ` +
    `pass --insecure-http (node config "publicInsecureHttp": true)`
  );
}
