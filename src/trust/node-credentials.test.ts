// Per-audience client credentials (trust-boundaries design §5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialVerifier, nodeCredential, tokenVerifiers } from './index.ts';

describe('node credentials', () => {
  it('I-G3: the credential derived for one node verifies there and nowhere else, and reveals no token', () => {
    const token = `dsv.${'x'.repeat(43)}`;
    const verifiers = tokenVerifiers(token, 'cluster-a', ['node-0', 'node-1', 'node-2']);
    const forNode1 = nodeCredential(token, 'cluster-a', 'node-1');
    assert.equal(credentialVerifier(forNode1), verifiers['node-1']);
    assert.notEqual(credentialVerifier(forNode1), verifiers['node-0']);
    assert.notEqual(credentialVerifier(forNode1), verifiers['node-2']);
    assert.notEqual(nodeCredential(token, 'cluster-b', 'node-1'), forNode1, 'bound to the cluster');
    assert.equal(forNode1.includes(token.slice(4)), false);
    assert.equal(new Set(Object.values(verifiers)).size, 3);
  });
});
