// JsonlAuditSink: a linear chain under concurrency, crash recovery of a torn tail, refusal of a broken chain.
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JsonlAuditSink, verifyAuditTrail, type AuditRecord } from '../../src/audit/index.ts';
import {
  editLines,
  firstSegment,
  sampleInput,
  tempAuditDir,
  writeTrail,
} from '../../src/audit/testing/audit-fixtures.ts';

const sinkModule = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src/audit/index.ts');

describe('JsonlAuditSink', () => {
  it('I-A2: a writer killed mid-stream (SIGKILL) leaves a trail that reopens and verifies', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const writer = spawn(
        process.execPath,
        [
          '--input-type=module',
          '--eval',
          `import { JsonlAuditSink } from ${JSON.stringify(sinkModule)};
           const sink = await JsonlAuditSink.open({ dir: process.argv[1], node: 'node-0' });
           console.log('open');
           for (let i = 0; ; i++) {
             await Promise.all(Array.from({ length: 50 }, (_, j) => sink.append({ requestId: 'r-' + i + '-' + j,
               tenant: 'acme', accessor: 'acc', operation: 'secret.read', pathHmac: null, outcome: 'ok', status: 200 })));
           }`,
          dir,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise((resolve) => writer.stdout.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, 300));
      writer.kill('SIGKILL');
      await new Promise((resolve) => writer.once('exit', resolve));
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' }); // takes over the dead writer's lock
      const next = sink.head.nextSeq;
      assert.ok(next > 0, 'the writer got records in');
      assert.equal((await sink.append(sampleInput(0))).seq, next);
      await sink.close();
      const result = await verifyAuditTrail(dir);
      assert.deepEqual([result.records, result.firstBrokenLink], [next + 1, undefined]);
    } finally {
      await dispose();
    }
  });

  it('I-A2: 1000 concurrent appends form one linear, verified chain', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      const receipts = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve)); // spread over batches
          return sink.append(sampleInput(i));
        }),
      );
      await sink.close();
      assert.deepEqual(
        receipts.map((r) => r.seq).sort((a, b) => a - b),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      const result = await verifyAuditTrail(dir);
      assert.equal(result.records, 1000);
      assert.equal(result.firstBrokenLink, undefined);
      const lines = (await readFile(firstSegment(dir), 'utf8')).trim().split('\n');
      const ids = new Set(lines.map((l) => (JSON.parse(l) as AuditRecord).requestId));
      assert.equal(ids.size, 1000, 'every append has exactly one record');
    } finally {
      await dispose();
    }
  });

  it('I-A2: a torn last line is dropped and reported on reopen; the chain continues', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 5);
      const torn = '{"seq":5,"time":"2026-01-01T00:00:00.000Z","requestId":"re';
      await appendFile(firstSegment(dir), torn);
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      assert.deepEqual(sink.recovered, { droppedBytes: torn.length, atSeq: 5 });
      assert.equal((await sink.append(sampleInput(5))).seq, 5);
      await sink.close();
      const result = await verifyAuditTrail(dir);
      assert.deepEqual([result.records, result.firstBrokenLink], [6, undefined]);
    } finally {
      await dispose();
    }
  });

  it('I-A2: a tail of zero bytes left by a crash is dropped the same way', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 3);
      await appendFile(firstSegment(dir), Buffer.alloc(4096));
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      assert.equal(sink.recovered?.droppedBytes, 4096);
      await sink.close();
      assert.equal((await verifyAuditTrail(dir)).firstBrokenLink, undefined);
    } finally {
      await dispose();
    }
  });

  it('I-A2: a trail broken before its tail refuses to open (never extends a broken chain)', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 5);
      await editLines(firstSegment(dir), (lines) => lines.filter((_, i) => i !== 2));
      await assert.rejects(JsonlAuditSink.open({ dir, node: 'node-0' }), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'DSV_AUDIT_CORRUPT');
        assert.match((error as Error).message, /seq 2 \(removed/);
        return true;
      });
    } finally {
      await dispose();
    }
  });

  it('reopening continues the chain, also into a new segment', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 4, 700);
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0', segmentBytes: 700 });
      assert.deepEqual(sink.head.nextSeq, 4);
      for (let i = 4; i < 12; i++) await sink.append(sampleInput(i));
      await sink.close();
      const result = await verifyAuditTrail(dir);
      assert.equal(result.records, 12);
      assert.ok(result.files.length > 2);
      assert.equal(result.firstBrokenLink, undefined);
    } finally {
      await dispose();
    }
  });

  it('one writer per directory; a closed sink rejects DSV_AUDIT_UNAVAILABLE', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      await assert.rejects(JsonlAuditSink.open({ dir, node: 'node-0' }), { code: 'DSV_AUDIT_UNAVAILABLE' });
      const pending = sink.append(sampleInput(0));
      await sink.close();
      assert.equal((await pending).seq, 0, 'close finishes queued appends');
      await assert.rejects(sink.append(sampleInput(1)), { code: 'DSV_AUDIT_UNAVAILABLE' });
      await sink.close();
      const again = await JsonlAuditSink.open({ dir, node: 'node-0' });
      await again.close();
    } finally {
      await dispose();
    }
  });

  it('I-A3: fields that could carry names or line breaks are refused', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      for (const bad of [
        { operation: 'GET /api/v1/secrets/db%2Fpassword' },
        { requestId: 'a b' },
        { accessor: 'Bearer x' },
        { pathHmac: 'db/password' },
        { tenant: 'acme\n{"seq":0}' },
        { status: 42 },
      ]) {
        await assert.rejects(
          sink.append(sampleInput(0, bad)),
          { code: 'DSV_INPUT_INVALID' },
          JSON.stringify(bad),
        );
      }
      assert.equal((await sink.append(sampleInput(0))).seq, 0, 'a refused record takes no seq');
      await sink.close();
    } finally {
      await dispose();
    }
  });

  it('files are private to the node (0600 segment, 0700 directory)', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      await writeTrail(dir, 1);
      assert.equal((await stat(firstSegment(dir))).mode & 0o777, 0o600);
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      await writeFile(firstSegment(dir), '');
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      assert.equal(sink.head.nextSeq, 0);
      await sink.close();
    } finally {
      await dispose();
    }
  });
});
