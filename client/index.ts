// The DSV client library (client-side mode, issue #9): the only public surface of client/.
// Values are split into Shamir shards and combined again in this process; nodes see shards only.
export {
  DsvClient,
  type ClusterTopology,
  type DeleteOptions,
  type DsvClientOptions,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type SecretValue,
  type VersionInfo,
} from './dsv-client.ts';
export type { PutOptions, PutResult } from './conditional-put.ts';
export { DsvClientError } from './client-error.ts';
export type { FetchLike } from './http.ts';
