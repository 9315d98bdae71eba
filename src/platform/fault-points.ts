// TEST-ONLY crash hooks: a process started with DSV_FAULT_POINTS=<name>[,<name>…] SIGKILLs itself when it
// reaches a named point, so fault tests can kill a real node at an exact protocol step (DESIGN §5, I-S3).
//
// Inert unless that environment variable is set; nothing else reads it, and no config or CLI option sets it.
// Never set it on a production node: it exists only so `test/faults/fault-kafka-*.test.ts` can kill a coordinator
// between prepare (stage) and commit, which no signal sent from outside can hit reliably.

/** The environment variable that arms fault points (comma-separated names). */
export const FAULT_POINTS_ENV = 'DSV_FAULT_POINTS';

/**
 * The named points. `after-stage`: in the write protocol, after every shard of a write is staged with quorum
 * and before its commit is appended (`src/cluster/coordinator/batch-writer.ts`). Proactive share refresh
 * (I-R1): `refresh-after-stage`, on a participant, after its new share is staged and synced and before it
 * answers (`src/cluster/refresh-holder.ts`); `refresh-before-commit`, on the refresher, after every
 * participant signed its receipt and before the refresh-commit is appended
 * (`src/cluster/coordinator/share-refresh.ts`).
 */
export type FaultPointName = 'after-stage' | 'refresh-after-stage' | 'refresh-before-commit';

/** Read once at start-up: arming a point is a property of the process, not of a request. */
const armed = new Set(
  (process.env[FAULT_POINTS_ENV] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0),
);

/** Dies at once, like `kill -9` (no clean-up, no flush), when `name` is armed; otherwise does nothing. */
export function faultPoint(name: FaultPointName): void {
  if (armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
