// `dsv audit verify|touched` end to end: the real CLI process on a real trail, intact and tampered.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AuditPathHasher,
  JsonlAuditSink,
  loadOrCreateAuditSecret,
  type AuditRecord,
} from '../../src/audit/index.ts';
import {
  editLines,
  firstSegment,
  sampleInput,
  tempAuditDir,
  writeTrail,
} from '../../src/audit/testing/audit-fixtures.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Runs `dsv <args>` in a child process with only the audit command registered (as src/cli/main.ts does),
 * so this test depends on the audit context alone, not on every command's imports.
 */
const entry = `
  import { Command } from 'commander';
  import { registerAuditCommand } from ${JSON.stringify(join(root, 'src/cli/commands/audit-command.ts'))};
  const program = new Command().name('dsv');
  registerAuditCommand(program);
  await program.parseAsync(process.argv);
`;

async function dsv(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', entry, '--', 'dsv', ...args],
      { cwd: root },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('dsv audit', () => {
  it('I-A2: verify prints ok for an intact trail and the first broken link with exit code 1', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const receipts = await writeTrail(dir, 6);
      const ok = await dsv('audit', 'verify', '--dir', dir);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^ok: 6 records, chain intact \(head 5:[0-9a-f]{64}\)$/m);
      const json = await dsv('audit', 'verify', '--dir', dir, '--json');
      assert.deepEqual((JSON.parse(json.stdout) as { head: unknown }).head, receipts[5]);

      await editLines(firstSegment(dir), (lines) => [
        lines[0] ?? '',
        lines[2] ?? '',
        lines[1] ?? '',
        ...lines.slice(3),
      ]);
      const broken = await dsv('audit', 'verify', '--dir', dir);
      assert.equal(broken.code, 1);
      assert.match(broken.stdout, /^broken at seq 1: reordered$/m);

      // Put seq 1 back in place and drop seq 2 instead: lines are now 0, 1, 3, 4, 5.
      await editLines(firstSegment(dir), (lines) => [lines[0] ?? '', lines[2] ?? '', ...lines.slice(3)]);
      const removed = await dsv('audit', 'verify', '--dir', dir, '--json');
      assert.equal(removed.code, 1);
      assert.deepEqual(
        (JSON.parse(removed.stdout) as { firstBrokenLink: { seq: number; reason: string } }).firstBrokenLink
          .seq,
        2,
      );
      const anchored = await dsv('audit', 'verify', '--dir', dir, '--expect-head', '9:' + 'a'.repeat(64));
      assert.equal(anchored.code, 1);
    } finally {
      await dispose();
    }
  });

  it('verify of a missing directory is an error with its code', async () => {
    const result = await dsv('audit', 'verify', '--dir', '/nonexistent/audit');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /DSV_INPUT_INVALID/);
  });

  it('touched finds the records of one path with the audit key, and only those', async () => {
    const { dir, dispose } = await tempAuditDir();
    try {
      const hasher = new AuditPathHasher(await loadOrCreateAuditSecret(dir));
      const sink = await JsonlAuditSink.open({ dir, node: 'node-0' });
      await sink.append(sampleInput(0, { tenant: 'acme', pathHmac: hasher.pathHmac('acme', 'prod', 'db') }));
      await sink.append(
        sampleInput(1, { tenant: 'acme', pathHmac: hasher.pathHmac('acme', 'prod', 'other') }),
      );
      await sink.append(sampleInput(2, { tenant: 'acme', pathHmac: hasher.pathHmac('acme', 'prod', 'db') }));
      await sink.close();
      const result = await dsv('audit', 'touched', 'prod', 'db', '--tenant', 'acme', '--dir', dir, '--json');
      assert.equal(result.code, 0, result.stderr);
      const found = JSON.parse(result.stdout) as { records: AuditRecord[] };
      assert.deepEqual(
        found.records.map((r) => r.seq),
        [0, 2],
      );
    } finally {
      await dispose();
    }
  });
});
