// Keeps log time moving: when a pending write (or a share refresh, I-R1) has outlived its timeout by this
// node's clock, append a tick so every node aborts it at the same log position (DESIGN §5: timeouts are
// measured in log time).
import type { CoordinatorContext } from './coordinator-context.ts';

export function startPendingSweeper(context: CoordinatorContext, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (let partition = 0; partition < context.log.partitionCount; partition++) {
      const oldest = context.view.oldestPendingTime(partition);
      const writeDue = oldest !== undefined && Date.now() - oldest > context.timeouts.pendingWriteMs;
      const refresh = context.view.refreshes.oldestPendingStart(partition);
      const refreshTimeout = context.refresh?.settings.limits.timeoutMs ?? Infinity;
      if (!writeDue && (refresh === undefined || Date.now() - refresh <= refreshTimeout)) continue;
      context.log
        .append(partition, '', context.codec.encode(partition, { type: 'tick', time: Date.now() }))
        .catch((error: unknown) => context.logger.debug({ err: error }, 'tick not appended'));
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
