// Appends a record that grants or destroys (I-T3): a unique rid, then the endorsements of q − 1 other nodes
// that each checked the caller themselves; this node's signature on the record is the last one.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../control/index.ts';
import type { LogEntry } from '../../secrets/index.ts';
import { appendAndApply, type CoordinatorContext } from './coordinator-context.ts';
import { gatherEndorsements } from './endorsements.ts';

type AuthorityEntry = Extract<LogEntry, { rid: string; endorsements: unknown }>;
type Unendorsed<T> = T extends AuthorityEntry ? Omit<T, 'rid' | 'endorsements'> : never;

/** Returns the offset of the appended record once this node applied it. */
export async function appendAuthority(
  context: CoordinatorContext,
  partition: number,
  body: Unendorsed<AuthorityEntry>,
  caller: Caller,
): Promise<number> {
  const entry = { ...body, rid: randomUUID(), endorsements: [] } as AuthorityEntry;
  const endorsements = await gatherEndorsements(context, partition, entry, caller);
  return appendAndApply(context, partition, { ...entry, endorsements });
}
