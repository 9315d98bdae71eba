// The audit trail acknowledges a batch after one write, without an fdatasync (issue #10), so every segment it
// writes must be opened with SYNCED_WRITES (O_DSYNC): durable when the write returns (I-A1). Shown on the
// descriptors themselves, for the first segment and for one made by rotation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYNCED_WRITES } from '../platform/durable-file.ts';
import { openFlagsOf } from '../../test/testing/open-flags.ts';
import { JsonlAuditSink } from './jsonl/jsonl-audit-sink.ts';
import { segmentName } from './jsonl/audit-segments.ts';
import { sampleInput, tempAuditDir } from './testing/audit-fixtures.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

test('I-A1: every audit segment is written through a descriptor opened with O_DSYNC, rotated ones too', async () => {
  const { dir, dispose } = await tempAuditDir();
  const sink = await JsonlAuditSink.open({ dir, node: 'node-0', segmentBytes: 512 });
  try {
    await sink.append(sampleInput(0));
    const first = openFlagsOf(join(dir, segmentName(0)));
    assert.equal(first.length, 1, 'the sink holds its segment open');
    assert.ok(
      first.every((flags) => (flags & SYNCED_WRITES) !== 0),
      `flags ${first.map((f) => f.toString(8)).join(' ')}`,
    );
    for (let i = 1; i < 4; i++) await sink.append(sampleInput(i)); // past 512 bytes: new segments
    const newest = readdirSync(dir)
      .filter((name) => name.startsWith('audit-') && name.endsWith('.jsonl'))
      .sort()
      .at(-1);
    assert.ok(newest !== undefined && newest !== segmentName(0), `rotated: ${String(newest)}`);
    const rotated = openFlagsOf(join(dir, newest));
    assert.equal(rotated.length, 1, 'the sink holds its newest segment open');
    assert.ok(
      rotated.every((flags) => (flags & SYNCED_WRITES) !== 0),
      `flags ${rotated.map((f) => f.toString(8)).join(' ')}`,
    );
  } finally {
    await sink.close();
    await dispose();
  }
});
