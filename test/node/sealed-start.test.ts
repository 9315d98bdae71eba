// Sealed start (DESIGN §8): a `dsv server` whose KEK cannot be obtained — KMS unreachable, HSM module
// missing, no passphrase — exits with code 2 and a message naming the cause, before it connects or serves.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePortRange } from '../testing/free-ports.ts';
import { runDsv } from '../testing/dsv-process.ts';

describe('sealed start of dsv server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsv-sealed-'));
  let port = 0;
  before(async () => {
    port = await freePortRange(2);
    // No broker is running at this address: a sealed node must fail on its KEK before it ever tries Kafka.
    const init = runDsv([
      'cluster',
      'init',
      '--nodes',
      '1',
      '--dir',
      dir,
      '--kafka',
      '127.0.0.1:1',
      '--base-port',
      String(port),
    ]);
    assert.equal(await init.exited, 0, init.output());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const withKek = (kek: unknown) => {
    const path = join(dir, 'node-0.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...config, kek }, null, 2));
    return path;
  };

  const expectSealed = async (kek: unknown, env: Record<string, string | undefined>, cause: RegExp) => {
    const server = runDsv(['server', '--config', withKek(kek)], env);
    const code = await server.exited;
    assert.equal(code, 2, server.output());
    assert.match(server.output(), cause);
    assert.doesNotMatch(server.output(), /ready/);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  };

  it('DSV_KEK_UNAVAILABLE: an unreachable AWS KMS endpoint', async () => {
    await expectSealed(
      { kind: 'aws-kms', keyId: 'alias/dsv', region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' },
      { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      /KMS|kms/,
    );
  });

  it('DSV_KEK_UNAVAILABLE: a PKCS#11 module that does not exist', async () => {
    await expectSealed(
      { kind: 'pkcs11', modulePath: join(dir, 'no-such-hsm.so'), tokenLabel: 't', keyLabel: 'k' },
      { DSV_PKCS11_PIN: '1234' },
      /no-such-hsm|PKCS#11|pkcs11/,
    );
  });

  it('DSV_KEK_UNAVAILABLE: no passphrase and no terminal', async () => {
    await expectSealed({ kind: 'passphrase' }, { DSV_UNSEAL_PASSPHRASE: undefined }, /passphrase/i);
  });
});
