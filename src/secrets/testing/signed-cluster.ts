// A three-member cluster identity on disk for record-authority tests: each member's codec signs as that
// member, the operator's as the operator, and `endorse` gives a member's endorsement of a record (I-T3).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClusterIdentity,
  loadOperatorKey,
  loadTrustMaterial,
  OPERATOR,
  sealRecord,
  signDigest,
  type TrustMaterial,
} from '../../trust/index.ts';
import type { LogEntry } from '../log-entry.ts';
import { LogCodec } from '../log-codec.ts';
import { endorsementDigest } from '../record-digests.ts';

export function signedTestCluster(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ids = ['node-0', 'node-1', 'node-2'];
  createClusterIdentity({ dir, nodeDirs: new Map(ids.map((id) => [id, join(dir, id)])) });
  const trust: TrustMaterial[] = ids.map((id) => loadTrustMaterial(join(dir, id)));
  const clusterId = trust[0]?.manifest.clusterId ?? '';
  const codecOf = (i: number) =>
    new LogCodec(trust[i]!.manifest, trust[i]!.logKey, {
      signer: ids[i]!,
      privateKey: trust[i]!.identity.signingKey,
    });
  const operatorKey = loadOperatorKey(dir);
  const operator = new LogCodec(trust[0]!.manifest, trust[0]!.logKey, {
    signer: OPERATOR,
    privateKey: operatorKey,
  });
  /** A member (or the operator) sealing a body no schema checked: what a bug, or a stolen key, could append. */
  const sealUnchecked = (who: number | typeof OPERATOR, partition: number, body: object) =>
    sealRecord(
      who === OPERATOR
        ? { signer: OPERATOR, privateKey: operatorKey }
        : { signer: ids[who]!, privateKey: trust[who]!.identity.signingKey },
      trust[0]!.manifest,
      trust[0]!.logKey,
      partition,
      body,
    );
  const endorse = (i: number, entry: LogEntry) => ({
    node: ids[i]!,
    sig: signDigest(trust[i]!.identity.signingKey, endorsementDigest(clusterId, entry)),
  });
  return {
    ids,
    trust,
    clusterId,
    codecOf,
    sealUnchecked,
    operator,
    endorse,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
