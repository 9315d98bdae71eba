// The log record envelope (trust-boundaries design §2): authenticated by its signer, sealed for the cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createClusterIdentity,
  loadOperatorKey,
  loadTrustMaterial,
  OPERATOR,
  RecordOpener,
  sealRecord,
  type TrustMaterial,
} from './index.ts';

const dirs: string[] = [];
function cluster(nodes = 3): { trust: (i: number) => TrustMaterial; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-trust-'));
  dirs.push(dir);
  const ids = Array.from({ length: nodes }, (_, i) => `node-${i}`);
  createClusterIdentity({ dir, nodeDirs: new Map(ids.map((id) => [id, join(dir, id)])) });
  return { dir, trust: (i) => loadTrustMaterial(join(dir, `node-${i}`)) };
}
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const body = { type: 'tenant-create', tenant: 'acme-corp-secret-name', time: 1 };

describe('record envelope', () => {
  const { trust, dir } = cluster();
  const node0 = trust(0);
  const signer = { signer: 'node-0', privateKey: node0.identity.signingKey };
  const opener = new RecordOpener(trust(1).manifest, trust(1).logKey);

  it('I-L5: a member-signed record opens on another member with its signer and body', () => {
    const opened = opener.open(3, sealRecord(signer, node0.manifest, node0.logKey, 3, body));
    assert.deepEqual(opened, { ok: true, signer: 'node-0', body });
  });

  it('I-L5: one flipped bit anywhere, a foreign key, or a claimed signer that did not sign is refused', () => {
    const sealed = sealRecord(signer, node0.manifest, node0.logKey, 3, body);
    for (let i = 0; i < sealed.length; i += 7) {
      const tampered = sealed.slice();
      tampered[i] = (tampered[i] ?? 0) ^ 1;
      assert.equal(opener.open(3, tampered).ok, false, `bit flip at byte ${i}`);
    }
    const stranger = cluster(1).trust(0);
    const foreign = sealRecord(
      { signer: 'node-0', privateKey: stranger.identity.signingKey },
      node0.manifest,
      node0.logKey,
      3,
      body,
    );
    assert.deepEqual(opener.open(3, foreign), { ok: false, reason: 'bad-signature' });
    const unknown = sealRecord(
      { signer: 'node-9', privateKey: node0.identity.signingKey },
      node0.manifest,
      node0.logKey,
      3,
      body,
    );
    assert.deepEqual(opener.open(3, unknown), { ok: false, reason: 'unknown-signer' });
    const plain = new TextEncoder().encode(JSON.stringify(body));
    assert.deepEqual(opener.open(3, plain), { ok: false, reason: 'not-an-envelope' });
  });

  it('a record of a later envelope format is named as such, not as garbage (issue #13: upgrade the node)', () => {
    const sealed = sealRecord(signer, node0.manifest, node0.logKey, 3, body);
    const later = Uint8Array.from(sealed);
    later[3] = '3'.charCodeAt(0);
    assert.deepEqual(opener.open(3, later), { ok: false, reason: 'newer-format' });
    const earlier = Uint8Array.from(sealed);
    earlier[3] = '1'.charCodeAt(0);
    assert.deepEqual(opener.open(3, earlier), { ok: false, reason: 'not-an-envelope' });
  });

  it('I-L5: a record moved to another partition or another cluster does not open', () => {
    const sealed = sealRecord(signer, node0.manifest, node0.logKey, 3, body);
    assert.equal(opener.open(4, sealed).ok, false);
    const other = cluster().trust(1);
    assert.equal(new RecordOpener(other.manifest, other.logKey).open(3, sealed).ok, false);
  });

  it('I-L7: the body is sealed: no name in the record bytes; the operator key signs as the operator', () => {
    const sealed = sealRecord(signer, node0.manifest, node0.logKey, 3, body);
    assert.equal(Buffer.from(sealed).includes('acme-corp-secret-name'), false);
    const byOperator = sealRecord(
      { signer: OPERATOR, privateKey: loadOperatorKey(dir) },
      node0.manifest,
      node0.logKey,
      0,
      body,
    );
    assert.deepEqual(opener.open(0, byOperator), { ok: true, signer: OPERATOR, body });
  });
});
