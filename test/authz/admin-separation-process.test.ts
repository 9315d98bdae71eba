// Admin separation (I-T4, I-T4c) against real `dsv server` processes on Kafka (the multi-process harness): the
// root token comes from `dsv cluster root-token`, break-glass from `dsv approval break-glass` with the
// operator key, and the checks are those of test/testing/admin-separation-checks.ts (also run in-process by
// admin-separation-cluster.test.ts). `dsv server` never gives root the dev cluster's standing approval.
import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeConfigFile } from '../../src/node/server/index.ts';
import { accessorOf, adminCall } from '../testing/admin-separation.ts';
import * as checks from '../testing/admin-separation-checks.ts';
import { runDsv } from '../testing/dsv-process.ts';
import { startMultiProcessCluster, type MultiProcessCluster } from '../testing/multi-process-cluster.ts';
import { waitFor } from '../testing/wait.ts';

describe('admin separation (I-T4, I-T4c) on dsv server processes', { timeout: 420_000 }, () => {
  let processes: MultiProcessCluster;
  let cluster: checks.SeparationCluster;
  const state: checks.SeparationState = {};

  before(async () => {
    const started = Date.now();
    // A production config (devMode false): root holds no standing approval (I-T4).
    processes = await startMultiProcessCluster({ configure: (config) => ({ ...config, devMode: false }) });
    const clusterDir = dirname(dirname(resolve(processes.dataDir(0))));
    const config = nodeConfigFile(clusterDir, 0);
    const issued = runDsv(['cluster', 'root-token', '--config', config, '--json']);
    assert.equal(await issued.exited, 0, issued.output());
    const line = issued
      .output()
      .split('\n')
      .find((text) => text.trim().startsWith('{'));
    const root = (JSON.parse(line ?? '{}') as { token?: string }).token ?? '';
    assert.ok(root, issued.output());
    const urls = processes.urls;
    // Every node applied the root token before it is used (control catch-up would do it too).
    await waitFor(
      async () =>
        (await Promise.all(urls.map((url) => accessorOf(url, root)))).every((a) => a !== 'undefined'),
      30_000,
    );
    const topology = (await (await fetch(`${urls[0]}/v2/client-side/topology`)).json()) as {
      clusterId: string;
    };
    cluster = {
      urls,
      root,
      rootAccessor: await accessorOf(urls[0] ?? '', root),
      clusterId: topology.clusterId,
      // `dsv approval break-glass`: signed with operator.key straight onto the log; then every node has it.
      async breakGlass(request) {
        const cli = runDsv([
          'approval',
          'break-glass',
          '--config',
          config,
          '--tenant',
          request.tenant,
          '--grantee',
          request.grantee,
          '--path',
          `${request.namespace}/${request.name}`,
          '--capabilities',
          request.capabilities.join(','),
          '--ttl',
          `${Math.round(request.ttlMs / 1000)}s`,
          '--reason',
          request.reason,
          '--json',
        ]);
        if ((await cli.exited) !== 0) throw new Error(`dsv approval break-glass: ${cli.output()}`);
        const out = cli
          .output()
          .split('\n')
          .find((text) => text.trim().startsWith('{'));
        const { approvalId } = JSON.parse(out ?? '{}') as { approvalId: string };
        await waitFor(async () => {
          const seen = await Promise.all(
            urls.map(async (url) => {
              const list = await adminCall(url, root, 'GET', `/v2/sys/approvals?tenant=${request.tenant}`);
              return (list.body.approvals as Array<{ approvalId: string }>).some(
                (a) => a.approvalId === approvalId,
              );
            }),
          );
          return seen.every(Boolean);
        }, 30_000);
        return approvalId;
      },
    };
    await checks.setUp(cluster, state);
    console.log(`cluster up and tenant bootstrapped in ${Date.now() - started} ms`);
  });
  after(async () => {
    await processes?.stopAll();
  });

  it('I-T4: root gets 403 DSV_APPROVAL_REQUIRED on reads, writes, versions, .env, client-side and v1; lists nothing', () =>
    checks.rootIsDenied(cluster));
  it('I-T4: no holder releases a shard to root’s own node credential (client-side mode)', () =>
    checks.rootIsDeniedInTenant(cluster, state));
  it('I-T4: root cannot mint a tenant token, write a tenant policy, re-bootstrap, or approve itself', () =>
    checks.rootCannotEscalate(cluster));
  it('I-T4: an approval lets root read within its scope and ttl on every node; 403 outside and after', () =>
    checks.approvalBoundsRoot(cluster, state).then(() => undefined));
  it('I-T4: the tenant admin revokes an approval; approvals never carry admin and need a reason', () =>
    checks.revokedApprovalEnds(cluster, state));
  it('I-T4: break-glass (dsv approval break-glass): reason required, audited on every node, shown to the tenant', () =>
    checks.breakGlassIsVisible(cluster, state));
  it("I-T4c: the tenant's audit view (dsv approval audit) shows approvals, revocations and their uses", async () => {
    await checks.auditViewShowsApprovals(cluster, state);
    const cli = runDsv(['approval', 'audit', '--url', cluster.urls[1] ?? '', '--json'], {
      DSV_TOKEN: state.admin?.token,
    });
    assert.equal(await cli.exited, 0, cli.output());
    assert.match(cli.output(), /approval\.break-glass/);
    assert.match(cli.output(), /approval\.granted/);
  });
});
