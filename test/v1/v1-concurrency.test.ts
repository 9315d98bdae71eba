// v1 contract end to end under concurrency (API-V1.md, DESIGN §5–§7): versions, 404s and 409s come from the
// replicated log, so racing clients on different nodes get one winner, dense versions, no lost acknowledged
// write, and read-your-writes on any node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v1, type V1Response } from '../testing/v1-client.ts';
import { allVersionsBody, expectError, expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser, useV1Cluster } from '../testing/v1-fixture.ts';

const EXISTS = JSON.stringify({ message: 'Secret already exists' });
const IN_PROGRESS = JSON.stringify({ message: 'Another write on this secret is in progress' });
const UPDATED = /^Secret updated \(version: (\d+)\)$/;

/** Backoff between retries: it spreads the writers out; a deadline, not a count, decides when to give up. */
const backoff = () => new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));

/** The version an acknowledged update reports, or undefined for a 409 (anything else fails the test). */
function updateOutcome(response: V1Response): number | undefined {
  if (response.status === 409) {
    assert.equal(response.body, IN_PROGRESS, 'a rejected concurrent update must say why');
    return undefined;
  }
  assert.equal(response.status, 200, `update: ${response.status} ${response.body}`);
  const match = UPDATED.exec(response.body);
  assert.ok(match?.[1], `update body: ${response.body}`);
  return Number(match[1]);
}

/** Versions 1..N must be dense, and version v must hold exactly what the write that got v acknowledged. */
function expectedHistory(initial: string, acknowledged: ReadonlyMap<number, string>): string[] {
  const history = [initial];
  for (let version = 2; version <= acknowledged.size + 1; version++) {
    const value = acknowledged.get(version);
    assert.ok(value !== undefined, `version ${version} missing among ${[...acknowledged.keys()].join(',')}`);
    history.push(value);
  }
  return history;
}

describe('v1 concurrency across nodes', () => {
  // Nothing fails in these tests, so no write should be aborted by log time: the test clusters' 3 s pending
  // timeout (made short for the fault tests) aborted a write here when a loaded machine was slow to commit it.
  const cluster = useV1Cluster({ pendingWriteMs: 120_000 });

  /** 20 clients create one key at once, spread over the nodes; exactly one must win with version 1. */
  async function createRace(user: string): Promise<{ winner: number; losers: Array<[number, V1Response]> }> {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => v1.create(cluster.node(i), user, 'k', `value-${i}`)),
    );
    const winners = responses.flatMap((response, i) => (response.status === 201 ? [i] : []));
    assert.equal(winners.length, 1, responses.map((r) => `${r.status} ${r.body}`).join('\n'));
    const winner = winners[0] ?? -1;
    expectResponse(
      responses[winner] ?? { status: 0, body: '', code: null },
      201,
      'Secret created (version: 1)',
    );
    return { winner, losers: [...responses.entries()].filter(([i]) => i !== winner) };
  }

  it('DESIGN §5: 20 concurrent creates of one key across 3 nodes → exactly one 201, the rest 409', async () => {
    const user = uniqueUser('race-create');
    const { winner, losers } = await createRace(user);
    for (const [i, response] of losers) {
      assert.equal(response.status, 409, `client ${i}: ${response.status} ${response.body}`);
      // DESIGN §5: "key exists → 409 (exists); another write pending on the key → 409 (conflict)".
      assert.ok([EXISTS, IN_PROGRESS].includes(response.body), `client ${i}: ${response.body}`);
    }
    for (let i = 0; i < 3; i++) {
      expectResponse(await v1.readAll(cluster.node(i), user, 'k'), 200, allVersionsBody([`value-${winner}`]));
    }
    // Once the race is decided, every node answers a further create with "exists".
    for (let i = 0; i < 3; i++)
      expectResponse(await v1.create(cluster.node(i), user, 'k', 'late'), 409, EXISTS);
  });

  it('API-V1: a create that loses a race answers 409 Secret already exists (the only POST 409 body)', async () => {
    const { losers } = await createRace(uniqueUser('race-create-body'));
    const bodies = losers.map(([i, response]) => `client ${i}: ${response.status} ${response.body}`);
    assert.deepEqual(
      bodies.filter((line) => !line.endsWith(`409 ${EXISTS}`)),
      [],
      'losing creates that did not answer 409 Secret already exists',
    );
  });

  it('DESIGN §5: 30 concurrent updates across nodes → distinct versions, dense 1..N, no lost ack', async () => {
    const user = uniqueUser('race-update');
    await v1.create(cluster.node(0), user, 'k', 'initial');
    const values = Array.from({ length: 30 }, (_, i) => `update-${i}`);
    const responses = await Promise.all(
      values.map((value, i) => v1.update(cluster.node(i), user, 'k', value)),
    );
    const acknowledged = new Map<number, string>();
    for (const [i, response] of responses.entries()) {
      const version = updateOutcome(response);
      if (version === undefined) continue;
      assert.ok(!acknowledged.has(version), `version ${version} acknowledged twice`);
      acknowledged.set(version, values[i] ?? '');
    }
    assert.ok(acknowledged.size >= 1, 'at least one concurrent update must win');
    const history = expectedHistory('initial', acknowledged);
    for (let i = 0; i < 3; i++) {
      expectResponse(await v1.readAll(cluster.node(i), user, 'k'), 200, allVersionsBody(history));
    }
    for (const [version, value] of acknowledged) {
      expectResponse(await v1.read(cluster.node(version), user, 'k', version), 200, value);
    }
    expectResponse(await v1.read(cluster.node(1), user, 'k'), 200, history.at(-1) ?? '');
  });

  it('DESIGN §5: 30 writers retrying on 409 all land: versions 2..31 each exactly once', async () => {
    const user = uniqueUser('retry-update');
    await v1.create(cluster.node(0), user, 'k', 'initial');
    const acknowledged = new Map<number, string>();
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const value = `writer-${i}`;
        const deadline = Date.now() + 240_000;
        for (let attempt = 0; Date.now() < deadline; attempt++) {
          const version = updateOutcome(await v1.update(cluster.node(i + attempt), user, 'k', value));
          if (version !== undefined) {
            assert.ok(!acknowledged.has(version), `version ${version} acknowledged twice`);
            acknowledged.set(version, value);
            return;
          }
          await backoff();
        }
        assert.fail(`writer ${i} never got its update acknowledged within 240 s`);
      }),
    );
    assert.equal(acknowledged.size, 30);
    const history = expectedHistory('initial', acknowledged);
    expectResponse(await v1.readAll(cluster.node(2), user, 'k'), 200, allVersionsBody(history));
  });

  it('a delete racing updates: every answer is a documented one, and afterwards every node agrees', async () => {
    const user = uniqueUser('race-delete');
    await v1.create(cluster.node(0), user, 'k', 'initial');
    const [removed, ...updates] = await Promise.all([
      v1.remove(cluster.node(1), user, 'k'),
      ...Array.from({ length: 10 }, (_, i) => v1.update(cluster.node(i), user, 'k', `u${i}`)),
    ]);
    assert.ok(removed, 'the delete answered');
    const acknowledged = new Map<number, string>();
    for (const [i, response] of updates.entries()) {
      // An update whose intent lands after the delete's commit finds no key.
      if (response.status === 404) expectError(response, 404, 'Secret not found', `update ${i}`);
      else {
        const version = updateOutcome(response);
        if (version !== undefined) acknowledged.set(version, `u${i}`);
      }
    }
    if (removed.status === 409) assert.equal(removed.body, IN_PROGRESS);
    else expectResponse(removed, 204, '');
    const answers = await Promise.all([0, 1, 2].map((i) => v1.readAll(cluster.node(i), user, 'k')));
    for (const answer of answers) {
      assert.deepEqual(answer, answers[0]);
      if (removed.status === 204) expectError(answer, 404, 'Secret not found');
      else expectResponse(answer, 200, allVersionsBody(expectedHistory('initial', acknowledged)));
    }
  });

  it('DESIGN §10: 12 concurrent .env files on one key — each is applied whole or not at all', async () => {
    const user = uniqueUser('race-env');
    await v1.create(cluster.node(0), user, 'SHARED', 'initial');
    const files = Array.from({ length: 12 }, (_, i) => `SHARED=update:file-${i}\nOWN_${i}=new:own-${i}`);
    const responses = await Promise.all(files.map((file, i) => v1.env(cluster.node(i), user, file)));
    const applied: number[] = [];
    for (const [i, response] of responses.entries()) {
      if (response.status === 200) {
        expectResponse(response, 200, `SHARED=file-${i}\nOWN_${i}=own-${i}`);
        expectResponse(await v1.read(cluster.node(i + 1), user, `OWN_${i}`), 200, `own-${i}`);
        applied.push(i);
      } else {
        expectResponse(
          response,
          409,
          JSON.stringify({ message: 'Another write on this secret is in progress: SHARED' }),
          `file ${i}`,
        );
        expectError(await v1.read(cluster.node(i + 1), user, `OWN_${i}`), 404, 'Secret not found');
      }
    }
    assert.ok(applied.length >= 1, 'at least one file must win');
    const all = JSON.parse((await v1.readAll(cluster.node(2), user, 'SHARED')).body) as Record<
      string,
      string
    >;
    assert.deepEqual(
      Object.values(all).slice(1).sort(),
      applied.map((i) => `file-${i}`).sort(),
      'exactly the applied files made versions',
    );
  });

  it('read-your-writes: 200 concurrent flows create on one node and read at once on another', async () => {
    const user = uniqueUser('ryw');
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const created = await v1.create(cluster.node(i), user, `key-${i}`, `value-${i}`);
        const read = await v1.read(cluster.node(i + 1), user, `key-${i}`);
        return { i, created, read };
      }),
    );
    for (const { i, created, read } of results) {
      expectResponse(created, 201, 'Secret created (version: 1)', `flow ${i} create`);
      expectResponse(read, 200, `value-${i}`, `flow ${i} read`);
    }
  });

  it('read-your-writes: 100 concurrent flows update, read, delete and read again on rotating nodes', async () => {
    const user = uniqueUser('ryw-cycle');
    const flows = Array.from({ length: 100 }, (_, i) => i);
    for (const i of flows) await v1.create(cluster.node(i), user, `key-${i}`, `v1-${i}`);
    await Promise.all(
      flows.map(async (i) => {
        const label = `flow ${i}`;
        expectResponse(
          await v1.update(cluster.node(i + 1), user, `key-${i}`, `v2-${i}`),
          200,
          'Secret updated (version: 2)',
          label,
        );
        expectResponse(await v1.read(cluster.node(i + 2), user, `key-${i}`), 200, `v2-${i}`, label);
        expectResponse(await v1.remove(cluster.node(i), user, `key-${i}`), 204, '', label);
        expectError(await v1.read(cluster.node(i + 1), user, `key-${i}`), 404, 'Secret not found', label);
      }),
    );
  });
});
