// The control view's token rules that no caller can bypass (issue #8): children are capped by their creator.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import type { ControlEntry } from './control-entry.ts';
import { ControlStore } from './control-store.ts';

const authority = { rid: 'r', endorsements: [] };
const token = (accessor: string, creator: string | null, expiresAt: number | null): ControlEntry => ({
  type: 'token-create',
  accessor,
  verifiers: { 'node-0': accessor.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a') },
  creator,
  tenant: 'acme',
  policies: [],
  displayName: '',
  expiresAt,
  time: 1,
  ...authority,
});

describe('control store tokens', () => {
  it('I-T5: a child never outlives its creator, and revoking the creator revokes its whole tree', () => {
    const store = new ControlStore(new DatabaseSync(':memory:'), 'node-0');
    store.apply({ type: 'tenant-create', tenant: 'acme', time: 1, ...authority });
    store.apply(token('a1', null, 1_000));
    store.apply(token('b2', 'a1', null));
    store.apply(token('c3', 'b2', 5_000));
    assert.equal(store.tokenByAccessor('b2')?.expiresAt, 1_000);
    assert.equal(store.tokenByAccessor('c3')?.expiresAt, 1_000);
    assert.equal(store.tokenByAccessor('c3')?.creator, 'b2');
    store.apply({ type: 'token-revoke', accessor: 'a1', time: 2, ...authority });
    for (const accessor of ['a1', 'b2', 'c3'])
      assert.equal(store.tokenByAccessor(accessor)?.revokedAt, 2, accessor);
    store.apply(token('d4', 'b2', null));
    assert.equal(store.tokenByAccessor('d4'), undefined, 'a revoked creator creates nothing');
  });

  it('I-G3: a token record is kept with this node’s own verifier, and only if it names this node', () => {
    const store = new ControlStore(new DatabaseSync(':memory:'), 'node-1');
    store.apply({ type: 'tenant-create', tenant: 'acme', time: 1, ...authority });
    store.apply(token('e5', null, null));
    assert.equal(store.tokenByAccessor('e5'), undefined);
  });
});
