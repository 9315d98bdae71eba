// I-L6 on the way in: a node never appends a record whose request-supplied names (tenant, namespaces, names)
// every node's schema would refuse at decode. Such a record would stand in the log as a counted no-op, and the
// writer would then look for a write that never happened (it answered 503 "the log changed" before this
// check); the caller gets a 400 instead.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { LogEntry } from './log-entry.ts';
import { signedTestCluster } from './testing/signed-cluster.ts';

const { ids, codecOf, remove } = signedTestCluster('dsv-codec-encode-');
after(remove);

const intent = (name: string): LogEntry => ({
  type: 'intent',
  writeId: 'w-encode',
  tenant: 't',
  time: 1,
  coordinator: ids[0]!,
  ops: [{ op: 'create', namespace: 'ns', name }],
  endorsements: [],
});

test('an entry within the schema is sealed and opens to itself', () => {
  const name = 'k'.repeat(1024);
  const decoded = codecOf(1).decode(0, codecOf(0).encode(0, intent(name)), 1);
  assert.ok(!('rejected' in decoded));
  assert.deepEqual(decoded.entry, intent(name));
});

test('an entry with an empty or over-long name is never sealed: DSV_INPUT_INVALID, no bytes to append', () => {
  for (const bad of [
    intent('k'.repeat(1025)),
    intent(''),
    { ...intent('k'), tenant: 'x'.repeat(1025) },
    { type: 'tenant-shred', tenant: '', time: 1, rid: 'r', endorsements: [] } as unknown as LogEntry,
  ]) {
    assert.throws(
      () => codecOf(0).encode(0, bad),
      (error: unknown) => (error as { code?: string }).code === 'DSV_INPUT_INVALID',
    );
  }
});
