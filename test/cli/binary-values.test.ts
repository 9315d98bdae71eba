// Values are bytes end to end (issue 11): a file of random bytes put with `dsv secret put --from-file`
// comes back byte for byte through `dsv secret get` (stdout and --to-file) and through v2, which answers
// non-UTF-8 values in base64 with `"encoding": "base64"` and takes them the same way; UTF-8 values are
// answered as text, as before.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';
import { projectRoot } from '../testing/dsv-process.ts';

/** The CLI with stdout kept as bytes (the harness decodes it as text). */
function cliBytes(
  dev: DevClusterForCli,
  args: readonly string[],
): Promise<{ code: number | null; stdout: Buffer }> {
  const child = spawn(process.execPath, [join(projectRoot, 'src', 'cli', 'main.ts'), ...args], {
    env: { ...process.env, DSV_TOKEN: undefined, DSV_URL: undefined, DSV_CONFIG: dev.configPath },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks) })),
  );
}

/** 1,000 random bytes that are certainly not UTF-8 (a lone continuation byte first). */
function binaryValue(): Buffer {
  const bytes = randomBytes(1000);
  bytes[0] = 0x80;
  return bytes;
}

describe('binary secret values, CLI and v2', () => {
  let dev: DevClusterForCli;
  let work: string;
  const v2 = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${dev.url}/v2/secrets/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${dev.rootToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    dev = await startDevForCli();
    work = mkdtempSync(join(tmpdir(), 'dsv-binary-'));
    const login = await dev.cli(['login', '--url', dev.url, '--token', dev.rootToken]);
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await dev?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('1,000 random bytes put --from-file come back byte for byte: CLI stdout, --to-file and v2', async () => {
    const bytes = binaryValue();
    const file = join(work, 'value.bin');
    writeFileSync(file, bytes);
    const put = await dev.cli(['secret', 'put', 'bin', 'blob', '--from-file', file, '--json']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal((JSON.parse(put.stdout) as { outcome: string }).outcome, 'created');

    const got = await cliBytes(dev, ['secret', 'get', 'bin', 'blob']);
    assert.equal(got.code, 0);
    assert.ok(got.stdout.equals(bytes), `stdout has ${got.stdout.length} bytes, not the 1,000 stored`);

    const out = join(work, 'out.bin');
    const toFile = await dev.cli(['secret', 'get', 'bin', 'blob', '--to-file', out]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.equal(toFile.stdout, '');
    assert.ok(readFileSync(out).equals(bytes));
    assert.equal(statSync(out).mode & 0o777, 0o600);

    const read = await v2('GET', 'bin/blob');
    assert.equal(read.status, 200);
    assert.equal(read.json.encoding, 'base64');
    assert.ok(Buffer.from(read.json.value as string, 'base64').equals(bytes));

    // The same bytes again are the same value: no new version.
    const again = await dev.cli(['secret', 'put', 'bin', 'blob', '--from-file', file, '--json']);
    assert.equal((JSON.parse(again.stdout) as { outcome: string }).outcome, 'unchanged');
  });

  it('v2 takes base64 with "encoding": "base64", refuses bad base64, and answers UTF-8 as text', async () => {
    const bytes = binaryValue();
    const put = await v2('PUT', 'bin/v2-blob', { value: bytes.toString('base64'), encoding: 'base64' });
    assert.equal(put.status, 201, JSON.stringify(put.json));
    const got = await cliBytes(dev, ['secret', 'get', 'bin', 'v2-blob']);
    assert.ok(got.stdout.equals(bytes));

    const bad = await v2('PUT', 'bin/bad', { value: 'not base64!', encoding: 'base64' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'DSV_INPUT_INVALID');
    const unknown = await v2('PUT', 'bin/bad', { value: 'x', encoding: 'hex' });
    assert.equal(unknown.status, 400);

    // UTF-8 text sent in base64 is stored as those bytes and read back as text, with no encoding field.
    const text = 'héllo\n';
    assert.equal(
      (await v2('PUT', 'bin/text', { value: Buffer.from(text).toString('base64'), encoding: 'base64' }))
        .status,
      201,
    );
    const read = await v2('GET', 'bin/text');
    assert.equal(read.json.value, text);
    assert.equal('encoding' in read.json, false);
    const cli = await dev.cli(['secret', 'get', 'bin', 'text']);
    assert.equal(cli.stdout, text);
  });

  it('the OpenAPI document declares the encoding field on PUT and GET', async () => {
    const doc = (await (await fetch(`${dev.url}/v2/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const text = JSON.stringify(doc.paths['/v2/secrets/{namespace}/{name}']);
    assert.match(text, /"encoding":\{"type":"string","enum":\["utf8","base64"\]/);
    assert.match(text, /"encoding":\{"type":"string","enum":\["base64"\]/);
  });
});
