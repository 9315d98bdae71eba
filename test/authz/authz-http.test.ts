// Level 2 of the authorisation model check (I-G1, I-T1, I-T2): random v1, v2 and /v2/sys operations by random
// tokens on a real 3-node production-mode cluster, every reply held to the reference model and the ledger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';
import { HttpModelCheck } from '../testing/authz-model-http-check.ts';
import { closeHttpAgent } from '../testing/authz-model-http.ts';
import { runEnvOp, runSecretOp } from '../testing/authz-model-http-ops.ts';
import { runSysOp } from '../testing/authz-model-http-sys.ts';
import { runV2Op } from '../testing/authz-model-http-v2.ts';
import { planArb } from '../testing/authz-model-plan.ts';

const OPERATIONS = Number(process.env.AUTHZ_HTTP_OPS ?? 2500);
const SEED = Number(process.env.AUTHZ_SEED ?? Date.now() % 2 ** 31);

describe('authorisation model check, level 2: HTTP on a 3-node cluster', () => {
  let test: TestCluster;
  before(async () => {
    test = await startTestCluster({ nodes: 3, devMode: false });
  });
  after(async () => {
    closeHttpAgent();
    await test?.stop();
  });

  it('I-T1, I-T2, I-G1: every reply agrees with the model; no value crosses tenants; denials change nothing', async () => {
    const started = performance.now();
    const [plan] = fc.sample(planArb(OPERATIONS), { seed: SEED, numRuns: 1 });
    assert.ok(plan);
    const check = new HttpModelCheck(test.urls, await test.cluster.issueDevRootToken());
    await check.setup(plan);
    for (const op of plan.ops) {
      switch (op.kind) {
        case 'env':
        case 'v2-env':
          await runEnvOp(check, op);
          break;
        case 'v2-put':
        case 'v2-read':
        case 'v2-read-version':
        case 'v2-versions':
        case 'v2-delete':
        case 'v2-list':
          await runV2Op(check, op);
          break;
        case 'sys-list-policies':
        case 'sys-put-policy':
        case 'sys-create-token':
          await runSysOp(check, op);
          break;
        default:
          await runSecretOp(check, op);
      }
    }
    const sweep = await check.finalSweep();
    const { totals } = check;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `authz model check (HTTP, 3 nodes, seed ${SEED}): ${totals.operations} operations, ` +
        `${totals.mismatches.length} mismatches, ${totals.crossTenant} cross-tenant ` +
        `(${totals.allowed} allowed, ${totals.denied} denied, ${totals.deniedWritesVerified} denied writes verified, ` +
        `${sweep} final reads, ${check.ledger.written} values, ${check.pool.length} tokens; ${seconds}s; ` +
        `${[...totals.byKind].map(([kind, n]) => `${kind} ${n}`).join(', ')})`,
    );
    assert.equal(totals.operations, OPERATIONS);
    assert.ok(totals.allowed > OPERATIONS / 5 && totals.denied > OPERATIONS / 5, 'both allows and denials');
    assert.equal(totals.crossTenant, 0);
    assert.deepEqual(totals.mismatches.slice(0, 20), [], `seed ${SEED}`);
  });
});
