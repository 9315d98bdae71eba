// The scanner behind test/client-side/client-side-memory-scan.test.ts, on what this process controls: its needles, a
// value cut by the boundary of two read chunks in a file, and a value held in this process's own memory
// (/proc/self/mem needs no ptrace permission).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanFiles, scanProcessMemory, valueNeedles } from './process-memory-scan.ts';

describe('process-memory-scan', () => {
  it('makes every encoding once: raw, hex, HEX, base64(url) with and without padding, and as UTF-16LE', () => {
    const value = Buffer.from('fbff' + '00'.repeat(30), 'hex'); // base64 '+/8…', base64url '-_8…'
    const needles = valueNeedles(value);
    const labels = needles.map((needle) => needle.label);
    assert.equal(new Set(labels).size, labels.length);
    assert.equal(labels.length, 13);
    const text = (label: string) =>
      needles.find((needle) => needle.label === label)?.bytes.toString('latin1');
    assert.equal(text('base64'), value.toString('base64'));
    assert.equal(text('base64 unpadded'), value.toString('base64').replace(/=+$/, ''));
    assert.equal(text('base64url padded'), `${value.toString('base64url')}=`);
    assert.equal(text('HEX'), value.toString('hex').toUpperCase());
    assert.deepEqual(
      needles.find((needle) => needle.label === 'hex (UTF-16LE)')?.bytes,
      Buffer.from(value.toString('hex'), 'utf16le'),
    );
    // Without + or /, base64url is base64: one needle, not two.
    assert.equal(valueNeedles(Buffer.alloc(32, 0xab)).length, 9);
  });

  it('finds a value cut by a chunk boundary in a file, once, with its offset; nothing in a clean file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsv-scan-test-'));
    try {
      const value = randomBytes(32);
      const hex = Buffer.from(value.toString('hex'));
      const chunk = 8 * 1024 * 1024;
      const file = Buffer.alloc(chunk + 1024, 0x2e);
      hex.copy(file, chunk - 20); // 20 bytes in the first chunk, 44 in the second
      mkdirSync(join(dir, 'nested'));
      writeFileSync(join(dir, 'nested', 'node.sqlite-wal'), file);
      writeFileSync(join(dir, 'clean.log'), randomBytes(4096));
      const result = await scanFiles([dir], valueNeedles(value));
      assert.equal(result.units, 2);
      assert.equal(result.bytes, file.length + 4096);
      assert.deepEqual(result.hits, [
        { needle: 'hex', where: join(dir, 'nested', 'node.sqlite-wal'), offset: chunk - 20 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    "reads this process's own memory, region by region, and finds a value held in it",
    { skip: process.platform !== 'linux' && 'reads /proc/<pid>/mem: Linux only' },
    async () => {
      // The needles are themselves in this process, so this proves the reading, not the absence of a value:
      // that side is the control scenario of client-side-memory-scan.test.ts (the coordinator holds it).
      const held = Buffer.from(randomBytes(32).toString('base64url'));
      const found = await scanProcessMemory(process.pid, [{ label: 'held', bytes: held }]);
      assert.ok(found.units > 10 && found.bytes > 16 * 1024 * 1024, `read ${found.bytes} bytes`);
      assert.ok(found.hits.some((hit) => hit.needle === 'held' && /rw-p/.test(hit.where)));
      assert.ok(found.hits.every((hit) => hit.offset >= 0));
    },
  );
});
