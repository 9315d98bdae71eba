// `dsv hold create|list|show|release` against a real `dsv dev` (I-C2b through the CLI): a held secret's
// delete and a held tenant's shred are refused with DSV_RETENTION_HOLD until the hold is released.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('dsv hold', () => {
  let dev: DevClusterForCli;
  const v2 = (method: string, path: string, body?: unknown) =>
    fetch(`${dev.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${dev.rootToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    dev = await startDevForCli();
    assert.equal((await dev.cli(['login', '--url', dev.url], { input: dev.rootToken })).code, 0);
    assert.equal((await v2('PUT', '/v2/secrets/legal/contract', { value: 'kept' })).status, 201);
  });
  after(async () => dev?.stop());

  it('I-C2b: create, list, show and release a hold; delete and shred are refused while it holds', async () => {
    const created = await dev.cli([
      'hold',
      'create',
      '--namespace',
      'legal',
      '--name',
      'contract',
      '--reason',
      'case 17',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const hold = parse(created.stdout).hold as { holdId: string; scope: string; active: boolean };
    assert.deepEqual([hold.scope, hold.active], ['secret', true]);

    const del = await v2('DELETE', '/v2/secrets/legal/contract');
    assert.equal(del.status, 409);
    assert.equal(((await del.json()) as { code: string }).code, 'DSV_RETENTION_HOLD');
    const shred = await dev.cli(['tenant', 'shred', 'default', '--yes']);
    assert.equal(shred.code, 1);
    assert.match(shred.stderr, /DSV_RETENTION_HOLD/);

    const table = await dev.cli(['hold', 'list']);
    assert.match(table.stdout, new RegExp(`${hold.holdId}\\s+legal/contract\\s+case 17`));
    const missingReason = await dev.cli(['hold', 'create', '--namespace', 'legal']);
    assert.equal(missingReason.code, 2); // --reason is required: a usage error

    const released = await dev.cli(['hold', 'release', hold.holdId]);
    assert.equal(released.code, 0, released.stderr);
    assert.match(released.stdout, new RegExp(`released ${hold.holdId}`));
    const shown = parse((await dev.cli(['hold', 'show', hold.holdId, '--json'])).stdout);
    assert.ok(shown.releasedBy);
    assert.deepEqual(parse((await dev.cli(['hold', 'list', '--json'])).stdout).holds, []);
    const again = await dev.cli(['hold', 'release', hold.holdId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /DSV_HOLD_NOT_FOUND/);
    assert.ok((await v2('DELETE', '/v2/secrets/legal/contract')).status < 300);
  });
});
