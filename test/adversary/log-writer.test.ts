// DESIGN §13.2, played as the attacker: a log writer — the broker address and a Kafka client that can produce to
// and read the topic (its own SCRAM user on the SASL_SSL broker, ACLs READ/WRITE/DESCRIBE on the topic only),
// no node file at all. Against real `dsv server` processes on a real broker, it must
// grant, shred and stall nothing, move no clock, and a recreated topic must not be served as if nothing
// happened (docs/design/2026_12_02_implemented_trust-boundaries.md §2, §3, §9).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { partitionForTenant } from '../../src/cluster/placement.ts';
import {
  getSecret,
  http,
  putSecret,
  startAdversaryCluster,
  tenantWithToken,
  whoAmI,
  type AdversaryCluster,
  type HttpAnswer,
} from '../testing/adversary-cluster.ts';
import {
  forgedEnvelope,
  openLogWriter,
  plainRecord,
  type LogWriter,
} from '../testing/adversary-log-writer.ts';
import { waitFor } from '../testing/wait.ts';

const EVERY_NODE = [0, 1, 2];
const newToken = (): string => `dsv.${randomBytes(32).toString('base64url')}`;
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const show = (answer: HttpAnswer): string => `${answer.status} ${answer.body.slice(0, 200)}`;

describe('attacker who can only write to the log', { timeout: 600_000 }, () => {
  let adversary: AdversaryCluster;
  let writer: LogWriter;
  const url = (i: number): string => adversary.url(i);
  const partitions = (): number[] => Array.from({ length: adversary.partitions }, (_, p) => p);
  const control = (): number => adversary.partitions - 1;
  /** One tenant (with an all-capabilities token) per data partition, created before any attack. */
  const tenants: Array<{ partition: number; tenant: string; token: string }> = [];

  const appendEverywhere = async (value: Uint8Array): Promise<void> => {
    for (const p of partitions()) await writer.append(p, value);
  };

  /** Every node applied the control partition up to here: a root-token control write through each node. */
  const controlBarrier = async (): Promise<void> => {
    for (const i of EVERY_NODE) {
      const answer = await http(`${url(i)}/v2/sys/tenants`, {
        method: 'POST',
        token: adversary.rootToken,
        body: { name: `barrier-${randomBytes(4).toString('hex')}` },
      });
      assert.equal(answer.status, 201, `control barrier through node-${i}: ${show(answer)}`);
    }
  };

  /** One write through node `i` to the tenant of every data partition. */
  const writeEverywhere = async (i: number, label: string, timeoutMs: number): Promise<string[]> => {
    const failures: string[] = [];
    for (const { partition, tenant, token } of tenants) {
      const name = `${label}-${i}-${randomBytes(3).toString('hex')}`;
      const put = await putSecret(url(i), token, 'app', name, 'v', timeoutMs);
      if (put.status !== 201) failures.push(`node-${i} partition ${partition} (${tenant}): ${show(put)}`);
    }
    return failures;
  };

  before(async () => {
    const started = Date.now();
    adversary = await startAdversaryCluster();
    writer = openLogWriter(adversary.bootstrap, adversary.topic, {
      client: adversary.kafkaAccess.logWriter,
      operator: adversary.kafkaAccess.operator,
    });
    for (let partition = 0; partition < control(); partition++) {
      let n = 0;
      while (partitionForTenant(`lw-${partition}-${n}`, adversary.partitions) !== partition) n++;
      const tenant = `lw-${partition}-${n}`;
      const { token } = await tenantWithToken(url(0), adversary.rootToken, tenant);
      tenants.push({ partition, tenant, token });
    }
    console.log(
      `cluster up in ${Date.now() - started} ms; tenants ${tenants.map((t) => t.tenant).join(', ')}`,
    );
  });

  after(async () => {
    await writer?.close();
    await adversary?.stop();
  });

  it('B0: the log writer holds its own Kafka user: produce and read on the topic, no topic deletion or creation', async () => {
    const admin = new Admin({
      ...adversary.kafkaAccess.logWriter,
      clientId: 'attacker-admin-probe',
      bootstrapBrokers: adversary.bootstrap,
      retries: 0,
      timeout: 5000,
    });
    try {
      const metadata = await admin.metadata({ topics: [adversary.topic] });
      assert.equal(metadata.topics.get(adversary.topic)?.partitionsCount, adversary.partitions);
      await assert.rejects(admin.deleteTopics({ topics: [adversary.topic] }), 'no DELETE on the topic');
      await assert.rejects(
        admin.createTopics({ topics: [`${adversary.topic}-forged`], partitions: 1, replicas: 1 }),
        'no CREATE, even under the DSV prefix',
      );
    } finally {
      await admin.close().catch(() => undefined);
    }
    assert.ok((await writer.append(0, 'probe')) >= 0, 'but it may produce');
  });

  it('B1: a root token-create record (plain, and a forged envelope) authenticates on no node', async () => {
    const plain = newToken();
    const enveloped = newToken();
    const record = (token: string) => ({
      type: 'token-create',
      accessor: randomBytes(12).toString('hex'),
      tokenHash: sha256Hex(token),
      tenant: null,
      policies: [],
      displayName: 'minted by a log writer',
      expiresAt: null,
      time: Date.now(),
    });
    await writer.append(control(), plainRecord(record(plain)));
    await writer.append(control(), forgedEnvelope('operator', record(enveloped)));
    await controlBarrier();
    for (const i of EVERY_NODE) {
      for (const token of [plain, enveloped]) {
        const answer = await whoAmI(url(i), token);
        assert.equal(answer.status, 401, `node-${i} accepted a token the log writer minted: ${show(answer)}`);
      }
    }
  });

  it('B2: a tenant-shred record (plain, and a forged envelope) shreds nothing', async () => {
    const tenant = 'lw-victim';
    const { token } = await tenantWithToken(url(1), adversary.rootToken, tenant);
    const value = `b2-${randomBytes(8).toString('hex')}`;
    assert.equal((await putSecret(url(1), token, 'app', 'db-password', value)).status, 201);
    const shred = { type: 'tenant-shred', tenant, time: Date.now() };
    await appendEverywhere(plainRecord(shred));
    await appendEverywhere(forgedEnvelope('operator', shred));
    await controlBarrier();
    for (const i of EVERY_NODE) {
      const read = await getSecret(url(i), token, 'app', 'db-password');
      assert.equal(read.value, value, `read through node-${i}: ${show(read.answer)}`);
    }
  });

  it('B4: a tick 150 s in the future (plain, and a forged node envelope) does not stop writes on any node', async () => {
    const tick = { type: 'tick', time: Date.now() + 150_000 };
    await appendEverywhere(plainRecord(tick));
    await appendEverywhere(forgedEnvelope('node-0', tick));
    // Right away: no waiting out the attacker's clock.
    const failures: string[] = [];
    for (const i of EVERY_NODE) failures.push(...(await writeEverywhere(i, 'b4', 15_000)));
    assert.deepEqual(failures, [], 'writes refused after the forged tick');
  });

  it('B3: a poison intent and random bytes on every partition stall no partition on any node', async () => {
    const poison = `{"type":"intent","writeId":"x","tenant":"default","time":${Date.now()},"coordinator":"node-0","ops":null}`;
    await appendEverywhere(new TextEncoder().encode(poison));
    await appendEverywhere(randomBytes(257));
    await appendEverywhere(new Uint8Array(0));
    await appendEverywhere(forgedEnvelope('node-1', { type: 'intent', ops: null }));
    for (const i of EVERY_NODE) {
      // Data partitions: a write to a tenant on each, within a few seconds.
      let failures: string[] = [];
      await waitFor(
        async () => (failures = await writeEverywhere(i, 'b3', 5_000)).length === 0,
        10_000,
        500,
      ).catch(() => undefined);
      assert.deepEqual(failures, [], `writes through node-${i} after the poison records`);
      // The control partition: a control write through the node, within a few seconds.
      const tenant = await http(`${url(i)}/v2/sys/tenants`, {
        method: 'POST',
        token: adversary.rootToken,
        body: { name: `b3-${i}-${randomBytes(3).toString('hex')}` },
        timeoutMs: 10_000,
      });
      assert.equal(tenant.status, 201, `a control write through node-${i}: ${show(tenant)}`);
    }
  });

  it('B5: after the topic is deleted and recreated, nodes answer 503 (never 500, never stale data); a revoked token stays refused', async () => {
    const value = `b5-${randomBytes(8).toString('hex')}`;
    const owner = tenants[0];
    assert.ok(owner);
    assert.equal((await putSecret(url(0), owner.token, 'app', 'b5-db-password', value)).status, 201);
    const revoked = await tenantWithToken(url(0), adversary.rootToken, 'lw-revoked');
    const revocation = await http(`${url(0)}/v2/sys/tokens/${revoked.accessor}`, {
      method: 'DELETE',
      token: adversary.rootToken,
    });
    assert.equal(revocation.status, 200, `revoking: ${show(revocation)}`);
    for (const i of EVERY_NODE) assert.equal((await whoAmI(url(i), revoked.token)).status, 401);

    // Deleting and creating the topic takes the broker operator's rights (the writer's user has none).
    await writer.recreateTopic(adversary.partitions);
    // The log writer then writes its own history into the new, empty topic: a root token at offset 0.
    const minted = newToken();
    await writer.append(
      control(),
      plainRecord({
        type: 'token-create',
        accessor: randomBytes(12).toString('hex'),
        tokenHash: sha256Hex(minted),
        tenant: null,
        policies: [],
        displayName: 'history rewritten',
        expiresAt: null,
        time: Date.now(),
      }),
    );

    for (const i of EVERY_NODE) {
      const seen: string[] = [];
      let last: HttpAnswer | undefined;
      await waitFor(
        async () => {
          last = (await getSecret(url(i), owner.token, 'app', 'b5-db-password')).answer;
          seen.push(`${last.status}${last.code ? ` ${last.code}` : ''}`);
          return last.status === 503;
        },
        15_000,
        500,
      ).catch(() => undefined);
      assert.ok(!seen.some((s) => s.startsWith('500')), `node-${i} answered 500: ${seen.join(', ')}`);
      assert.equal(last?.status, 503, `node-${i} kept serving after the topic changed: ${seen.join(', ')}`);
      const write = await putSecret(url(i), owner.token, 'app', `b5-after-${i}`, 'v');
      assert.equal(
        write.status,
        503,
        `a write through node-${i} (reads answered ${seen.join(', ')}): ${show(write)}`,
      );
      for (const token of [revoked.token, minted]) {
        const answer = await whoAmI(url(i), token);
        assert.ok([401, 503].includes(answer.status), `node-${i} accepted a token: ${show(answer)}`);
      }
    }
  });
});
