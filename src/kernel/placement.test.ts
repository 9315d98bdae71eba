// Placement is remembered per secret: the memo must answer exactly what rendezvous hashing answers, for
// names that differ only around characters a naive separator would confuse (NUL, '/', ':').
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { holdersFor, secretId } from './placement.ts';

const nodes = ['node-0', 'node-1', 'node-2', 'node-3', 'node-4'];

/** Rendezvous hashing written out again, independently of the memo. */
function expected(key: { tenant: string; namespace: string; name: string }, n: number): string[] {
  const id = secretId(key);
  return nodes
    .map((node) => ({ node, weight: createHash('sha256').update(id).update(node, 'utf8').digest('hex') }))
    .sort((a, b) => b.weight.localeCompare(a.weight))
    .slice(0, n)
    .map(({ node }) => node);
}

describe('holdersFor (remembered placement)', () => {
  it('answers what rendezvous hashing answers, for keys a separator would collide', () => {
    const keys = [
      { tenant: 't', namespace: 'a\u0000b', name: 'c' },
      { tenant: 't', namespace: 'a', name: 'b\u0000c' },
      { tenant: 't\u0000a', namespace: 'b', name: 'c' },
      { tenant: 't', namespace: 'a/b', name: 'c' },
      { tenant: 't', namespace: 'a', name: 'b/c' },
      { tenant: 't', namespace: 'a:b', name: 'c' },
    ];
    for (let round = 0; round < 2; round++) {
      for (const key of keys) {
        assert.deepEqual(holdersFor(key, nodes, 3), expected(key, 3), JSON.stringify(key));
        assert.deepEqual(holdersFor(key, nodes, 2), expected(key, 2), JSON.stringify(key));
      }
    }
  });

  it('hands out a copy: a caller changing its array changes no later answer', () => {
    const key = { tenant: 't', namespace: 'n', name: 'x' };
    const first = holdersFor(key, nodes, 3);
    first.reverse();
    assert.deepEqual(holdersFor(key, nodes, 3), expected(key, 3));
  });
});
