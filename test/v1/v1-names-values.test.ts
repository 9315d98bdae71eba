// v1 contract end to end (API-V1.md, DESIGN §4): opaque names and users (percent-encoded like dsvc does),
// no separator collisions, and values up to exactly 64 KiB round-tripping byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dsvcQueryValue, dsvcQuote, dsvcReadUrl } from '../testing/dsvc-encoding.ts';
import { v1 } from '../testing/v1-client.ts';
import { allVersionsBody, expectError, expectErrorShape, expectResponse } from '../testing/v1-expect.ts';
import { uniqueUser, useV1Cluster } from '../testing/v1-fixture.ts';

const MAX_VALUE_BYTES = 65536;
const CREATED = 'Secret created (version: 1)';
const NOT_FOUND = 'Secret not found';

const NAMES = [
  'ключ/ü:日本 é',
  'a/b/c',
  'trailing/',
  'with space',
  ' padded ',
  '100%',
  '%2F',
  '%41%25',
  'q?x=1&user=other',
  'h#frag',
  'p+q',
  "bang!*'()",
  'semi;colon,comma',
  'back\\slash',
  'emoji 🔑',
  'all',
  'env',
  'x/all',
  'tab\there',
];

/** Exactly `bytes` bytes of UTF-8 with line breaks (LF, CRLF) and 2-, 3- and 4-byte characters. */
function valueOfBytes(bytes: number): string {
  const unit = 'line ü 日本 🔑\r\n\tquote " backslash \\ nul \u0000 end\n';
  let value = '';
  while (Buffer.byteLength(value) + Buffer.byteLength(unit) <= bytes) value += unit;
  value += 'x'.repeat(bytes - Buffer.byteLength(value));
  assert.equal(Buffer.byteLength(value), bytes);
  return value;
}

async function readBytes(url: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('v1 names, users and values', () => {
  const cluster = useV1Cluster();

  it('DESIGN §4: names with / : space % ? # + and non-ASCII round-trip through every node', async () => {
    const user = uniqueUser('names');
    for (const [i, name] of NAMES.entries()) {
      expectResponse(await v1.create(cluster.node(i), user, name, `value of ${name}`), 201, CREATED);
    }
    for (const [i, name] of NAMES.entries()) {
      expectResponse(await v1.read(cluster.node(i + 1), user, name), 200, `value of ${name}`);
      expectResponse(await v1.raw(dsvcReadUrl(cluster.node(i + 2), user, name), {}), 200, `value of ${name}`);
      expectResponse(
        await v1.update(cluster.node(i + 2), user, name, `v2 of ${name}`),
        200,
        'Secret updated (version: 2)',
      );
      expectResponse(
        await v1.raw(dsvcReadUrl(cluster.node(i), user, name, { all: true }), {}),
        200,
        allVersionsBody([`value of ${name}`, `v2 of ${name}`]),
      );
      expectResponse(
        await v1.raw(dsvcReadUrl(cluster.node(i + 1), user, name, { version: 1 }), {}),
        200,
        `value of ${name}`,
      );
    }
    // Names are opaque: no trimming, no decoding twice, no case folding.
    expectError(await v1.read(cluster.node(0), user, 'padded'), 404, NOT_FOUND);
    expectError(await v1.read(cluster.node(0), user, '/'), 404, NOT_FOUND);
    expectError(await v1.read(cluster.node(0), user, 'A%'), 404, NOT_FOUND);
    expectError(await v1.read(cluster.node(0), user, 'p q'), 404, NOT_FOUND);
    for (const [i, name] of NAMES.entries()) {
      expectResponse(await v1.remove(cluster.node(i), user, name), 204, '');
    }
  });

  it('users with / : space + & = ? # and non-ASCII are namespaces, sent the way dsvc encodes them', async () => {
    const user = `${uniqueUser('u')}/ß:日本 a+b&c=d?#`;
    expectResponse(await v1.create(cluster.node(0), user, 'k', 'v'), 201, CREATED);
    expectResponse(await v1.read(cluster.node(1), user, 'k'), 200, 'v');
    // dsvc's urlencode writes a space as '+'; a literal '+' as %2B.
    assert.ok(dsvcQueryValue(user).includes('+'));
    expectResponse(await v1.raw(dsvcReadUrl(cluster.node(2), user, 'k'), {}), 200, 'v');
    expectError(await v1.read(cluster.node(2), user.replace('a+b', 'a b'), 'k'), 404, NOT_FOUND);
  });

  it('DESIGN §4: no separator collisions between user and name', async () => {
    const prefix = uniqueUser('sep');
    const pairs: Array<[string, string]> = [
      [`${prefix}a`, 'b/c'],
      [`${prefix}a/b`, 'c'],
      [`${prefix}a:b`, 'c'],
      [`${prefix}a`, 'b:c'],
      [`${prefix}a\u0000b`, 'c'],
      [`${prefix}a`, 'b\u0000c'],
      [`${prefix}a|b`, 'c'],
      [`${prefix}a`, 'b|c'],
      [`${prefix}a.b`, 'c'],
      [`${prefix}a`, 'b.c'],
    ];
    for (const [i, [user, name]] of pairs.entries()) {
      expectResponse(await v1.create(cluster.node(i), user, name, `secret ${i}`), 201, CREATED);
    }
    for (const [i, [user, name]] of pairs.entries()) {
      expectResponse(
        await v1.readAll(cluster.node(i + 1), user, name),
        200,
        allVersionsBody([`secret ${i}`]),
      );
    }
    const [firstUser, firstName] = pairs[0] ?? ['', ''];
    expectResponse(await v1.remove(cluster.node(2), firstUser, firstName), 204, '');
    for (const [i, [user, name]] of pairs.entries()) {
      if (i > 0) expectResponse(await v1.read(cluster.node(i), user, name), 200, `secret ${i}`);
    }
  });

  it('a name of 1024 non-ASCII characters works through the path; 1025 characters is 400', async () => {
    const user = uniqueUser('long');
    const name = 'ключ'.repeat(256);
    expectResponse(await v1.create(cluster.node(0), user, name, 'long'), 201, CREATED);
    expectResponse(await v1.raw(dsvcReadUrl(cluster.node(1), user, name), {}), 200, 'long');
    expectErrorShape(await v1.create(cluster.node(2), user, `${name}x`, 'v'), 400);
    expectErrorShape(await v1.read(cluster.node(2), user, `${name}x`), 400);
  });

  it('a value of exactly 64 KiB with line breaks and multi-byte UTF-8 round-trips byte for byte', async () => {
    const user = uniqueUser('big');
    const value = valueOfBytes(MAX_VALUE_BYTES);
    const expected = Buffer.from(value, 'utf8');
    expectResponse(await v1.create(cluster.node(0), user, 'big', value), 201, CREATED);
    for (let i = 0; i < 3; i++) {
      const read = await readBytes(dsvcReadUrl(cluster.node(i), user, 'big'));
      assert.equal(read.status, 200);
      assert.ok(read.bytes.equals(expected), `node ${i}: value differs (${read.bytes.length} bytes)`);
    }
    const updated = `${value.slice(0, -1)}y`;
    expectResponse(
      await v1.update(cluster.node(1), user, 'big', updated),
      200,
      'Secret updated (version: 2)',
    );
    const all = await v1.readAll(cluster.node(2), user, 'big');
    assert.equal(all.status, 200);
    assert.equal(all.body, allVersionsBody([value, updated]));
  });

  it('small edge values round-trip exactly: empty, whitespace only, trailing newline, JSON-looking', async () => {
    const user = uniqueUser('edge');
    const values = ['', ' ', '  padded\n', '\n', '{"message":"x"}', 'null', '\u0000', '"'];
    for (const [i, value] of values.entries()) {
      expectResponse(await v1.create(cluster.node(i), user, `k${i}`, value), 201, CREATED);
      expectResponse(await v1.read(cluster.node(i + 1), user, `k${i}`), 200, value);
    }
  });

  it('65537 bytes is 413 with a message, counted in bytes not characters, and nothing is written', async () => {
    const user = uniqueUser('toolarge');
    expectErrorShape(await v1.create(cluster.node(0), user, 'k', 'x'.repeat(MAX_VALUE_BYTES + 1)), 413);
    // 65535 ASCII + one 2-byte character: 65536 characters, 65537 bytes.
    const multiByte = `${'x'.repeat(MAX_VALUE_BYTES - 1)}ü`;
    assert.equal(multiByte.length, MAX_VALUE_BYTES);
    expectErrorShape(await v1.create(cluster.node(1), user, 'k', multiByte), 413);
    expectErrorShape(await v1.create(cluster.node(1), user, 'k', valueOfBytes(MAX_VALUE_BYTES + 1)), 413);
    expectError(await v1.read(cluster.node(2), user, 'k'), 404, NOT_FOUND);
    expectResponse(await v1.create(cluster.node(2), user, 'k', 'small'), 201, CREATED);
    expectErrorShape(await v1.update(cluster.node(0), user, 'k', 'x'.repeat(MAX_VALUE_BYTES + 1)), 413);
    expectResponse(await v1.readAll(cluster.node(1), user, 'k'), 200, '{"1":"small"}');
    // A body past the server's body limit is refused before parsing, still as 413 {"message"}.
    expectErrorShape(await v1.create(cluster.node(0), user, 'huge', 'x'.repeat(2 * 1024 * 1024)), 413);
  });

  it('dsvc-style percent-encoding leaves only unreserved characters bare', () => {
    assert.equal(dsvcQuote("a/b :%?#+!*'()é"), 'a%2Fb%20%3A%25%3F%23%2B%21%2A%27%28%29%C3%A9');
    assert.equal(dsvcQueryValue('a b+c'), 'a+b%2Bc');
  });
});
