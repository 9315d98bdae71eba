// What the v1 routes need from the node.
import type { Coordinator } from '../../cluster/index.ts';
import type { RequestAuthenticator } from '../tenancy.ts';
import type { V1Limits } from './v1-validation.ts';

export interface V1Context {
  readonly coordinator: Coordinator;
  readonly authenticator: RequestAuthenticator;
  readonly limits: V1Limits;
}

export const SECRETS_PATH = '/api/v1/secrets';
export const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
