// v1 contract end to end (API-V1.md): every validation error with its exact status and message, and every
// error body is exactly `{"message": string}` — malformed JSON, 405, 415 and unknown routes included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v1 } from '../testing/v1-client.ts';
import { expectError, expectErrorShape, expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser, useV1Cluster } from '../testing/v1-fixture.ts';

const USER_REQUIRED = 'User is required';
const KEY_REQUIRED = 'Secret key is required';
const VALUE_REQUIRED = 'Secret value is required';
const NOT_FOUND = 'Secret not found';

type Method = 'POST' | 'PUT' | 'DELETE';

/** A JSON request with the headers dsvc sends; `body` is sent as given (object → JSON, string → raw). */
function send(base: string, method: Method, body: unknown, contentType = 'application/json') {
  return v1.raw(`${base}/api/v1/secrets`, {
    method,
    headers: { 'content-type': contentType, accept: 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const BLANKS: readonly unknown[] = [undefined, null, '', '   ', '\t\n'];
const withField = (field: string, value: unknown) => (value === undefined ? {} : { [field]: value });

describe('v1 validation errors', () => {
  const cluster = useV1Cluster();

  it('POST: missing or blank user, secretName; missing secretValue — exact 400 messages', async () => {
    const base = cluster.node(0);
    const user = uniqueUser('val-post');
    expectError(await send(base, 'POST', {}), 400, USER_REQUIRED);
    for (const blank of BLANKS) {
      const label = JSON.stringify(blank) ?? 'missing';
      const noUser = { secretName: 'k', secretValue: 'v', ...withField('user', blank) };
      expectError(await send(base, 'POST', noUser), 400, USER_REQUIRED, `user ${label}`);
      const noName = { user, secretValue: 'v', ...withField('secretName', blank) };
      expectError(await send(base, 'POST', noName), 400, KEY_REQUIRED, `name ${label}`);
    }
    expectError(await send(base, 'POST', { user, secretName: 'k' }), 400, VALUE_REQUIRED);
    expectError(await send(base, 'POST', { user, secretName: 'k', secretValue: null }), 400, VALUE_REQUIRED);
    expectError(await v1.read(cluster.node(1), user, 'k'), 404, NOT_FOUND);
  });

  it('POST: an empty secretValue is allowed (201) and reads back as the empty string', async () => {
    const user = uniqueUser('val-empty');
    expectResponse(await v1.create(cluster.node(0), user, 'k', ''), 201, 'Secret created (version: 1)');
    expectResponse(await v1.read(cluster.node(1), user, 'k'), 200, '');
    expectResponse(await v1.readAll(cluster.node(2), user, 'k'), 200, '{"1":""}');
    expectResponse(await v1.update(cluster.node(2), user, 'k', 'x'), 200, 'Secret updated (version: 2)');
    expectResponse(await v1.update(cluster.node(0), user, 'k', ''), 200, 'Secret updated (version: 3)');
    expectResponse(await v1.read(cluster.node(1), user, 'k'), 200, '');
  });

  it('PUT: missing or blank user, secretCurrentName; missing secretUpdatedValue; missing key → 404', async () => {
    const base = cluster.node(1);
    const user = uniqueUser('val-put');
    await v1.create(base, user, 'k', 'v');
    for (const blank of BLANKS) {
      const label = JSON.stringify(blank) ?? 'missing';
      const noUser = { secretCurrentName: 'k', secretUpdatedValue: 'v2', ...withField('user', blank) };
      expectError(await send(base, 'PUT', noUser), 400, USER_REQUIRED, `user ${label}`);
      const noName = { user, secretUpdatedValue: 'v2', ...withField('secretCurrentName', blank) };
      expectError(await send(base, 'PUT', noName), 400, KEY_REQUIRED, `name ${label}`);
    }
    expectError(await send(base, 'PUT', { user, secretCurrentName: 'k' }), 400, VALUE_REQUIRED);
    // The create field names are not the update field names.
    expectError(await send(base, 'PUT', { user, secretName: 'k', secretValue: 'v2' }), 400, KEY_REQUIRED);
    expectError(await v1.update(cluster.node(2), user, 'missing', 'v'), 404, NOT_FOUND);
    expectResponse(await v1.readAll(cluster.node(0), user, 'k'), 200, '{"1":"v"}');
  });

  it('DELETE: missing or blank user, deleteName; missing key → 404', async () => {
    const base = cluster.node(2);
    const user = uniqueUser('val-del');
    await v1.create(base, user, 'k', 'v');
    for (const blank of BLANKS) {
      const label = JSON.stringify(blank) ?? 'missing';
      const noUser = { deleteName: 'k', ...withField('user', blank) };
      expectError(await send(base, 'DELETE', noUser), 400, USER_REQUIRED, `user ${label}`);
      const noName = { user, ...withField('deleteName', blank) };
      expectError(await send(base, 'DELETE', noName), 400, KEY_REQUIRED, `name ${label}`);
    }
    expectError(await v1.remove(cluster.node(0), user, 'missing'), 404, NOT_FOUND);
    expectResponse(await v1.read(cluster.node(1), user, 'k'), 200, 'v');
  });

  it('GET: missing or blank ?user= is 400 User is required, for a version and for /all', async () => {
    const base = cluster.node(0);
    const user = uniqueUser('val-get');
    await v1.create(base, user, 'k', 'v');
    for (const query of ['', '?', '?user=', '?user=%20%20', '?user=+', '?version=1', '?User=x']) {
      expectError(await v1.raw(`${base}/api/v1/secrets/k${query}`, {}), 400, USER_REQUIRED);
      expectError(await v1.raw(`${base}/api/v1/secrets/k/all${query}`, {}), 400, USER_REQUIRED);
    }
  });

  it('GET ?version=: non-numeric → 400; 0, negative, unknown → 404 Secret not found', async () => {
    const base = cluster.node(1);
    const user = uniqueUser('val-ver');
    await v1.create(base, user, 'k', 'v1');
    for (const version of ['abc', '1.5', '1e0', '0x1', 'one', '%20']) {
      expectErrorShape(await v1.read(base, user, 'k', version), 400);
    }
    for (const version of [0, -1, -100, 2, 99, '9007199254740993', '99999999999999999999']) {
      expectError(await v1.read(cluster.node(2), user, 'k', version), 404, NOT_FOUND);
    }
    expectError(await v1.read(base, user, 'missing', 1), 404, NOT_FOUND);
    expectResponse(await v1.read(base, user, 'k', 1), 200, 'v1');
  });

  it('duplicate create → 409 Secret already exists on every node; the value is unchanged', async () => {
    const user = uniqueUser('val-dup');
    expectResponse(await v1.create(cluster.node(0), user, 'k', 'first'), 201, 'Secret created (version: 1)');
    for (let i = 0; i < 3; i++) {
      expectError(await v1.create(cluster.node(i), user, 'k', `again ${i}`), 409, 'Secret already exists');
    }
    expectResponse(await v1.readAll(cluster.node(1), user, 'k'), 200, '{"1":"first"}');
  });

  it('malformed JSON, an empty body and a non-object JSON body → 400 {"message"}', async () => {
    const base = cluster.node(2);
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      for (const body of ['{bad', '{"user":"u",', '', '[]', 'null', '"text"', '42']) {
        expectErrorShape(await send(base, method, body), 400);
      }
    }
    expectError(await send(base, 'POST', '{bad'), 400, 'Malformed JSON request body');
  });

  it('a wrong content type → 415 {"message"} (text/plain, form, XML, none)', async () => {
    const base = cluster.node(0);
    const user = uniqueUser('val-415');
    const json = JSON.stringify({ user, secretName: 'k', secretValue: 'v' });
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        expectErrorShape(await send(base, method, json, type), 415);
      }
      const untyped = await v1.raw(`${base}/api/v1/secrets`, {
        method,
        body: new TextEncoder().encode(json),
      });
      expectErrorShape(untyped, 415);
    }
    expectError(await v1.read(cluster.node(1), user, 'k'), 404, NOT_FOUND);
  });

  it('a wrong method → 405 {"message"}', async () => {
    const base = cluster.node(1);
    const cases: Array<[string, string]> = [
      ['PATCH', '/api/v1/secrets'],
      ['GET', '/api/v1/secrets'],
      ['PATCH', '/api/v1/secrets/k?user=u'],
      ['POST', '/api/v1/secrets/k?user=u'],
      ['PUT', '/api/v1/secrets/k/all?user=u'],
      ['DELETE', '/api/v1/secrets/k?user=u'],
      ['PUT', '/api/v1/secrets/env?user=u'],
    ];
    for (const [method, path] of cases) {
      const response = await v1.raw(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'GET' ? null : '{}',
      });
      assert.equal(expectErrorShape(response, 405), `Request method '${method}' is not supported`, path);
    }
  });

  it('an unknown route → 404 {"message"}, with the error code header on every error', async () => {
    const base = cluster.node(2);
    for (const path of ['/nope', '/api/v1/secretsX', '/api/v1/secrets/a/b?user=u', '/api/v2/x', '/api']) {
      const response = await v1.raw(`${base}${path}`, {});
      expectErrorShape(response, 404);
      assert.ok(response.code, `${path}: no x-dsv-error-code header`);
    }
    expectError(await v1.raw(`${base}/nope`, {}), 404, 'Not found');
  });

  it('a malformed percent-encoding in the path → 400 {"message"}', async () => {
    const base = cluster.node(0);
    for (const path of [
      '/api/v1/secrets/%E0%A4%A?user=u',
      '/api/v1/secrets/%ZZ?user=u',
      '/api/v1/secrets/a%?user=u',
    ]) {
      expectErrorShape(await v1.raw(`${base}${path}`, {}), 400);
    }
  });
});
