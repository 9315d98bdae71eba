// The cluster CA and node certificates (DESIGN §2 "node-to-node security"): ECDSA P-256, created by
// `dsv cluster init`, with @peculiar/x509 over Node's webcrypto. Keys leave this file only as PKCS#8 PEM.
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs the Reflect polyfill first
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const NODE_VALIDITY_DAYS = 730;
/** Every node certificate names these, so loopback clusters and local tools verify without extra names. */
export const DEFAULT_SUBJECT_NAMES: readonly string[] = ['127.0.0.1', 'localhost'];

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClusterCa extends PemPair {
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

/** Positive 128-bit serial (RFC 5280 §4.1.2.2: unique per CA, at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** Starts an hour in the past so a peer whose clock lags a little still accepts a fresh certificate. */
function validity(days: number, now = Date.now()): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - 60 * 60 * 1000), notAfter: new Date(now + days * DAY_MS) };
}

export async function createClusterCa(clusterName = 'dsv'): Promise<ClusterCa> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=DSV cluster CA (${clusterName.replaceAll(/[,=+<>#;"\\]/g, '_')})`,
    ...validity(CA_VALIDITY_DAYS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      // pathLen 0: the CA signs node certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert,
    privateKey: keys.privateKey,
    certPem: cert.toString('pem'),
    keyPem: await keyPem(keys.privateKey),
  };
}

/** Loads a CA written by createClusterCa (to issue certificates for nodes added later). */
export async function loadClusterCa(certPem: string, caKeyPem: string): Promise<ClusterCa> {
  const cert = new x509.X509Certificate(certPem);
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(caKeyPem),
    ALGORITHM,
    true,
    ['sign'],
  );
  return { cert, privateKey, certPem, keyPem: caKeyPem };
}

/** What a node certificate may be used for: serving (peer and public API), calling peers, or both (legacy). */
export type CertificateUsage = 'server' | 'client';

/**
 * A node certificate: CN = node id, SANs = loopback names plus `names` (IP or DNS). `dsv cluster init` issues
 * two per node (I-G4): a server certificate (serverAuth) for its listeners and a client certificate
 * (clientAuth) for its calls, so a key taken from one role cannot be used in the other.
 */
export async function issueNodeCertificate(
  ca: ClusterCa,
  nodeId: string,
  names: readonly string[] = [],
  usages: readonly CertificateUsage[] = ['server', 'client'],
): Promise<PemPair> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const unique = [...new Set([...DEFAULT_SUBJECT_NAMES, ...names])];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${nodeId.replaceAll(/[,=+<>#;"\\]/g, '_')}`,
    issuer: ca.cert.subject,
    ...validity(NODE_VALIDITY_DAYS),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        usages.map((usage) =>
          usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ),
      ),
      new x509.SubjectAlternativeNameExtension(
        unique.map((name) => ({ type: isIP(name) === 0 ? 'dns' : 'ip', value: name })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}
