// v1 contract end to end (API-V1.md): the secret lifecycle through different nodes of a real 3-node dev
// cluster, namespace isolation, health and cluster status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v1 } from '../testing/v1-client.ts';
import { allVersionsBody, expectError, expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser, useV1Cluster } from '../testing/v1-fixture.ts';

const NOT_FOUND = 'Secret not found';

describe('v1 secrets: lifecycle through different nodes', () => {
  const cluster = useV1Cluster();

  it('create on node 0, read-your-writes on nodes 1 and 2, update on node 2, versions and /all', async () => {
    const user = uniqueUser('life');
    const [n0, n1, n2] = [cluster.node(0), cluster.node(1), cluster.node(2)];
    expectResponse(await v1.create(n0, user, 'db', 'old'), 201, 'Secret created (version: 1)');
    expectResponse(await v1.read(n1, user, 'db'), 200, 'old');
    expectResponse(await v1.read(n2, user, 'db'), 200, 'old');
    expectResponse(await v1.update(n2, user, 'db', 'new'), 200, 'Secret updated (version: 2)');
    expectResponse(await v1.read(n0, user, 'db', 1), 200, 'old');
    expectResponse(await v1.read(n1, user, 'db', 2), 200, 'new');
    expectResponse(await v1.read(n0, user, 'db'), 200, 'new');
    expectResponse(await v1.readAll(n1, user, 'db'), 200, '{"1":"old","2":"new"}');
  });

  it('success bodies are raw text, /all is a JSON object, errors are JSON', async () => {
    const user = uniqueUser('types');
    const base = cluster.node(0);
    await v1.create(base, user, 'k', '"quoted"');
    const read = await fetch(`${base}/api/v1/secrets/k?user=${user}`);
    assert.match(read.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await read.text(), '"quoted"');
    const all = await fetch(`${base}/api/v1/secrets/k/all?user=${user}`);
    assert.match(all.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(await all.text(), '{"1":"\\"quoted\\""}');
    const missing = await fetch(`${base}/api/v1/secrets/none?user=${user}`);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(missing.headers.get('x-dsv-error-code'), 'DSV_SECRET_NOT_FOUND');
  });

  it('delete answers 204 with an empty body; afterwards every node and every version is 404', async () => {
    const user = uniqueUser('del');
    await v1.create(cluster.node(0), user, 'gone', 'v1');
    await v1.update(cluster.node(1), user, 'gone', 'v2');
    expectResponse(await v1.remove(cluster.node(2), user, 'gone'), 204, '');
    for (let i = 0; i < 3; i++) {
      expectError(await v1.read(cluster.node(i), user, 'gone'), 404, NOT_FOUND);
      expectError(await v1.read(cluster.node(i), user, 'gone', 1), 404, NOT_FOUND);
      expectError(await v1.readAll(cluster.node(i), user, 'gone'), 404, NOT_FOUND);
    }
    expectError(await v1.update(cluster.node(0), user, 'gone', 'v3'), 404, NOT_FOUND);
    expectError(await v1.remove(cluster.node(1), user, 'gone'), 404, NOT_FOUND);
  });

  it('DESIGN §5: a re-create after delete starts again at version 1 with no old versions', async () => {
    const user = uniqueUser('recreate');
    await v1.create(cluster.node(0), user, 'k', 'a');
    await v1.update(cluster.node(0), user, 'k', 'b');
    expectResponse(await v1.remove(cluster.node(1), user, 'k'), 204, '');
    expectResponse(await v1.create(cluster.node(2), user, 'k', 'c'), 201, 'Secret created (version: 1)');
    expectResponse(await v1.readAll(cluster.node(0), user, 'k'), 200, '{"1":"c"}');
    expectError(await v1.read(cluster.node(1), user, 'k', 2), 404, NOT_FOUND);
    expectResponse(await v1.update(cluster.node(1), user, 'k', 'd'), 200, 'Secret updated (version: 2)');
  });

  it('DESIGN §5: an update equal to the latest value adds no version', async () => {
    const user = uniqueUser('same-state');
    await v1.create(cluster.node(0), user, 'k', 'one');
    assert.equal((await v1.update(cluster.node(1), user, 'k', 'one')).status, 200);
    expectResponse(await v1.readAll(cluster.node(2), user, 'k'), 200, '{"1":"one"}');
    expectError(await v1.read(cluster.node(0), user, 'k', 2), 404, NOT_FOUND);
    expectResponse(await v1.update(cluster.node(2), user, 'k', 'two'), 200, 'Secret updated (version: 2)');
    assert.equal((await v1.update(cluster.node(0), user, 'k', 'two')).status, 200);
    // Equal to an older version but not the latest: a new version.
    expectResponse(await v1.update(cluster.node(1), user, 'k', 'one'), 200, 'Secret updated (version: 3)');
    expectResponse(await v1.readAll(cluster.node(2), user, 'k'), 200, allVersionsBody(['one', 'two', 'one']));
  });

  it('DESIGN §5: an update equal to the latest value answers with that same version number', async () => {
    const user = uniqueUser('same-answer');
    await v1.create(cluster.node(0), user, 'k', 'one');
    expectResponse(await v1.update(cluster.node(1), user, 'k', 'one'), 200, 'Secret updated (version: 1)');
    await v1.update(cluster.node(2), user, 'k', 'two');
    expectResponse(await v1.update(cluster.node(0), user, 'k', 'two'), 200, 'Secret updated (version: 2)');
  });

  it('/all lists versions in ascending numeric order past 9 ("9" before "10")', async () => {
    const user = uniqueUser('many');
    const values = Array.from({ length: 12 }, (_, i) => `value-${i + 1}`);
    await v1.create(cluster.node(0), user, 'k', values[0] ?? '');
    for (const [i, value] of values.slice(1).entries()) {
      expectResponse(
        await v1.update(cluster.node(i), user, 'k', value),
        200,
        `Secret updated (version: ${i + 2})`,
      );
    }
    const all = await v1.readAll(cluster.node(1), user, 'k');
    expectResponse(all, 200, allVersionsBody(values));
    assert.ok(all.body.indexOf('"9"') < all.body.indexOf('"10"'));
  });
});

describe('v1 secrets: namespace isolation between users', () => {
  const cluster = useV1Cluster();

  it("user A's secret does not exist for user B, and B can create the same name independently", async () => {
    const [a, b] = [uniqueUser('alice'), uniqueUser('bob')];
    expectResponse(await v1.create(cluster.node(0), a, 'shared', 'A1'), 201, 'Secret created (version: 1)');
    expectResponse(await v1.update(cluster.node(0), a, 'shared', 'A2'), 200, 'Secret updated (version: 2)');
    expectError(await v1.read(cluster.node(1), b, 'shared'), 404, NOT_FOUND);
    expectError(await v1.read(cluster.node(1), b, 'shared', 1), 404, NOT_FOUND);
    expectError(await v1.readAll(cluster.node(2), b, 'shared'), 404, NOT_FOUND);
    expectError(await v1.update(cluster.node(2), b, 'shared', 'B?'), 404, NOT_FOUND);
    expectError(await v1.remove(cluster.node(0), b, 'shared'), 404, NOT_FOUND);
    expectResponse(await v1.create(cluster.node(1), b, 'shared', 'B1'), 201, 'Secret created (version: 1)');
    expectResponse(await v1.readAll(cluster.node(2), a, 'shared'), 200, '{"1":"A1","2":"A2"}');
    expectResponse(await v1.readAll(cluster.node(0), b, 'shared'), 200, '{"1":"B1"}');
    expectResponse(await v1.remove(cluster.node(0), b, 'shared'), 204, '');
    expectResponse(await v1.read(cluster.node(1), a, 'shared'), 200, 'A2');
  });

  it('user names are case-sensitive namespaces', async () => {
    const user = uniqueUser('Case');
    await v1.create(cluster.node(0), user, 'k', 'upper');
    expectError(await v1.read(cluster.node(1), user.toLowerCase(), 'k'), 404, NOT_FOUND);
    expectError(await v1.read(cluster.node(1), user, 'K'), 404, NOT_FOUND);
  });

  it('/health answers 200 OK on every node', async () => {
    for (const url of cluster.urls) {
      expectResponse(await v1.raw(`${url}/health`, {}), 200, 'OK');
    }
  });

  it('/api/v1/cluster/status reports the real figures on every node', async () => {
    for (const url of cluster.urls) {
      expectResponse(
        await v1.raw(`${url}/api/v1/cluster/status`, {}),
        200,
        '{"totalNodes":3,"healthyNodes":3,"suspectNodes":0,"failedNodes":0}',
      );
    }
  });
});
