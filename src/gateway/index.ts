// gateway — HTTP APIs, .env transform, authentication seam, error mapping (I-G1, I-G2).
export {
  buildPublicServer,
  type ClusterStatusFigures,
  type DevControl,
  type PublicServerOptions,
} from './public-server.ts';
export { DEV_TENANT, requireAdmin, type Caller, type RequestAuthenticator } from './tenancy.ts';
export { BearerAuthenticator, bearerToken } from './bearer-authenticator.ts';
export { RateLimitedAuthenticator } from './rate-limit.ts';
export { transformEnv } from './env-transform.ts';
