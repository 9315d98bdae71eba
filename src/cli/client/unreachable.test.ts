// "Cannot reach URL" names the cause found in a fetch error's chain, with what to check (issue 11).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeUnreachable } from './unreachable.ts';

const fetchError = (cause: object): Error => new TypeError('fetch failed', { cause });
const URL_ = 'https://node.example:8443';

describe('describeUnreachable', () => {
  it('refused, DNS, TLS, timeout and reset each say so, with a hint', () => {
    const cases: Array<[object, RegExp]> = [
      [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), /connection refused .*npx dsv dev/],
      [new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), /connection refused/],
      [
        Object.assign(new Error('x'), { code: 'ENOTFOUND' }),
        /host not found \(DNS lookup of node\.example:8443/,
      ],
      [
        Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
        /TLS failed .*NODE_EXTRA_CA_CERTS/,
      ],
      [
        Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
        /TLS failed .*http:\/\/ vs https:\/\//,
      ],
      [Object.assign(new Error('x'), { name: 'TimeoutError' }), /no answer in time/],
      [Object.assign(new Error('x'), { code: 'ECONNRESET' }), /connection was closed/],
    ];
    for (const [cause, expected] of cases) {
      const message = describeUnreachable(URL_, fetchError(cause));
      assert.ok(message.startsWith(`Cannot reach ${URL_}: `), message);
      assert.match(message, expected);
    }
  });

  it('an unknown cause is named by its message, still with what to check', () => {
    assert.equal(
      describeUnreachable('http://127.0.0.1:1', fetchError(new Error('bad port'))),
      'Cannot reach http://127.0.0.1:1 (bad port): check --url, DSV_URL or the login (dsv login --url)',
    );
  });
});
