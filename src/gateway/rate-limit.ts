// Per-tenant request-rate quota (DESIGN §9): a token bucket per tenant on each node, as a decorator of the
// authentication port so every route is covered; over the rate → 429 DSV_QUOTA_RATE with Retry-After.
import type { FastifyRequest } from 'fastify';
import { DsvError } from '../errors/index.ts';
import type { Caller, RequestAuthenticator } from './tenancy.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimitedAuthenticator implements RequestAuthenticator {
  private readonly inner: RequestAuthenticator;
  private readonly rateOf: (tenant: string) => number | null;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    inner: RequestAuthenticator,
    rateOf: (tenant: string) => number | null,
    now: () => number = Date.now,
  ) {
    this.inner = inner;
    this.rateOf = rateOf;
    this.now = now;
  }

  async authenticate(request: FastifyRequest, tenant?: string): Promise<Caller> {
    const caller = await this.inner.authenticate(request, tenant);
    const rate = this.rateOf(caller.tenant);
    if (rate === null || caller.root) return caller;
    const now = this.now();
    // Burst of one second's worth, and at least one request: a rate below 1/s (say 0.5) must let one request
    // through every 1/rate seconds, not refuse everything. Refills continuously.
    const capacity = rate > 0 ? Math.max(1, rate) : 0;
    const bucket = this.buckets.get(caller.tenant) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) / 1000) * rate);
    bucket.updatedAt = now;
    this.buckets.set(caller.tenant, bucket);
    if (bucket.tokens < 1) {
      const retryAfterSeconds = rate > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) : 60;
      throw new DsvError('DSV_QUOTA_RATE', 'Request rate quota exceeded', { details: { retryAfterSeconds } });
    }
    bucket.tokens -= 1;
    return caller;
  }
}
