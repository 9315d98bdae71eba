// DESIGN §13.1 (stalls nothing) and trust-boundaries §3 (log time from the log, I-X4), played as the attacker:
// node-0, fully compromised, publishes records whose time is 120 s ahead — an intent and a tick, sealed with
// its own identity (what the protocol lets a member sign), and as plain records. Other nodes' writes must keep
// succeeding at once, through node-1 and node-2, on every data partition.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { partitionForTenant } from '../../src/cluster/placement.ts';
import {
  putSecret,
  startAdversaryCluster,
  tenantWithToken,
  type AdversaryCluster,
  type HttpAnswer,
  type StolenNode,
} from '../testing/adversary-cluster.ts';
import { openLogWriter, plainRecord, type LogWriter } from '../testing/adversary-log-writer.ts';
import { stolenSealer, trustTodo } from '../testing/adversary-trust.ts';

const NEEDS_TRUST = await trustTodo();
const AHEAD_MS = 120_000;
const show = (answer: HttpAnswer): string => `${answer.status} ${answer.body.slice(0, 200)}`;

describe('node-0 with a clock 120 s fast', { timeout: 600_000 }, () => {
  let adversary: AdversaryCluster;
  let node0: StolenNode;
  let writer: LogWriter;
  const url = (i: number): string => adversary.url(i);
  const tenants: Array<{ partition: number; tenant: string; token: string }> = [];

  /** Writes through node-1 and node-2 to the tenant of every data partition. */
  const honestWrites = async (label: string): Promise<string[]> => {
    const failures: string[] = [];
    for (const i of [1, 2]) {
      for (const { partition, tenant, token } of tenants) {
        const put = await putSecret(
          url(i),
          token,
          'app',
          `${label}-${i}-${randomBytes(3).toString('hex')}`,
          'v',
        );
        if (put.status !== 201) failures.push(`node-${i} partition ${partition} (${tenant}): ${show(put)}`);
      }
    }
    return failures;
  };

  /** What node-0 would publish with its clock ahead: an intent it coordinates, and a tick. */
  const fastRecords = (tenant: string, time: number) => [
    {
      type: 'intent',
      writeId: `fast-${randomBytes(8).toString('hex')}`,
      tenant,
      time,
      coordinator: 'node-0',
      ops: [{ op: 'create', namespace: 'clock', name: `fast-${randomBytes(4).toString('hex')}` }],
    },
    { type: 'tick', time },
  ];

  before(async () => {
    adversary = await startAdversaryCluster();
    node0 = adversary.stolen(0);
    writer = openLogWriter(node0.bootstrap, node0.topic, { client: node0.kafka });
    for (let partition = 0; partition < adversary.partitions - 1; partition++) {
      let n = 0;
      while (partitionForTenant(`clk-${partition}-${n}`, adversary.partitions) !== partition) n++;
      const tenant = `clk-${partition}-${n}`;
      const { token } = await tenantWithToken(url(1), adversary.rootToken, tenant);
      tenants.push({ partition, tenant, token });
    }
    assert.deepEqual(await honestWrites('before'), [], 'writes succeed before the attack');
  });

  after(async () => {
    await writer?.close();
    await adversary?.stop();
  });

  it(
    'C: an intent and a tick sealed by node-0 with time now+120 s do not make node-1’s or node-2’s writes fail',
    { todo: NEEDS_TRUST },
    async () => {
      const sealer = await stolenSealer(adversary.clusterDir, node0.nodeDir, node0.nodeId);
      for (const { partition, tenant } of tenants) {
        // The intent as node-0 signs it: its own endorsement is the signature; it asked no one else.
        const [intent, tick] = fastRecords(tenant, Date.now() + AHEAD_MS);
        await writer.append(partition, sealer.seal(partition, { ...intent, endorsements: [] }));
        await writer.append(partition, sealer.seal(partition, tick ?? {}));
      }
      assert.deepEqual(await honestWrites('sealed'), [], 'writes refused after node-0’s fast records');
    },
  );

  it('C: the same records as plain JSON (node-0 writes to the broker directly) do not make writes fail', async () => {
    for (const { partition, tenant } of tenants) {
      for (const record of fastRecords(tenant, Date.now() + AHEAD_MS)) {
        await writer.append(partition, plainRecord(record));
      }
    }
    assert.deepEqual(await honestWrites('plain'), [], 'writes refused after node-0’s fast records');
  });
});
