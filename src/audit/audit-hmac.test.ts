// pathHmac under per-tenant keys from the node audit secret; the trail carries no names, values or tokens.
import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AUDIT_KEY_FILE,
  AuditPathHasher,
  encodePath,
  JsonlAuditSink,
  loadOrCreateAuditSecret,
  readAuditSecret,
} from './index.ts';
import { firstSegment, sampleInput, tempAuditDir } from './testing/audit-fixtures.ts';

describe('audit path HMAC', () => {
  it('I-A3: the same path of two tenants gives unrelated HMACs; the same tenant gives a stable one', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const secret = await loadOrCreateAuditSecret(dir);
      const hasher = new AuditPathHasher(secret);
      const acme = hasher.pathHmac('acme', 'prod', 'db/password');
      assert.match(acme, /^[0-9a-f]{64}$/);
      assert.notEqual(acme, hasher.pathHmac('globex', 'prod', 'db/password'));
      assert.equal(
        acme,
        new AuditPathHasher(await loadOrCreateAuditSecret(dir)).pathHmac('acme', 'prod', 'db/password'),
      );
      assert.notEqual(acme, new AuditPathHasher(Buffer.alloc(32, 7)).pathHmac('acme', 'prod', 'db/password'));
      assert.notEqual(hasher.tenantKeyHex('acme'), hasher.tenantKeyHex('globex'));
    } finally {
      await dispose();
    }
  });

  it('the length-prefixed encoding never lets two (namespace, name) pairs collide (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (ns1, n1, ns2, n2) => {
        fc.pre(ns1 !== ns2 || n1 !== n2);
        fc.pre([ns1, n1, ns2, n2].every((s) => s.isWellFormed()));
        assert.notDeepEqual(encodePath(ns1, n1), encodePath(ns2, n2));
      }),
    );
    const hasher = new AuditPathHasher(Buffer.alloc(32, 1));
    assert.notEqual(hasher.pathHmac('t', 'a/b', 'c'), hasher.pathHmac('t', 'a', 'b/c'));
    assert.throws(() => hasher.pathHmac('t', 'ns', 'bad\ud800'), { code: 'DSV_INPUT_INVALID' });
  });

  it('the node audit secret is created once, 0600, and refused when others can read it', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const [a, b] = await Promise.all([loadOrCreateAuditSecret(dir), loadOrCreateAuditSecret(dir)]);
      assert.deepEqual(a, b);
      const path = join(dir, AUDIT_KEY_FILE);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.deepEqual(await readAuditSecret(dir), a);
      await chmod(path, 0o644);
      await assert.rejects(readAuditSecret(dir), { code: 'DSV_AUDIT_UNAVAILABLE' });
      await chmod(path, 0o600);
      await writeFile(path, 'not a key\n', { mode: 0o600 });
      await assert.rejects(readAuditSecret(dir), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'DSV_AUDIT_UNAVAILABLE');
        assert.doesNotMatch((error as Error).message, /not a key/, 'the message never quotes key material');
        return true;
      });
    } finally {
      await dispose();
    }
  });

  it('I-A3: a trail written with path HMACs holds no names, values or tokens', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const hasher = new AuditPathHasher(await loadOrCreateAuditSecret(dir));
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      const names = ['db-password-name', 'stripe-api-key-name'];
      for (const [i, name] of names.entries()) {
        await sink.append(sampleInput(i, { pathHmac: hasher.pathHmac('acme', 'prod-namespace', name) }));
      }
      await sink.close();
      const text = await readFile(firstSegment(dir), 'utf8');
      for (const needle of [...names, 'prod-namespace', 'db-password', 'stripe']) {
        assert.ok(!text.includes(needle), `the trail mentions ${needle}`);
      }
      // An auditor holding the key can answer "was db-password-name touched?"
      assert.ok(text.includes(hasher.pathHmac('acme', 'prod-namespace', 'db-password-name')));
    } finally {
      await dispose();
    }
  });
});
