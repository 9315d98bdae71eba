// Loading a node's TLS files: a node refuses to start on a foreign, mismatched or unreadable certificate.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClusterCa, issueNodeCertificate } from './cluster-ca.ts';
import { loadNodeTls, writePrivateFile, writePublicFile } from './tls-files.ts';

describe('node TLS files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-tls-'));
  const at = (name: string) => join(dir, name);
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    const ca = await createClusterCa();
    const other = await createClusterCa();
    const node = await issueNodeCertificate(ca, 'node-0');
    const second = await issueNodeCertificate(ca, 'node-1');
    const foreign = await issueNodeCertificate(other, 'node-0');
    writePublicFile(at('ca.crt'), ca.certPem);
    writePublicFile(at('node.crt'), node.certPem);
    writePrivateFile(at('node.key'), node.keyPem);
    writePrivateFile(at('second.key'), second.keyPem);
    writePublicFile(at('foreign.crt'), foreign.certPem);
    writePrivateFile(at('foreign.key'), foreign.keyPem);
  });

  const files = { caFile: at('ca.crt'), certFile: at('node.crt'), keyFile: at('node.key') };

  it('keys are written 0600 and never overwritten', () => {
    assert.equal(statSync(at('node.key')).mode & 0o777, 0o600);
    assert.throws(() => writePrivateFile(at('node.key'), 'x'), /EEXIST/);
  });

  it('loads a CA-issued certificate with its key and names the node', () => {
    const tls = loadNodeTls(files);
    assert.equal(tls.identity, 'node-0');
    assert.deepEqual(tls.warnings, []);
    assert.equal(tls.public, undefined);
  });

  it('refuses a certificate from another CA', () => {
    assert.throws(
      () => loadNodeTls({ ...files, certFile: at('foreign.crt'), keyFile: at('foreign.key') }),
      (error: Error & { code?: string }) =>
        error.code === 'DSV_INPUT_INVALID' && /not issued by the cluster CA/.test(error.message),
    );
  });

  it('refuses a key that does not belong to the certificate, without echoing key material', () => {
    assert.throws(
      () => loadNodeTls({ ...files, keyFile: at('second.key') }),
      (error: Error) => /does not belong/.test(error.message) && !error.message.includes('PRIVATE KEY'),
    );
  });

  it('refuses missing files and a non-CA as the CA, naming the file', () => {
    assert.throws(() => loadNodeTls({ ...files, caFile: at('missing.crt') }), /missing\.crt \(ENOENT\)/);
    assert.throws(() => loadNodeTls({ ...files, caFile: at('node.crt') }), /not a CA certificate/);
    assert.throws(() => loadNodeTls({ ...files, publicCertFile: at('node.crt') }), /go together/);
  });

  it('warns when the key file is readable by others', () => {
    chmodSync(at('node.key'), 0o644);
    try {
      assert.match(loadNodeTls(files).warnings.join(), /readable by others/);
    } finally {
      chmodSync(at('node.key'), 0o600);
    }
  });
});
