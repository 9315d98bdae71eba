// The commit-log conformance suite: every CommitLog adapter runs it from a ~20-line test (I-L1..I-L3).
import { after, describe } from 'node:test';
import type { CommitLog } from '../commit-log.ts';
import { describeDurability } from './conformance-durability.ts';
import { describeLifecycle } from './conformance-lifecycle.ts';
import { describeOrder } from './conformance-order.ts';
import { describeReads } from './conformance-read.ts';
import { describeTime } from './conformance-time.ts';

/** How the suite gets logs from an adapter. */
export interface CommitLogFactory {
  /** Partitions of every log `open()` returns; at least 2 (partitions must be shown independent). */
  readonly partitionCount: number;
  /** A fresh, empty log on each call (embedded: a new directory; Kafka: a new, uniquely named topic). */
  open(): Promise<CommitLog>;
  /**
   * Opens the same storage as `closed` again — the suite has closed it — to check that every acknowledged
   * record survives a restart (I-L2). Omit only for an adapter without storage of its own; the durability
   * test is then skipped and says so.
   */
  reopen?(closed: CommitLog): Promise<CommitLog>;
  /** Runs once after the suite: remove directories, delete topics. */
  dispose?(): Promise<void>;
}

export function runCommitLogConformance(name: string, factory: CommitLogFactory): void {
  if (!Number.isInteger(factory.partitionCount) || factory.partitionCount < 2) {
    throw new RangeError('runCommitLogConformance needs a factory with at least 2 partitions');
  }
  void describe(`CommitLog conformance: ${name}`, () => {
    after(async () => {
      await factory.dispose?.();
    });
    describeOrder(factory);
    describeReads(factory);
    describeDurability(factory);
    describeLifecycle(factory);
    describeTime(factory);
  });
}
