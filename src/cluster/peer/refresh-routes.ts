// The refresh routes of the peer API (I-R1, I-R2), behind the same peer authentication as every other route
// (I-G1, I-G4); the participant decides each step itself against the log (src/cluster/refresh-holder.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RefreshHolder } from '../refresh-holder.ts';
import {
  addressFromWire,
  appliedToWire,
  checkFromWire,
  dealingFromWire,
  dealingToWire,
  refreshApplySchema,
  refreshConfirmSchema,
  refreshDealSchema,
} from './refresh-wire.ts';

type Body = Record<string, unknown>;

export function registerRefreshRoutes(
  app: FastifyInstance,
  holder: RefreshHolder,
  from: (request: FastifyRequest) => string,
): void {
  app.post<{ Body: Body }>(
    '/peer/v1/refresh/deal',
    { schema: { body: refreshDealSchema } },
    async (request) => {
      const dealings = await holder.refreshDeal(addressFromWire(request.body), from(request));
      return { dealings: dealings.map(dealingToWire) };
    },
  );

  app.post<{ Body: Body }>(
    '/peer/v1/refresh/apply',
    { schema: { body: refreshApplySchema } },
    async (request) => {
      const body = request.body as Body & { dealings: Parameters<typeof dealingFromWire>[0][] };
      const applied = await holder.refreshApply(
        { ...addressFromWire(body), dealings: body.dealings.map(dealingFromWire) },
        from(request),
      );
      return appliedToWire(applied);
    },
  );

  app.post<{ Body: Body }>(
    '/peer/v1/refresh/confirm',
    { schema: { body: refreshConfirmSchema } },
    async (request) => {
      const body = request.body as Body & { checks: Parameters<typeof checkFromWire>[0][] };
      return holder.refreshConfirm(
        { ...addressFromWire(body), checks: body.checks.map(checkFromWire) },
        from(request),
      );
    },
  );
}
