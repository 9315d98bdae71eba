// The cluster CA and node certificates: what a TLS peer checks (issuer, SANs, key usages, validity).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { createClusterCa, issueNodeCertificate, loadClusterCa } from './cluster-ca.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('cluster CA', () => {
  it('is a P-256 CA valid for ten years that may sign only leaf certificates', async () => {
    const ca = new X509Certificate((await createClusterCa('prod')).certPem);
    assert.equal(ca.ca, true);
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const years = (Date.parse(ca.validTo) - Date.now()) / (365 * DAY);
    assert.ok(years > 9.9 && years < 10.1, `valid for ${years} years`);
    assert.match(ca.subject, /DSV cluster CA \(prod\)/);
  });

  it('issues node certificates: CN = node id, loopback + given SANs, server and client auth, 2 years', async () => {
    const ca = await createClusterCa();
    const leaf = await issueNodeCertificate(ca, 'node-1', ['vault-1.internal', '10.0.0.7']);
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.ca, false);
    assert.match(cert.subject, /^CN=node-1$/m);
    assert.equal(
      cert.subjectAltName,
      'IP Address:127.0.0.1, DNS:localhost, DNS:vault-1.internal, IP Address:10.0.0.7',
    );
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
    const years = (Date.parse(cert.validTo) - Date.now()) / (365 * DAY);
    assert.ok(years > 1.9 && years < 2.1);
    assert.ok(Date.parse(cert.validFrom) < Date.now(), 'valid already for peers whose clock lags a little');
    assert.match(leaf.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  });

  it('a CA loaded from its PEM files issues certificates the same CA verifies', async () => {
    const ca = await createClusterCa();
    const loaded = await loadClusterCa(ca.certPem, ca.keyPem);
    const cert = new X509Certificate((await issueNodeCertificate(loaded, 'node-5')).certPem);
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
  });

  it('another CA does not verify a node certificate it did not issue', async () => {
    const [ours, theirs] = await Promise.all([createClusterCa(), createClusterCa()]);
    const cert = new X509Certificate((await issueNodeCertificate(theirs, 'node-0')).certPem);
    assert.equal(cert.verify(new X509Certificate(ours.certPem).publicKey), false);
  });
});
