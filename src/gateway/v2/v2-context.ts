// What the v2 routes need from the node.
import type { ClientFacingHolder, Coordinator } from '../../cluster/index.ts';
import type { RequestAuthenticator } from '../tenancy.ts';
import type { V1Limits } from '../v1/v1-validation.ts';

export interface V2Context {
  readonly coordinator: Coordinator;
  readonly authenticator: RequestAuthenticator;
  readonly limits: V1Limits;
  /** Every node of the cluster and its public URL (`GET /v2/sys/cluster`: `dsv login` keeps them). */
  readonly clusterNodes?: () => ReadonlyArray<{ readonly nodeId: string; readonly url: string }>;
  /** This node's own shard holder, for client-side mode's holder routes (issue #9). */
  readonly clientHolder?: ClientFacingHolder;
}
