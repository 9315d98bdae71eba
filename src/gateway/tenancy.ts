// Who is calling: the gateway's authentication seam. Dev mode maps anonymous v1 calls to a default tenant;
// a production node refuses them until a token context is configured (DESIGN §9, I-G1).
import type { FastifyRequest } from 'fastify';
import { DsvError } from '../errors/index.ts';

export interface CallerIdentity {
  readonly tenant: string;
  /** Accessor id of the token used, for audit; 'anonymous-dev' in dev mode. */
  readonly accessor: string;
}

export interface RequestAuthenticator {
  authenticate(request: FastifyRequest): Promise<CallerIdentity>;
}

export const DEV_TENANT = 'default';

export const devAnonymousAuthenticator: RequestAuthenticator = {
  authenticate: async () => ({ tenant: DEV_TENANT, accessor: 'anonymous-dev' }),
};

export const refuseAnonymousAuthenticator: RequestAuthenticator = {
  authenticate: async () => {
    throw new DsvError(
      'DSV_AUTH_REQUIRED',
      'Authentication required: anonymous access is allowed in dev mode only',
    );
  },
};
