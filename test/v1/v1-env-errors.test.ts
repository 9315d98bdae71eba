// v1 `.env` endpoint end to end: every error of API-V1.md's .env section with its status, and the
// all-or-nothing rule of DESIGN §10 — a failing file leaves nothing written, on any node.
import { describe, it } from 'node:test';
import { v1 } from '../testing/v1-client.ts';
import { envAsJson, envAsMultipart, envAsText } from '../testing/v1-env-forms.ts';
import { allVersionsBody, expectError, expectErrorShape, expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser, useV1Cluster, type V1Fixture } from '../testing/v1-fixture.ts';

const ENTRY = 'expected KEY=new:value, KEY=update:value, KEY=get, KEY=get:version, or KEY=delete';
const invalidEntry = (line: number) => `Invalid .env entry on line ${line}: ${ENTRY}`;
const invalidAction = (line: number) =>
  `Invalid .env action on line ${line}: expected new, update, get, or delete`;

/** Every node still answers 404 for each name. */
async function expectAbsent(cluster: V1Fixture, user: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    for (let i = 0; i < 3; i++) {
      expectError(
        await v1.read(cluster.node(i), user, name),
        404,
        'Secret not found',
        `${name} on node ${i}`,
      );
    }
  }
}

describe('v1 .env: errors and all-or-nothing', () => {
  const cluster = useV1Cluster();

  it('400 User is required in every request form', async () => {
    const base = cluster.node(0);
    expectError(await envAsText(base, undefined, 'A=new:1'), 400, 'User is required');
    expectError(await envAsText(base, '  ', 'A=new:1'), 400, 'User is required');
    expectError(await envAsJson(base, { envFileContent: 'A=new:1' }), 400, 'User is required');
    expectError(await envAsJson(base, { user: '', envFileContent: 'A=new:1' }), 400, 'User is required');
    expectError(await envAsMultipart(base, { file: 'A=new:1' }), 400, 'User is required');
    expectError(await envAsMultipart(base, { user: ' ', file: 'A=new:1' }), 400, 'User is required');
  });

  it('400 .env file content is required: missing, empty or blank content', async () => {
    const base = cluster.node(1);
    const user = uniqueUser('env-content');
    const message = '.env file content is required';
    expectError(await envAsJson(base, { user }), 400, message);
    expectError(await envAsJson(base, { user, envFileContent: '' }), 400, message);
    expectError(await envAsJson(base, { user, content: ' \n\t\r\n ' }), 400, message);
    expectError(await envAsText(base, user, ''), 400, message);
    expectError(await envAsMultipart(base, { user }), 400, message);
    expectError(await envAsMultipart(base, { user, file: '' }), 400, message);
  });

  it('400 for grammar errors, with the exact messages and line numbers', async () => {
    const base = cluster.node(2);
    const user = uniqueUser('env-grammar-errors');
    const cases: Array<[string, string]> = [
      ['# only a comment\n\n   \n# another', '.env file must include at least one operation'],
      ['A=new:1\nB=get\nA=get', 'Duplicate key in .env file: A'],
      ['A=new:1\nB=rename:x', invalidAction(2)],
      ['\n\nC=foo', invalidAction(3)],
      ['NOEQUALS', invalidEntry(1)],
      ['A=new:1\n=new:x', invalidEntry(2)],
      ['A=', invalidEntry(1)],
      ['A=new', invalidEntry(1)],
      ['A=update', invalidEntry(1)],
      ['# c\nA=get:0', invalidEntry(2)],
      ['A=get:-1', invalidEntry(1)],
      ['A=get:abc', invalidEntry(1)],
      ['A=enc(unclosed', invalidEntry(1)],
      ['A=secret()', invalidEntry(1)],
    ];
    for (const [content, message] of cases) {
      expectError(await v1.env(base, user, content), 400, message, JSON.stringify(content));
      expectError(await envAsText(base, user, content), 400, message, JSON.stringify(content));
    }
    await expectAbsent(cluster, user, ['A', 'B', 'C']);
  });

  it('404 Secret not found: KEY for get, get:N, update, delete and secret(NAME) of a missing secret', async () => {
    const base = cluster.node(0);
    const user = uniqueUser('env-404');
    await v1.create(base, user, 'HAS', 'v');
    expectError(await v1.env(base, user, 'MISSING=get'), 404, 'Secret not found: MISSING');
    expectError(await v1.env(base, user, 'HAS=get:2'), 404, 'Secret not found: HAS');
    expectError(await v1.env(base, user, 'NOPE=update:x'), 404, 'Secret not found: NOPE');
    expectError(await v1.env(base, user, 'NADA=delete'), 404, 'Secret not found: NADA');
    expectError(await v1.env(base, user, 'X=secret(GHOST)'), 404, 'Secret not found: GHOST');
    expectError(await v1.env(base, user, 'X=secret(HAS, version=9)'), 404, 'Secret not found: HAS');
  });

  it('415 for an unsupported content type; 405 for another method; 400 for malformed JSON', async () => {
    const base = cluster.node(1);
    const user = uniqueUser('env-415');
    for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      expectErrorShape(await envAsText(base, user, 'A=new:1', type), 415);
    }
    const untyped = await v1.raw(`${base}/api/v1/secrets/env?user=${user}`, {
      method: 'POST',
      body: new TextEncoder().encode('A=new:1'),
    });
    expectErrorShape(untyped, 415);
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const response = await v1.raw(`${base}/api/v1/secrets/env?user=${user}`, {
        method,
        headers: { 'content-type': 'text/plain' },
        body: 'A=new:1',
      });
      expectError(response, 405, `Request method '${method}' is not supported`);
    }
    const malformed = await v1.raw(`${base}/api/v1/secrets/env`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":',
    });
    expectErrorShape(malformed, 400);
    await expectAbsent(cluster, user, ['A']);
  });

  it('413 for a value over 64 KiB in a file, and nothing of the file is applied', async () => {
    const user = uniqueUser('env-413');
    const content = `A=new:small\nB=new:${'x'.repeat(65537)}`;
    expectErrorShape(await v1.env(cluster.node(2), user, content), 413);
    await expectAbsent(cluster, user, ['A', 'B']);
    expectResponse(
      await v1.env(cluster.node(2), user, `B=new:${'é'.repeat(32768)}`),
      200,
      `B=${'é'.repeat(32768)}`,
    );
  });

  it('DESIGN §10: creating A and B where B exists → 409 Secret already exists: B, and A does not exist', async () => {
    const user = uniqueUser('env-409');
    await v1.create(cluster.node(0), user, 'B', 'original');
    expectError(await v1.env(cluster.node(1), user, 'A=new:1\nB=new:2'), 409, 'Secret already exists: B');
    expectError(await v1.env(cluster.node(2), user, 'A=enc(1)\nB=enc(2)'), 409, 'Secret already exists: B');
    await expectAbsent(cluster, user, ['A']);
    expectResponse(await v1.readAll(cluster.node(2), user, 'B'), 200, '{"1":"original"}');
    // The same file succeeds once nothing blocks it, so the failure left no pending write behind.
    expectResponse(await v1.env(cluster.node(0), user, 'A=new:1\nB=update:2'), 200, 'A=1\nB=2');
  });

  it('DESIGN §10: a file with a missing get → 404, and none of its creates, updates or deletes happened', async () => {
    const user = uniqueUser('env-atomic-404');
    await v1.create(cluster.node(0), user, 'U', 'u1');
    await v1.create(cluster.node(1), user, 'D', 'd1');
    const file = 'U=update:u2\nN=new:n1\nD=delete\nE=enc(e1)\nMISSING=get';
    expectError(await v1.env(cluster.node(2), user, file), 404, 'Secret not found: MISSING');
    for (let i = 0; i < 3; i++) {
      expectResponse(await v1.readAll(cluster.node(i), user, 'U'), 200, allVersionsBody(['u1']));
      expectResponse(await v1.readAll(cluster.node(i), user, 'D'), 200, allVersionsBody(['d1']));
    }
    await expectAbsent(cluster, user, ['N', 'E']);
    expectResponse(await v1.update(cluster.node(0), user, 'U', 'u2'), 200, 'Secret updated (version: 2)');
  });

  it('DESIGN §10: a parse error on the last line → 400 and nothing applied', async () => {
    const user = uniqueUser('env-atomic-400');
    await v1.create(cluster.node(0), user, 'U', 'u1');
    await v1.create(cluster.node(0), user, 'D', 'd1');
    const file = 'N=new:n1\nU=update:u2\nD=delete\n\nBAD=frobnicate:x';
    expectError(await v1.env(cluster.node(1), user, file), 400, invalidAction(5));
    expectError(
      await v1.env(cluster.node(1), user, 'N=new:n1\nU=update:u2\nD=delete\nBAD'),
      400,
      invalidEntry(4),
    );
    await expectAbsent(cluster, user, ['N']);
    expectResponse(await v1.readAll(cluster.node(2), user, 'U'), 200, allVersionsBody(['u1']));
    expectResponse(await v1.readAll(cluster.node(2), user, 'D'), 200, allVersionsBody(['d1']));
  });
});
