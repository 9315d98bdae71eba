// Tenant, token, policy and quota administration through the dsv CLI, and shell completion from the command
// tree: a policy-bound token works inside its policy and is refused outside it with the code shown (I-T2).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('dsv CLI: administration', () => {
  let dev: DevClusterForCli;
  before(async () => {
    dev = await startDevForCli();
    assert.equal((await dev.cli(['login', '--url', dev.url], { input: dev.rootToken })).code, 0);
  });
  after(async () => dev?.stop());

  it('tenant create and list', async () => {
    const created = await dev.cli(['tenant', 'create', 'acme', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(parse(created.stdout), { tenant: 'acme', created: true });
    const list = await dev.cli(['tenant', 'list', '--json']);
    assert.ok((parse(list.stdout).tenants as string[]).includes('acme'));
    assert.match((await dev.cli(['tenant', 'list'])).stdout, /^acme$/m);
  });

  it('policy put (--rule and --file), list, get, delete', async () => {
    const put = await dev.cli([
      'policy',
      'put',
      'reader',
      '--tenant',
      'acme',
      '--rule',
      'app/db*:read,list',
      '--rule',
      'app/pub:read',
      '--json',
    ]);
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(parse(put.stdout), {
      tenant: 'acme',
      name: 'reader',
      rules: [
        { namespace: 'app', name: 'db*', capabilities: ['read', 'list'] },
        { namespace: 'app', name: 'pub', capabilities: ['read'] },
      ],
    });
    const writer = await dev.cli([
      'policy',
      'put',
      'writer',
      '--tenant',
      'acme',
      '--rule',
      'app/*:create,update,read,list',
    ]);
    assert.equal(writer.code, 0, writer.stderr);
    const rulesFile = join(dev.home, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ rules: [{ path: 'ops/*', capabilities: ['history'] }] }));
    const fromFile = await dev.cli(['policy', 'put', 'auditor', '--tenant', 'acme', '--file', rulesFile]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(
      fromFile.stdout,
      /^policy auditor of tenant acme: 1 rules\nNAMESPACE\s+NAME\s+CAPABILITIES\nops\s+\*\s+history\n$/,
    );
    const list = await dev.cli(['policy', 'list', '--tenant', 'acme']);
    assert.match(list.stdout, /^POLICY\s+RULES\nauditor\s+1\nreader\s+2\nwriter\s+1\n$/);
    const get = await dev.cli(['policy', 'get', 'reader', '--tenant', 'acme']);
    assert.match(get.stdout, /^NAMESPACE\s+NAME\s+CAPABILITIES\napp\s+db\*\s+read,list\napp\s+pub\s+read\n$/);
    const bad = await dev.cli(['policy', 'put', 'x', '--tenant', 'acme', '--rule', 'no-slash:read']);
    assert.equal(bad.code, 2, 'a malformed --rule is a usage error');
    const badCapability = await dev.cli(['policy', 'put', 'x', '--tenant', 'acme', '--rule', 'a/b:fly']);
    assert.equal(badCapability.code, 1);
    // Caught before anything is sent, with the rule and the list of capabilities (issue 11).
    assert.match(badCapability.stderr, /^warning: rule 1: unknown capability "fly"; capabilities are read,/);
    assert.match(
      badCapability.stderr,
      /^error \[DSV_INPUT_INVALID\]: policy x not stored: 1 unknown capability$/m,
    );
    const temp = await dev.cli(['policy', 'put', 'temp', '--tenant', 'acme', '--rule', 'a/b:read']);
    assert.equal(temp.code, 0);
    assert.deepEqual(
      parse((await dev.cli(['policy', 'delete', 'temp', '--tenant', 'acme', '--json'])).stdout),
      {
        name: 'temp',
        deleted: true,
      },
    );
    const gone = await dev.cli(['policy', 'get', 'temp', '--tenant', 'acme']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^error \[DSV_ROUTE_NOT_FOUND\]: No policy temp/);
  });

  it('I-T2: a token created with a policy works inside it and is refused outside it, code shown, exit 1', async () => {
    const created = await dev.cli([
      'token',
      'create',
      '--tenant',
      'acme',
      '--policy',
      'writer',
      '--ttl',
      '1h',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const token = parse(created.stdout);
    assert.deepEqual(Object.keys(token).sort(), ['accessor', 'expiresAt', 'policies', 'tenant', 'token']);
    assert.deepEqual([token.tenant, token.policies], ['acme', ['writer']]);
    const asTenant = { env: { DSV_TOKEN: String(token.token) } };
    const put = await dev.cli(['secret', 'put', 'app', 'db', 'tenant-value'], asTenant);
    assert.equal(put.code, 0, put.stderr);
    assert.equal((await dev.cli(['secret', 'get', 'app', 'db'], asTenant)).stdout, 'tenant-value');
    const outside = await dev.cli(['secret', 'put', 'other', 'db', 'x'], asTenant);
    assert.equal(outside.code, 1);
    assert.equal(outside.stderr, 'error [DSV_AUTH_FORBIDDEN]: Permission denied\n');
    const notAllowed = await dev.cli(['secret', 'delete', 'app', 'db'], asTenant);
    assert.equal(notAllowed.code, 1);
    assert.match(notAllowed.stderr, /DSV_AUTH_FORBIDDEN/);
    // Tenants are isolated (I-T1): root acts on the default tenant, which has no app/db.
    assert.match((await dev.cli(['secret', 'get', 'app', 'db'])).stderr, /DSV_SECRET_NOT_FOUND/);

    const self = parse((await dev.cli(['token', 'self', '--json'], asTenant)).stdout);
    assert.deepEqual(self, { accessor: token.accessor, tenant: 'acme', root: false });
    const revoked = await dev.cli(['token', 'revoke', String(token.accessor), '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(parse(revoked.stdout).revoked, true);
    const after = await dev.cli(['secret', 'get', 'app', 'db'], asTenant);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /^error \[DSV_AUTH_REQUIRED\]: /);
  });

  it('token create prints the token once in text form; a bad --ttl is a usage error', async () => {
    const text = await dev.cli(['token', 'create', '--tenant', 'acme', '--policy', 'reader']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^token\s+dsv\.\S+\naccessor\s+\w+\ntenant\s+acme\npolicies\s+reader\nexpires\s+never\n$/,
    );
    assert.equal((await dev.cli(['token', 'create', '--ttl', 'soon'])).code, 2);
  });

  it('quota set changes only the limits it names; quota get', async () => {
    const first = await dev.cli(['quota', 'set', '--tenant', 'acme', '--max-secrets', '10', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(parse(first.stdout), {
      tenant: 'acme',
      quota: { maxSecrets: 10, maxValueBytes: null, requestsPerSecond: null },
    });
    await dev.cli(['quota', 'set', '--tenant', 'acme', '--max-value-bytes', '4096']);
    const got = await dev.cli(['quota', 'get', '--tenant', 'acme', '--json']);
    assert.deepEqual(parse(got.stdout).quota, {
      maxSecrets: 10,
      maxValueBytes: 4096,
      requestsPerSecond: null,
    });
    const lifted = await dev.cli(['quota', 'set', '--tenant', 'acme', '--max-secrets', 'none']);
    assert.match(
      lifted.stdout,
      /^TENANT\s+MAX SECRETS\s+MAX VALUE BYTES\s+REQUESTS\/S\nacme\s+unlimited\s+4096\s+unlimited\n$/,
    );
  });

  it('completion bash is generated from the command tree and completes subcommands and options', async () => {
    const out = await runCli(['completion', 'bash']);
    assert.equal(out.code, 0, out.stderr);
    for (const word of [
      'secret',
      'env',
      'run',
      'login',
      'token',
      'policy',
      'quota',
      'tenant',
      'dev',
      'status',
    ])
      assert.match(out.stdout, new RegExp(`\\b${word}\\b`));
    const complete = (words: string[]): string[] => {
      const script = `${out.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _dsv_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return spawnSync('bash', ['-c', script], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(complete(['dsv', 'sec']), ['secret']);
    assert.deepEqual(complete(['dsv', 'secret', '']).slice(0, 5), [
      'put',
      'get',
      'versions',
      'delete',
      'list',
    ]);
    assert.deepEqual(complete(['dsv', 'secret', 'get', '--json', '--as']), ['--as-of']);
    for (const shell of ['zsh', 'fish']) {
      const script = await runCli(['completion', shell]);
      assert.equal(script.code, 0);
      assert.match(script.stdout, /secret put/);
    }
    assert.equal((await runCli(['completion', 'powershell'])).code, 2);
  });
});
