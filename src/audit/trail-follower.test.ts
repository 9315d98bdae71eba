import assert from 'node:assert/strict';
import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JsonlAuditSink } from './jsonl/jsonl-audit-sink.ts';
import { segmentName } from './jsonl/audit-segments.ts';
import { editLines, sampleInput, tempAuditDir, writeTrail } from './testing/audit-fixtures.ts';
import { AuditTrailFollower } from './trail-follower.ts';
import { verifyAuditTrail } from './verify-audit-trail.ts';

/** `rounds` batches of `each` records, so that a small segment size rotates between them. */
async function appendRounds(dir: string, rounds: number, each: number, from = 0): Promise<void> {
  const sink = await JsonlAuditSink.open({ dir, node: 'node-0', segmentBytes: 8 * 1024 });
  try {
    for (let round = 0; round < rounds; round++) {
      const base = from + round * each;
      await Promise.all(Array.from({ length: each }, (_, i) => sink.append(sampleInput(base + i))));
    }
  } finally {
    await sink.close();
  }
}

describe('AuditTrailFollower', () => {
  let temp: Awaited<ReturnType<typeof tempAuditDir>>;
  before(async () => (temp = await tempAuditDir()));
  after(async () => temp.dispose());

  it('verifies the whole chain once, then only what was appended, and agrees with the verifier', async () => {
    await appendRounds(temp.dir, 10, 30); // several segments
    const follower = new AuditTrailFollower(temp.dir);
    const [first, shared] = [follower.status(), follower.status()];
    assert.equal(first, shared, 'callers at once share one verification');
    const status = await first;
    const full = await verifyAuditTrail(temp.dir);
    assert.deepEqual([status.records, status.node, status.firstBrokenLink], [300, full.node, undefined]);
    assert.deepEqual(status.files, full.files);
    assert.ok(status.files.length > 2);

    await appendRounds(temp.dir, 2, 25, 1000);
    assert.equal((await follower.status()).records, 350);
  });

  it('finds one tenant’s records by a string scan: the last `limit`, and how many in all', async () => {
    const follower = new AuditTrailFollower(temp.dir);
    const found = await follower.search('req-1', (record) => record.tenant === 'globex', 5);
    // Every request id with 'req-1' in it; the samples of odd number are globex's.
    const all = (await verifyAuditTrail(temp.dir)).records;
    assert.ok(all >= 350);
    assert.equal(found.records.length, 5);
    assert.ok(found.total > 5);
    assert.ok(
      found.records.every((record) => record.tenant === 'globex' && record.requestId.includes('req-1')),
    );
    const seqs = found.records.map((record) => record.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in trail order',
    );
  });

  it('a verified segment rewritten in place is verified again from the start: the break is named', async () => {
    const follower = new AuditTrailFollower(temp.dir);
    assert.equal((await follower.status()).firstBrokenLink, undefined);
    await editLines(join(temp.dir, segmentName(0)), (lines) =>
      lines.map((line, i) => (i === 3 ? line.replace('"status":200', '"status":404') : line)),
    );
    const broken = (await follower.status()).firstBrokenLink;
    assert.deepEqual([broken?.reason, broken?.seq, broken?.line], ['modified', 3, 4]);
  });

  it('a cut last segment starts the verification over (it never counts records that are gone)', async () => {
    const other = await tempAuditDir();
    try {
      await writeTrail(other.dir, 40);
      const follower = new AuditTrailFollower(other.dir);
      assert.equal((await follower.status()).records, 40);
      const file = join(other.dir, segmentName(0));
      const { size } = await stat(file);
      await truncate(file, Math.floor(size / 2));
      const after = await follower.status();
      assert.ok(after.records < 40);
      assert.equal(after.firstBrokenLink, undefined, 'a clean cut needs an anchor to be seen');
    } finally {
      await other.dispose();
    }
  });
});
