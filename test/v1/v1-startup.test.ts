// v1 contract for a brand-new user: the first requests right after a dev cluster reports it has started
// (as `dsv dev` prints its URL) must work — no startup window of 503s while membership settles.
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { v1 } from '../testing/v1-client.ts';
import { expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser } from '../testing/v1-fixture.ts';

describe('v1 right after start', () => {
  let started: TestCluster | undefined;
  // The node defaults (`dsv dev`): membership probes every second.
  before(async () => {
    started = await startTestCluster({ membershipIntervalMs: 1000 });
  });
  after(async () => {
    await started?.stop();
  });

  it('a write on every node immediately after the cluster started is 201, then readable everywhere', async () => {
    const urls = started?.urls ?? [];
    const user = uniqueUser('first');
    const created = await Promise.all(urls.map((url, i) => v1.create(url, user, `first-${i}`, `v${i}`)));
    created.forEach((response, i) =>
      expectResponse(response, 201, 'Secret created (version: 1)', `node ${i}`),
    );
    for (const [i, url] of urls.entries()) {
      expectResponse(
        await v1.read(url, user, `first-${(i + 1) % urls.length}`),
        200,
        `v${(i + 1) % urls.length}`,
      );
    }
  });
});
