// Admin separation (I-T4, I-T4c) on an in-process cluster without the dev standing approval (as `dsv server`
// nodes run), over HTTP with the peer API: the checks of test/testing/admin-separation-checks.ts. The same
// checks run against real `dsv server` processes in admin-separation-process.test.ts.
import { after, before, describe, it } from 'node:test';
import type { TestCluster } from '../testing/dev-cluster.ts';
import * as checks from '../testing/admin-separation-checks.ts';

describe('admin separation (I-T4, I-T4c), in-process cluster without the standing approval', () => {
  let test: TestCluster;
  let cluster: checks.SeparationCluster;
  const state: checks.SeparationState = {};
  before(async () => {
    ({ test, cluster } = await checks.startSeparatedCluster(state));
  });
  after(async () => {
    await test?.stop();
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
  it('I-T4: break-glass: operator-signed, reason required, audited on every node, shown to the tenant', () =>
    checks.breakGlassIsVisible(cluster, state));
  it("I-T4c: the tenant's audit view shows approvals, revocations and their uses", () =>
    checks.auditViewShowsApprovals(cluster, state));
});
