// The hash chain and its verifier: every kind of tampering is found at the right seq, with the right reason.
import assert from 'node:assert/strict';
import { appendFile, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, hashRecord, type AuditRecord } from './audit-record.ts';
import { readAuditChainKey, verifyAuditTrail } from './index.ts';
import { segmentName } from './jsonl/audit-segments.ts';
import { editLines, firstSegment, tempAuditDir, writeTrail } from './testing/audit-fixtures.ts';

type Tamper = 'modify' | 'remove' | 'reorder' | 'truncate';

/** Applies one tampering at record `at` of a trail of `count` records; returns the expected broken link. */
function tamper(lines: string[], kind: Tamper, at: number): { lines: string[]; reason: string } {
  const out = [...lines];
  switch (kind) {
    case 'modify': {
      const record = JSON.parse(out[at] ?? '') as AuditRecord;
      out[at] = canonicalJson({ ...record, status: record.status === 200 ? 500 : 200 });
      return { lines: out, reason: 'modified' };
    }
    case 'remove':
      out.splice(at, 1);
      return { lines: out, reason: 'removed' };
    case 'reorder':
      [out[at], out[at + 1]] = [out[at + 1] ?? '', out[at] ?? ''];
      return { lines: out, reason: 'reordered' };
    case 'truncate':
      return { lines: out, reason: 'torn' };
  }
}

describe('audit chain verifier', () => {
  it('an untouched trail verifies, with its head', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const receipts = await writeTrail(dir, 10);
      const result = await verifyAuditTrail(dir);
      assert.equal(result.records, 10);
      assert.equal(result.firstBrokenLink, undefined);
      assert.deepEqual(result.head, receipts[9]);
      const first = JSON.parse(
        (await readFile(firstSegment(dir), 'utf8')).split('\n')[0] ?? '',
      ) as AuditRecord;
      assert.equal(first.seq, 0);
      assert.equal(first.prevHash, '0'.repeat(64));
      const { hash, ...unsealed } = first;
      assert.equal(first.v, 2);
      assert.equal(hash, hashRecord(unsealed, await readAuditChainKey(dir)));
    } finally {
      await dispose();
    }
  });

  for (const [kind, at, seq] of [
    ['modify', 4, 4],
    ['remove', 4, 4],
    ['remove', 0, 0],
    ['reorder', 4, 4],
  ] as const) {
    it(`I-A2: a record ${kind === 'modify' ? 'modified' : kind === 'remove' ? 'removed' : 'swapped with the next'} at seq ${at} is reported at seq ${seq}`, async () => {
      const { dir, dispose } = await tempAuditDir();
      try {
        await writeTrail(dir, 10);
        let reason = '';
        await editLines(firstSegment(dir), (lines) => {
          const edited = tamper(lines, kind, at);
          reason = edited.reason;
          return edited.lines;
        });
        const result = await verifyAuditTrail(dir);
        assert.equal(result.firstBrokenLink?.seq, seq);
        assert.equal(result.firstBrokenLink?.reason, reason);
        assert.equal(result.records, seq);
      } finally {
        await dispose();
      }
    });
  }

  it('I-A2: a truncated tail (torn last line) is reported at its seq', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 10);
      const file = firstSegment(dir);
      const size = (await readFile(file)).length;
      await truncate(file, size - 40);
      const result = await verifyAuditTrail(dir);
      assert.deepEqual([result.firstBrokenLink?.seq, result.firstBrokenLink?.reason], [9, 'torn']);
    } finally {
      await dispose();
    }
  });

  it('I-A2: a whitespace-only edit or an extra field counts as modified', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 3);
      await editLines(firstSegment(dir), (lines) =>
        lines.map((l, i) => (i === 1 ? l.replace(':', ': ') : l)),
      );
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink?.reason, 'modified');
      await writeFile(firstSegment(dir), '{"seq":0}\n');
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink?.reason, 'modified');
    } finally {
      await dispose();
    }
  });

  it('I-A2: a cleanly cut tail or a rehashed rewrite is caught against an anchored head', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const receipts = await writeTrail(dir, 10);
      const anchor = receipts[9];
      assert.ok(anchor);
      const file = firstSegment(dir);
      const original = await readFile(file, 'utf8');
      // Cut the last record off along its newline: the chain alone cannot tell.
      await editLines(file, (lines) => lines.slice(0, -1));
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink, undefined);
      const cut = await verifyAuditTrail(dir, { expectHead: anchor });
      assert.deepEqual([cut.firstBrokenLink?.seq, cut.firstBrokenLink?.reason], [9, 'removed']);
      // Rewrite record 4 and recompute every later hash — even with the chain key: a consistent chain,
      // but not the anchored one.
      await writeFile(file, original);
      const key = await readAuditChainKey(dir);
      await editLines(file, (lines) => rehashFrom(lines, 4, (r) => ({ ...r, status: 500 }), key));
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink, undefined);
      const rewritten = await verifyAuditTrail(dir, { expectHead: anchor });
      assert.deepEqual([rewritten.firstBrokenLink?.seq, rewritten.firstBrokenLink?.reason], [9, 'modified']);
    } finally {
      await dispose();
    }
  });

  it('the chain continues across segments; a removed middle segment is reported', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 5, 600);
      await writeTrail(dir, 5, 600);
      await writeTrail(dir, 5, 600);
      const result = await verifyAuditTrail(dir);
      assert.equal(result.records, 15);
      assert.ok(result.files.length >= 3, `segments: ${result.files.length}`);
      const firstOfSecond: unknown = JSON.parse(
        (await readFile(join(dir, segmentName(1)), 'utf8')).split('\n')[0] ?? '',
      );
      await unlink(join(dir, segmentName(1)));
      const broken = await verifyAuditTrail(dir);
      assert.equal(broken.firstBrokenLink?.reason, 'removed');
      assert.equal(broken.firstBrokenLink?.seq, (firstOfSecond as AuditRecord).seq);
    } finally {
      await dispose();
    }
  });

  it('I-A2: any single tampering is reported at the seq where it happened (property)', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 12);
      const pristine = await readFile(firstSegment(dir), 'utf8');
      const lines = pristine.split('\n').slice(0, -1);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<Tamper>('modify', 'remove', 'reorder', 'truncate'),
          fc.nat({ max: 10 }), // removing the very last record is only visible against an anchor
          async (kind, at) => {
            const edited = tamper(lines, kind, at);
            let text = edited.lines.map((line) => `${line}\n`).join('');
            let seq = at;
            if (kind === 'truncate') {
              text = text.slice(0, text.length - 1 - Math.floor((lines.at(-1)?.length ?? 2) / 2));
              seq = 11;
            }
            await writeFile(firstSegment(dir), text);
            const result = await verifyAuditTrail(dir);
            assert.deepEqual(
              [result.firstBrokenLink?.seq, result.firstBrokenLink?.reason],
              [seq, edited.reason],
            );
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      await dispose();
    }
  });

  it('a missing path or an empty directory is invalid input', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await assert.rejects(verifyAuditTrail(join(dir, 'nope')), { code: 'DSV_INPUT_INVALID' });
      await writeTrail(dir, 1);
      await appendFile(join(dir, 'unrelated.txt'), 'x');
      assert.equal((await verifyAuditTrail(dir)).records, 1);
    } finally {
      await dispose();
    }
  });
});

/** What an attacker with write access (and the chain key) but no anchor can do: edit and recompute. */
function rehashFrom(
  lines: string[],
  from: number,
  edit: (r: AuditRecord) => AuditRecord,
  key: Buffer,
): string[] {
  const out = [...lines];
  let prevHash = (JSON.parse(out[from - 1] ?? '') as AuditRecord).hash;
  for (let i = from; i < out.length; i++) {
    const original = JSON.parse(out[i] ?? '') as AuditRecord;
    const { hash: _old, ...rest } = i === from ? edit(original) : original;
    const unsealed = { ...rest, prevHash };
    const hash = hashRecord(unsealed, key);
    out[i] = canonicalJson({ ...unsealed, hash });
    prevHash = hash;
  }
  return out;
}
