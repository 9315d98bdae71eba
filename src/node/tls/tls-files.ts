// Writing and loading a node's TLS files: keys are written 0600, and a node refuses to start when its CA,
// certificate or key is missing, unreadable, expired, not issued by the CA, or does not match (DESIGN §2).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DsvError } from '../../errors/index.ts';

export interface NodeTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCertFile?: string | undefined;
  readonly clientKeyFile?: string | undefined;
  readonly publicCertFile?: string | undefined;
  readonly publicKeyFile?: string | undefined;
}

/** What the peer server, the peer clients and (optionally) the public server are given. */
export interface NodeTlsMaterial {
  readonly peer: { readonly key: Buffer; readonly cert: Buffer; readonly ca: Buffer };
  /** What this node presents when it calls peers: its client certificate, or the server one (legacy). */
  readonly client: { readonly key: Buffer; readonly cert: Buffer; readonly ca: Buffer };
  readonly public?: { readonly key: Buffer; readonly cert: Buffer };
  /** The node id this certificate names (its CN): what peers see when this node calls them. */
  readonly identity: string;
  /** Things worth a warning that do not stop the node (a key file others can read). */
  readonly warnings: readonly string[];
}

/** A public file (certificate): 0644. */
export function writePublicFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o644, flag: 'wx' });
}

/** A private key or token: 0600, never overwriting an existing file (flag wx). */
export function writePrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600); // the umask cannot widen it, but make the intent explicit
}

function misconfigured(message: string, cause?: unknown): DsvError {
  return new DsvError(
    'DSV_INPUT_INVALID',
    `TLS misconfigured: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw misconfigured(`cannot read the ${what} ${path} (${code})`, error);
  }
}

function certificate(pem: Buffer, path: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw misconfigured(`the ${what} ${path} is not a PEM certificate`, error);
  }
}

function checkPair(
  certPem: Buffer,
  keyPem: Buffer,
  paths: { cert: string; key: string },
  ca?: X509Certificate,
) {
  const cert = certificate(certPem, paths.cert, 'certificate');
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (error) {
    throw misconfigured(`the key ${paths.key} is not a PEM private key`, error);
  }
  if (!matches) throw misconfigured(`the key ${paths.key} does not belong to the certificate ${paths.cert}`);
  const now = Date.now();
  if (Date.parse(cert.validTo) < now)
    throw misconfigured(`the certificate ${paths.cert} expired on ${cert.validTo}`);
  if (ca && !(cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    throw misconfigured(`the certificate ${paths.cert} was not issued by the cluster CA`);
  }
  return cert;
}

function loosePermissions(path: string): string | undefined {
  const mode = statSync(path).mode & 0o077;
  return mode === 0 ? undefined : `the key file ${path} is readable by others (chmod 600 it)`;
}

export function loadNodeTls(files: NodeTlsFiles): NodeTlsMaterial {
  const caPem = read(files.caFile, 'cluster CA certificate');
  const ca = certificate(caPem, files.caFile, 'cluster CA certificate');
  if (!ca.ca) throw misconfigured(`${files.caFile} is not a CA certificate`);
  const cert = read(files.certFile, 'node certificate');
  const key = read(files.keyFile, 'node key');
  const leaf = checkPair(cert, key, { cert: files.certFile, key: files.keyFile }, ca);
  const identity = /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1];
  if (!identity) throw misconfigured(`the certificate ${files.certFile} names no node (CN)`);
  const warnings = [loosePermissions(files.keyFile)];
  if ((files.publicCertFile === undefined) !== (files.publicKeyFile === undefined)) {
    throw misconfigured('publicCertFile and publicKeyFile go together');
  }
  if ((files.clientCertFile === undefined) !== (files.clientKeyFile === undefined)) {
    throw misconfigured('clientCertFile and clientKeyFile go together');
  }
  let client: NodeTlsMaterial['client'] = { key, cert, ca: caPem };
  if (files.clientCertFile !== undefined && files.clientKeyFile !== undefined) {
    const clientCert = read(files.clientCertFile, 'node client certificate');
    const clientKey = read(files.clientKeyFile, 'node client key');
    const clientLeaf = checkPair(
      clientCert,
      clientKey,
      { cert: files.clientCertFile, key: files.clientKeyFile },
      ca,
    );
    if (!clientLeaf.subject.split('\n').includes(`CN=${identity}`))
      throw misconfigured(
        `the client certificate ${files.clientCertFile} names another node than ${files.certFile}`,
      );
    warnings.push(loosePermissions(files.clientKeyFile));
    client = { key: clientKey, cert: clientCert, ca: caPem };
  }
  let publicTls: NodeTlsMaterial['public'];
  if (files.publicCertFile !== undefined && files.publicKeyFile !== undefined) {
    const publicCert = read(files.publicCertFile, 'public API certificate');
    const publicKey = read(files.publicKeyFile, 'public API key');
    checkPair(publicCert, publicKey, { cert: files.publicCertFile, key: files.publicKeyFile });
    warnings.push(loosePermissions(files.publicKeyFile));
    publicTls = { cert: publicCert, key: publicKey };
  }
  return {
    peer: { key, cert, ca: caPem },
    client,
    ...(publicTls ? { public: publicTls } : {}),
    identity,
    warnings: warnings.filter((warning) => warning !== undefined),
  };
}
