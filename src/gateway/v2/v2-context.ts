// What the v2 routes need from the node.
import type { Coordinator } from '../../cluster/index.ts';
import type { RequestAuthenticator } from '../tenancy.ts';

export interface V2Context {
  readonly coordinator: Coordinator;
  readonly authenticator: RequestAuthenticator;
  readonly limits: { readonly maxNameLength: number; readonly maxValueBytes: number };
}
