// v1 `.env` endpoint end to end (API-V1.md "`.env` endpoint", DESIGN §10): the three request forms, the
// original line grammar's outputs, enc(...)/secret(...), on a real 3-node dev cluster.
import { describe, it } from 'node:test';
import { v1 } from '../testing/v1-client.ts';
import { envAsJson, envAsMultipart, envAsText } from '../testing/v1-env-forms.ts';
import { allVersionsBody, expectError, expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser, useV1Cluster } from '../testing/v1-fixture.ts';

describe('v1 .env: request forms and outputs', () => {
  const cluster = useV1Cluster();

  it('text/plain with ?user= creates, and the secrets are readable on every node at once', async () => {
    const user = uniqueUser('env-text');
    expectResponse(await envAsText(cluster.node(0), user, 'A=new:1\nB=new:2'), 200, 'A=1\nB=2');
    expectResponse(await v1.read(cluster.node(1), user, 'A'), 200, '1');
    expectResponse(await v1.read(cluster.node(2), user, 'B'), 200, '2');
    expectResponse(await envAsText(cluster.node(1), user, 'A=get', 'text/plain; charset=utf-8'), 200, 'A=1');
  });

  it('multipart/form-data with fields user and file (FormData + Blob)', async () => {
    const user = uniqueUser('env-multipart');
    const created = await envAsMultipart(cluster.node(1), { user, file: 'M=new:multi\r\nN=new:part\r\n' });
    expectResponse(created, 200, 'M=multi\nN=part');
    expectResponse(await envAsMultipart(cluster.node(2), { user, file: 'M=get' }), 200, 'M=multi');
    expectResponse(await envAsMultipart(cluster.node(0), { queryUser: user, file: 'N=get' }), 200, 'N=part');
  });

  it('application/json with envFileContent and the aliases content, env, envFile', async () => {
    const user = uniqueUser('env-json');
    const base = cluster.node(2);
    expectResponse(await envAsJson(base, { user, envFileContent: 'J1=new:a' }), 200, 'J1=a');
    expectResponse(await envAsJson(base, { user, content: 'J2=new:b' }), 200, 'J2=b');
    expectResponse(await envAsJson(base, { user, env: 'J3=new:c' }), 200, 'J3=c');
    expectResponse(await envAsJson(base, { user, envFile: 'J4=new:d' }), 200, 'J4=d');
    expectResponse(
      await v1.env(cluster.node(0), user, 'J1=get\nJ2=get\nJ3=get\nJ4=get'),
      200,
      'J1=a\nJ2=b\nJ3=c\nJ4=d',
    );
  });

  it('new / update / get / get:N / delete outputs: KEY=<value> lines joined by \\n, no trailing newline', async () => {
    const user = uniqueUser('env-grammar');
    const url = 'postgres://u:p@h:5432/db?x=1&y=2#frag';
    expectResponse(
      await v1.env(
        cluster.node(0),
        user,
        `# header\n\nURL=new:${url}\nEMPTY=new:\nOLD=new:v1\nGONE=new:bye\n`,
      ),
      200,
      `URL=${url}\nEMPTY=\nOLD=v1\nGONE=bye`,
    );
    expectResponse(
      await v1.env(cluster.node(1), user, 'OLD=update:v2\r\nGONE=delete\r\nURL=get\r\nEMPTY=get\r\n'),
      200,
      `OLD=v2\nURL=${url}\nEMPTY=`,
    );
    expectResponse(await v1.env(cluster.node(2), user, 'OLD=get:1\nURL=get:1'), 200, `OLD=v1\nURL=${url}`);
    expectResponse(await v1.env(cluster.node(2), user, 'OLD=get'), 200, 'OLD=v2');
    expectError(await v1.read(cluster.node(0), user, 'GONE'), 404, 'Secret not found');
    expectResponse(await v1.readAll(cluster.node(0), user, 'OLD'), 200, allVersionsBody(['v1', 'v2']));
  });

  it('a delete-only file answers 200 with an empty body and deletes everywhere', async () => {
    const user = uniqueUser('env-delete');
    await v1.create(cluster.node(0), user, 'D1', 'x');
    await v1.create(cluster.node(1), user, 'D2', 'y');
    expectResponse(await v1.env(cluster.node(2), user, 'D1=delete\nD2=delete'), 200, '');
    for (let i = 0; i < 3; i++) {
      expectError(await v1.read(cluster.node(i), user, 'D1'), 404, 'Secret not found');
      expectError(await v1.read(cluster.node(i), user, 'D2'), 404, 'Secret not found');
    }
  });

  it('DESIGN §5: an update to the same value in a file outputs the line and makes no new version', async () => {
    const user = uniqueUser('env-same');
    await v1.create(cluster.node(0), user, 'S', 'same');
    expectResponse(await v1.env(cluster.node(1), user, 'S=update:same'), 200, 'S=same');
    expectResponse(await v1.readAll(cluster.node(2), user, 'S'), 200, '{"1":"same"}');
  });

  it('DESIGN §10: NAME=enc(value) stores and outputs NAME=secret(NAME); X=secret(NAME) resolves', async () => {
    const user = uniqueUser('env-enc');
    expectResponse(
      await v1.env(cluster.node(0), user, 'DB_PASS=enc(p@ss:w=rd#1)\nAPI_KEY=enc("line1\\nline2")'),
      200,
      'DB_PASS=secret(DB_PASS)\nAPI_KEY=secret(API_KEY)',
    );
    expectResponse(await v1.read(cluster.node(1), user, 'DB_PASS'), 200, 'p@ss:w=rd#1');
    expectResponse(await v1.read(cluster.node(2), user, 'API_KEY'), 200, 'line1\nline2');
    expectResponse(
      await v1.env(cluster.node(1), user, 'PASSWORD=secret(DB_PASS)\nKEY=secret(API_KEY)'),
      200,
      // The '#' and the line break would not survive a dotenv reader bare, so those values are quoted.
      'PASSWORD="p@ss:w=rd#1"\nKEY="line1\\nline2"',
    );
    await v1.update(cluster.node(2), user, 'DB_PASS', 'plain2');
    expectResponse(
      await v1.env(cluster.node(0), user, 'NOW=secret(DB_PASS)\nTHEN=secret(DB_PASS, version=1)'),
      200,
      'NOW=plain2\nTHEN="p@ss:w=rd#1"',
    );
    expectResponse(await envAsText(cluster.node(2), user, 'X=secret(DB_PASS)'), 200, 'X=plain2');
  });

  it('reads in a file see the secrets as they were before the file (the batch is one snapshot)', async () => {
    const user = uniqueUser('env-snapshot');
    await v1.create(cluster.node(0), user, 'C', 'before');
    expectResponse(
      await v1.env(cluster.node(1), user, 'C=update:after\nD=secret(C)'),
      200,
      'C=after\nD=before',
    );
    expectResponse(await v1.env(cluster.node(2), user, 'C=delete\nE=secret(C)'), 200, 'E=after');
    expectError(await v1.read(cluster.node(0), user, 'C'), 404, 'Secret not found');
    expectError(await v1.env(cluster.node(0), user, 'F=enc(new)\nG=secret(F)'), 404, 'Secret not found: F');
    expectError(await v1.read(cluster.node(1), user, 'F'), 404, 'Secret not found');
  });

  it('.env writes share the v1 namespaces: a file for user A never touches user B', async () => {
    const [a, b] = [uniqueUser('env-a'), uniqueUser('env-b')];
    await v1.create(cluster.node(0), a, 'K', 'a-value');
    expectError(await v1.env(cluster.node(1), b, 'K=get'), 404, 'Secret not found: K');
    expectResponse(await v1.env(cluster.node(1), b, 'K=new:b-value'), 200, 'K=b-value');
    expectResponse(await v1.env(cluster.node(2), a, 'K=get'), 200, 'K=a-value');
  });
});
