// Keeps log time moving: when a pending write has outlived its timeout by this node's clock, append a tick so
// every node aborts it at the same log position (DESIGN §5: timeouts are measured in log time).
import type { CoordinatorContext } from './coordinator-context.ts';

export function startPendingSweeper(context: CoordinatorContext, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (let partition = 0; partition < context.log.partitionCount; partition++) {
      const oldest = context.view.oldestPendingTime(partition);
      if (oldest === undefined || Date.now() - oldest <= context.timeouts.pendingWriteMs) continue;
      context.log
        .append(partition, '', context.codec.encode(partition, { type: 'tick', time: Date.now() }))
        .catch((error: unknown) => context.logger.debug({ err: error }, 'tick not appended'));
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
