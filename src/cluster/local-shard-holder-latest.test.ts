// A client's latest=true shard read (issue #9) is judged before the holder's view says anything about the
// key: to anyone else a 404 or a 403 would tell whether a name exists and which version is latest (I-T1,
// I-S5; found by the session-8 review).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { LocalShardHolder } from './local-shard-holder.ts';
import { partitionForTenant } from './placement.ts';
import { holderWith } from './testing/holder-with.ts';
import { DsvError } from '../errors/index.ts';
import type { ViewStore } from '../view/index.ts';

const PARTITIONS = 12;

/**
 * A holder whose view has one secret of tenant "victim" (latest version 3), and whose authentication accepts
 * only the attacker's own tenant ("attacker"), as TokenAuthenticator.caller does for a tenant token (I-T1).
 */
function holderWithVictimSecret(): LocalShardHolder {
  const view = {
    key: (key: { tenant: string; namespace: string; name: string }) =>
      key.tenant === 'victim' && key.namespace === 'prod' && key.name === 'db-password'
        ? { latestVersion: 3 }
        : undefined,
    version: () => undefined,
    quota: () => ({ maxSecrets: null, maxValueBytes: null, requestsPerSecond: null }),
  } as unknown as ViewStore;
  return holderWith({
    view,
    shards: { read: async () => undefined },
    authenticate: async (_credential: unknown, tenant: string) => {
      if (tenant !== 'attacker') throw new DsvError('DSV_AUTH_FORBIDDEN', 'Permission denied');
      return { tenant: 'attacker', accessor: 'acc-attacker', root: false, can: () => true };
    },
    partitionOf: (tenant: string) => partitionForTenant(tenant, PARTITIONS),
  });
}

/** What POST /v2/client-side/holder/shard answers: the holder's refusal code, or 404 for `undefined`. */
async function answer(holder: LocalShardHolder, namespace: string, name: string, version: number) {
  try {
    const released = await holder.readForClient({
      key: { tenant: 'victim', namespace, name },
      partition: partitionForTenant('victim', PARTITIONS),
      minOffset: 0,
      version,
      writeId: 'w-guess',
      credential: { kind: 'token', credential: 'x'.repeat(43) },
      purpose: 'read',
      requestId: 'r-1',
      latest: true,
    });
    return released === undefined ? 'DSV_SECRET_NOT_FOUND' : 'released';
  } catch (error) {
    return error instanceof DsvError ? error.code : String(error);
  }
}

void describe('review session 8', () => {
  void it('F1 (I-T1/I-S5): a latest=true client shard read is judged before the view says anything about the key', async () => {
    // An authenticated client of tenant "attacker" names tenant "victim" in the holder request body (the v2
    // onRequest authentication never sees the body). With latest=true the holder compares the victim's
    // latest version before it authenticates the credential for that tenant: a guess that is right is a
    // 403, a wrong one a 404 — an oracle for another tenant's secret names and their latest versions.
    const holder = holderWithVictimSecret();
    const right = await answer(holder, 'prod', 'db-password', 3);
    const wrongVersion = await answer(holder, 'prod', 'db-password', 2);
    const noSuchName = await answer(holder, 'prod', 'no-such-name', 1);
    assert.equal(right, 'DSV_PEER_REJECTED');
    assert.deepEqual(
      [wrongVersion, noSuchName],
      [right, right],
      'another tenant’s key must be refused the same way whether or not it exists at that version',
    );
  });
});
