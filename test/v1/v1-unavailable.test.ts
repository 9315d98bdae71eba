// v1 contract when nodes are down (API-V1.md 503s, DESIGN §6–§7, §11): with n=3, k=2, W=2 one node down is
// invisible to clients; two down is a stable 503 with the contract's message, and nothing is lost.
import { describe, it } from 'node:test';
import { v1 } from '../testing/v1-client.ts';
import { expectError, expectErrorShape, expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser, useV1Cluster, waitForMembership } from '../testing/v1-fixture.ts';

describe('v1 with nodes down', () => {
  const cluster = useV1Cluster();

  it('one node down: create, read, update, /all and delete still work through the others', async () => {
    const user = uniqueUser('one-down');
    const { cluster: dev } = cluster.started;
    await v1.create(cluster.node(0), user, 'before', 'b1');
    await dev.stopNode('node-2');
    try {
      expectResponse(await v1.read(cluster.node(0), user, 'before'), 200, 'b1');
      expectResponse(
        await v1.create(cluster.node(1), user, 'during', 'd1'),
        201,
        'Secret created (version: 1)',
      );
      expectResponse(
        await v1.update(cluster.node(0), user, 'before', 'b2'),
        200,
        'Secret updated (version: 2)',
      );
      expectResponse(await v1.readAll(cluster.node(1), user, 'before'), 200, '{"1":"b1","2":"b2"}');
      expectResponse(await v1.remove(cluster.node(0), user, 'during'), 204, '');
    } finally {
      await dev.startNode('node-2');
      await waitForMembership(cluster.urls);
    }
    expectResponse(await v1.read(cluster.node(2), user, 'before'), 200, 'b2');
    expectError(await v1.read(cluster.node(2), user, 'during'), 404, 'Secret not found');
  });

  it('two nodes down: reads are 503 Insufficient secret parts to reconstruct, writes 503; back up → intact', async () => {
    const user = uniqueUser('two-down');
    const { cluster: dev } = cluster.started;
    await v1.create(cluster.node(0), user, 'k', 'kept');
    await dev.stopNode('node-1');
    await dev.stopNode('node-2');
    try {
      const message = 'Insufficient secret parts to reconstruct';
      expectError(await v1.read(cluster.node(0), user, 'k'), 503, message);
      expectError(await v1.read(cluster.node(0), user, 'k', 1), 503, message);
      expectError(await v1.readAll(cluster.node(0), user, 'k'), 503, message);
      // Missing stays 404: the version is resolved from the view before any shard is fetched (DESIGN §7).
      expectError(await v1.read(cluster.node(0), user, 'nope'), 404, 'Secret not found');
      expectErrorShape(await v1.create(cluster.node(0), user, 'new', 'x'), 503);
      expectErrorShape(await v1.update(cluster.node(0), user, 'k', 'changed'), 503);
    } finally {
      await dev.startNode('node-1');
      await dev.startNode('node-2');
      await waitForMembership(cluster.urls);
    }
    for (let i = 0; i < 3; i++)
      expectResponse(await v1.readAll(cluster.node(i), user, 'k'), 200, '{"1":"kept"}');
    expectError(await v1.read(cluster.node(1), user, 'new'), 404, 'Secret not found');
  });

  it('DESIGN §6, §11: a DELETE answered 503 (two nodes down) has not deleted the secret', async () => {
    const user = uniqueUser('delete-503');
    const { cluster: dev } = cluster.started;
    await v1.create(cluster.node(0), user, 'k', 'kept');
    await dev.stopNode('node-1');
    await dev.stopNode('node-2');
    try {
      expectErrorShape(await v1.remove(cluster.node(0), user, 'k'), 503);
      // Still there, only unreadable: a 503 must not have changed anything.
      expectError(await v1.read(cluster.node(0), user, 'k'), 503, 'Insufficient secret parts to reconstruct');
    } finally {
      await dev.startNode('node-1');
      await dev.startNode('node-2');
      await waitForMembership(cluster.urls);
    }
    for (let i = 0; i < 3; i++)
      expectResponse(await v1.readAll(cluster.node(i), user, 'k'), 200, '{"1":"kept"}');
  });
});
