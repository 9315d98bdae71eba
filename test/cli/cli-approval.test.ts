// `dsv tenant admin-request|bootstrap` and `dsv approval grant|list|revoke|audit` against a real `dsv dev`
// (I-T4, I-T4c through the CLI). The dev root holds a standing approval, so this checks the commands and their
// wire format; the separation itself is checked against `dsv server` in test/authz/admin-separation-process.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('dsv approval', () => {
  let dev: DevClusterForCli;
  let admin = '';
  let rootAccessor = '';

  before(async () => {
    dev = await startDevForCli();
    const root = { env: { DSV_TOKEN: dev.rootToken, DSV_URL: dev.url } };
    assert.equal((await dev.cli(['tenant', 'create', 'acme'], root)).code, 0);
    const request = await dev.cli(['tenant', 'admin-request', '--url', dev.url, '--json']);
    assert.equal(request.code, 0, request.stderr);
    const made = parse(request.stdout) as { token: string; verifiers: Record<string, string> };
    admin = made.token;
    const file = join(dev.home, 'acme.verifiers');
    writeFileSync(file, JSON.stringify(made.verifiers));
    const named = await dev.cli(['tenant', 'bootstrap', 'acme', '--verifiers', file, '--json'], root);
    assert.equal(named.code, 0, named.stderr);
    const again = await dev.cli(['tenant', 'bootstrap', 'acme', '--verifiers', file], root);
    assert.equal(again.code, 1, 'root names a tenant admin once');
    const self = await fetch(`${dev.url}/v2/sys/tokens/self`, {
      headers: { authorization: `Bearer ${dev.rootToken}` },
    });
    rootAccessor = ((await self.json()) as { accessor: string }).accessor;
  });
  after(async () => dev?.stop());

  it('I-T4: the tenant admin grants, lists and revokes an approval; the audit view shows them', async () => {
    const as = { env: { DSV_TOKEN: admin, DSV_URL: dev.url } };
    const missing = await dev.cli(
      ['approval', 'grant', '--grantee', rootAccessor, '--path', 'app/*', '--capabilities', 'read'],
      as,
    );
    assert.notEqual(missing.code, 0, 'ttl and reason are required');
    const wide = await dev.cli(
      ['approval', 'grant', '--grantee', rootAccessor, '--path', 'app/*', '--capabilities', 'admin'],
      as,
    );
    assert.notEqual(wide.code, 0, 'no admin by approval');
    const granted = await dev.cli(
      [
        'approval',
        'grant',
        '--grantee',
        rootAccessor,
        '--path',
        'app/db*',
        '--capabilities',
        'read,list',
        '--ttl',
        '10m',
        '--reason',
        'incident 42',
        '--json',
      ],
      as,
    );
    assert.equal(granted.code, 0, granted.stderr);
    const id = (parse(granted.stdout).approval as { approvalId: string }).approvalId;
    const listed = await dev.cli(['approval', 'list'], as);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${id}.*grant.*app/db\\*.*read,list.*active.*incident 42`));
    const byRoot = await dev.cli(['approval', 'revoke', id], {
      env: { DSV_TOKEN: dev.rootToken, DSV_URL: dev.url },
    });
    assert.equal(byRoot.code, 1, 'root revokes no approval (nor grants one)');
    const revoked = await dev.cli(['approval', 'revoke', id], as);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match((await dev.cli(['approval', 'list'], as)).stdout, /revoked/);
    const audit = await dev.cli(['approval', 'audit'], as);
    assert.equal(audit.code, 0, audit.stderr);
    for (const op of ['approval.grant', 'approval.granted', 'approval.revoke'])
      assert.match(audit.stdout, new RegExp(op.replace('.', '\\.')));
  });
});
