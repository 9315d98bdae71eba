// Issue #11: a read racing a delete on a healthy cluster answers the value or 404 — never 503
// DSV_INSUFFICIENT_SHARDS. The race is made certain: node-0's shard reads to its peers are held back
// while a delete through node-1 commits and destroys the shards the read had resolved.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { slowReadsFrom } from '../testing/slow-reads.ts';
import { v1 } from '../testing/v1-client.ts';

describe('a read racing a delete', () => {
  let test: TestCluster;
  const hold = { on: false };
  before(async () => {
    test = await startTestCluster({ nodes: 3, wrapPeer: slowReadsFrom('node-0', hold) });
  });
  after(async () => {
    await test?.stop();
  });

  it('answers 404 (or the value), never 503, when the delete commits under the read', async () => {
    for (let round = 0; round < 3; round++) {
      const name = `racy-${round}`;
      assert.equal((await v1.create(test.urls[1] ?? '', 'race', name, `value-${round}`)).status, 201);
      hold.on = true;
      const read = v1.read(test.urls[0] ?? '', 'race', name);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await v1.remove(test.urls[1] ?? '', 'race', name)).status, 204);
      const answer = await read;
      hold.on = false;
      assert.ok(
        answer.status === 404 || (answer.status === 200 && answer.body === `value-${round}`),
        `${answer.status} ${answer.body}`,
      );
    }
  });
});
