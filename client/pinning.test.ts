// The pinned topology (VULN-2/VULN-3): a pin is checked for shape, and every holder list a server answers must be
// the placement computed here over the pinned node ids, each holder at its pinned URL whatever URL was answered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdersFor } from '../src/kernel/placement.ts';
import { checkPinnedTopology, pinnedNode, placedHolders } from './pinning.ts';
import type { Topology } from './wire.ts';

const topology: Topology = {
  clusterId: 'c1',
  sharing: { n: 3, k: 2, w: 2 },
  nodes: ['node-0', 'node-1', 'node-2', 'node-3'].map((nodeId, i) => ({
    nodeId,
    url: `https://vault-${i}.internal:8080`,
  })),
};
const key = { tenant: 'acme', namespace: 'app', name: 'db' };
const placement = holdersFor(
  key,
  topology.nodes.map((node) => node.nodeId),
  3,
);
const answered = placement.map((nodeId, index) => ({
  index,
  nodeId,
  url: `http://evil.test/${nodeId}`,
  commitment: `c${index}`,
}));
const refused = (run: () => unknown, code: string) =>
  assert.throws(run, (error: { code?: string }) => error.code === code);

describe('pinned topology', () => {
  it('a pin needs a cluster id, sharing with k, w ≤ n and at least n nodes with distinct ids and valid URLs', () => {
    assert.deepEqual(checkPinnedTopology(topology), topology);
    for (const bad of [
      { ...topology, clusterId: '' },
      { ...topology, sharing: undefined },
      { ...topology, sharing: { n: 3, k: 4, w: 2 } },
      { ...topology, sharing: { n: 3, k: 0, w: 2 } },
      { ...topology, nodes: topology.nodes.slice(0, 2) },
      { ...topology, nodes: [...topology.nodes, { nodeId: 'node-0', url: 'https://x' }] },
      { ...topology, nodes: [...topology.nodes, { nodeId: 'node-9', url: 'not a url' }] },
      { nodes: topology.nodes },
    ])
      refused(() => checkPinnedTopology(bad), 'DSV_INPUT_INVALID');
  });

  it('holders on the placement over the pinned ids are answered at their pinned URLs, other fields kept', () => {
    const holders = placedHolders(topology, key, [...answered].reverse());
    assert.deepEqual(
      holders,
      placement.map((nodeId, index) => ({
        index,
        nodeId,
        url: pinnedNode(topology, nodeId).url,
        commitment: `c${index}`,
      })),
    );
  });

  it('a node off the placement, one node for two indexes, a missing or extra index, an unpinned id: refused', () => {
    const [a, b, c] = answered as [(typeof answered)[0], (typeof answered)[0], (typeof answered)[0]];
    const outside = topology.nodes.find((node) => !placement.includes(node.nodeId))?.nodeId ?? '';
    for (const holders of [
      [{ ...a, nodeId: b.nodeId }, b, c], // one node, two shards
      [{ ...a, nodeId: b.nodeId }, { ...b, nodeId: a.nodeId }, c], // swapped indexes
      [{ ...a, nodeId: outside }, b, c], // a pinned node, but not this key's holder
      [{ ...a, nodeId: 'node-evil' }, b, c], // not pinned at all
      [a, b], // too few
      [a, b, c, { ...c, index: 3 }], // too many
      [a, b, { ...c, index: 1 }], // an index twice
    ])
      refused(() => placedHolders(topology, key, holders), 'DSV_INTERNAL');
    // Another tenant's placement is another key's: the same holders do not fit it unless it happens to agree.
    const other = { ...key, tenant: 'globex' };
    const fits = holdersFor(
      other,
      topology.nodes.map((node) => node.nodeId),
      3,
    ).every((nodeId, index) => placement[index] === nodeId);
    if (!fits) refused(() => placedHolders(topology, other, answered), 'DSV_INTERNAL');
  });

  it('an unpinned node id is refused; a pinned one answers its pinned URL', () => {
    assert.equal(pinnedNode(topology, 'node-2').url, 'https://vault-2.internal:8080');
    refused(() => pinnedNode(topology, 'node-9'), 'DSV_INTERNAL');
  });
});
