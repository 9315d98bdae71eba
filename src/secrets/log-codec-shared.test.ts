// The decodes `dsv dev`'s nodes share (issue #10): a record opened by one codec is the answer for another with
// the same manifest and log key, and only for it; the shared entry is frozen, so no node changes what another
// applies (I-V1); a codec that does not share, or has another log key, opens the bytes itself.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import type { LogEntry } from './log-entry.ts';
import { LogCodec } from './log-codec.ts';
import { signedTestCluster } from './testing/signed-cluster.ts';

const { ids, trust, codecOf, remove } = signedTestCluster('dsv-shared-decodes-');
after(remove);

const sharing = (i: number, logKey = trust[i]!.logKey) =>
  new LogCodec(trust[i]!.manifest, logKey, undefined, { shareDecodes: true });

const entry: LogEntry = {
  type: 'intent',
  writeId: `w-${randomBytes(6).toString('hex')}`,
  tenant: 't',
  time: 1,
  coordinator: ids[0]!,
  ops: [{ op: 'create', namespace: 'ns', name: 'k' }],
  endorsements: [],
};

test('codecs with one manifest and log key share a decode; each answer carries its own timestamp', () => {
  const bytes = codecOf(0).encode(2, entry);
  const first = sharing(1).decode(2, bytes, 100);
  const second = sharing(2).decode(2, bytes, 200);
  assert.ok(!('rejected' in first) && !('rejected' in second));
  assert.equal(first.signer, ids[0]);
  assert.deepEqual(first.entry, entry);
  assert.equal(second.entry, first.entry, 'the second codec took the first one’s entry');
  assert.deepEqual([first.timestamp, second.timestamp], [100, 200]);
  // The same bytes on another partition are another record (the partition is bound into the envelope).
  assert.deepEqual(sharing(1).decode(3, bytes, 1), { rejected: 'bad-signature' });
  // A codec that does not share decodes for itself: an equal entry, not the shared object.
  const own = new LogCodec(trust[1]!.manifest, trust[1]!.logKey).decode(2, bytes, 1);
  assert.ok(!('rejected' in own));
  assert.deepEqual(own.entry, entry);
  assert.notEqual(own.entry, first.entry);
});

test('I-V1: a shared entry is frozen all the way down, so no node can change what another applies', () => {
  const bytes = codecOf(0).encode(2, { ...entry, writeId: `${entry.writeId}-frozen` });
  const decoded = sharing(1).decode(2, bytes, 1);
  assert.ok(!('rejected' in decoded) && decoded.entry.type === 'intent');
  const intent = decoded.entry;
  assert.throws(() => {
    (intent as { writeId: string }).writeId = 'changed';
  }, TypeError);
  assert.throws(() => {
    (intent.ops as unknown as unknown[]).push({ op: 'delete', namespace: 'ns', name: 'k' });
  }, TypeError);
  assert.throws(() => {
    (intent.ops[0] as { name: string }).name = 'other';
  }, TypeError);
});

test('a codec with another log key never takes a shared answer: it opens the bytes and refuses them', () => {
  const bytes = codecOf(0).encode(2, { ...entry, writeId: `${entry.writeId}-other-key` });
  assert.ok(!('rejected' in sharing(1).decode(2, bytes, 1)), 'decoded and remembered under the right key');
  assert.deepEqual(sharing(1, randomBytes(32)).decode(2, bytes, 1), { rejected: 'undecryptable' });
});
