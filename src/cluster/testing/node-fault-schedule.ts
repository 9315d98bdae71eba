// A seeded schedule that stops and restarts nodes, one at a time, until told to stop (fault tests). It only
// calls the stop/start functions it is given, so it drives in-process nodes or killed processes alike.
import type { SeededRandom } from './seeded-random.ts';

export interface NodeFaultEvent {
  /** Milliseconds since the schedule began. */
  readonly atMs: number;
  readonly action: 'stop' | 'start';
  readonly nodeId: string;
}

export interface NodeFaultScheduleOptions {
  readonly random: SeededRandom;
  readonly nodeIds: readonly string[];
  readonly stop: (nodeId: string) => Promise<void>;
  readonly start: (nodeId: string) => Promise<void>;
  /** How long every node stays up between two faults, [min, max] ms. */
  readonly upMs: readonly [number, number];
  /** How long a stopped node stays down, [min, max] ms. */
  readonly downMs: readonly [number, number];
  readonly onEvent?: (event: NodeFaultEvent) => void;
}

/**
 * Runs until `signal` aborts: wait, stop one node, wait, start it again. At most one node is down at any time,
 * so a 3-node cluster (W = 2, k = 2) stays available. When it returns, every node it stopped is running again.
 */
export async function runNodeFaults(
  options: NodeFaultScheduleOptions,
  signal: AbortSignal,
): Promise<NodeFaultEvent[]> {
  const began = Date.now();
  const events: NodeFaultEvent[] = [];
  const note = (action: NodeFaultEvent['action'], nodeId: string) => {
    const event = { atMs: Date.now() - began, action, nodeId };
    events.push(event);
    options.onEvent?.(event);
  };
  while (!signal.aborted) {
    await pause(options.random.int(...options.upMs), signal);
    if (signal.aborted) break;
    const nodeId = options.random.pick(options.nodeIds);
    note('stop', nodeId);
    await options.stop(nodeId);
    // An abort cuts the down time short, but the stopped node is always started again before returning.
    await pause(options.random.int(...options.downMs), signal);
    note('start', nodeId);
    await options.start(nodeId);
  }
  return events;
}

/** Sleeps `ms`, or less if the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
