// CSRF checks and the session cookie's attributes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost, readCookie, sessionCookie } from './cookies.ts';
import { csrfRefusal } from './csrf.ts';

const facts = (headers: Record<string, string>, host = '127.0.0.1:8080', protocol = 'http') => ({
  protocol,
  host,
  headers,
});

describe('console CSRF checks', () => {
  it('needs the console header; accepts same origin, refuses other origins and cross-site fetches', () => {
    assert.equal(csrfRefusal(facts({ 'x-dsv-console': '1' })), undefined);
    assert.equal(csrfRefusal(facts({ 'x-dsv-console': '1', origin: 'http://127.0.0.1:8080' })), undefined);
    assert.equal(csrfRefusal(facts({ 'x-dsv-console': '1', 'sec-fetch-site': 'same-origin' })), undefined);
    assert.match(csrfRefusal(facts({})) ?? '', /header/);
    assert.match(csrfRefusal(facts({ 'x-dsv-console': 'yes' })) ?? '', /header/);
    assert.match(
      csrfRefusal(facts({ 'x-dsv-console': '1', origin: 'https://evil.example' })) ?? '',
      /cross-origin/,
    );
    assert.match(
      csrfRefusal(facts({ 'x-dsv-console': '1', origin: 'https://127.0.0.1:8080' })) ?? '',
      /cross-origin/,
    );
    assert.match(csrfRefusal(facts({ 'x-dsv-console': '1', origin: 'null' })) ?? '', /cross-origin/);
    assert.match(
      csrfRefusal(facts({ 'x-dsv-console': '1', 'sec-fetch-site': 'same-site' })) ?? '',
      /cross-site/,
    );
    assert.match(csrfRefusal(facts({ 'x-dsv-console': '1' }, '')) ?? '', /Host/);
  });
});

describe('console session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/ and Secure off loopback; clearing sets Max-Age=0', () => {
    const id = 'a'.repeat(43);
    assert.equal(
      sessionCookie(id, { secure: false, maxAgeSeconds: 60.7 }),
      `dsv_console=${id}; Max-Age=60; Path=/; HttpOnly; SameSite=Strict`,
    );
    assert.match(sessionCookie(id, { secure: true, maxAgeSeconds: 1 }), /; Secure$/);
    assert.equal(
      sessionCookie(null, { secure: false }),
      'dsv_console=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict',
    );
    assert.ok(isLoopbackHost('127.0.0.1:8080'));
    assert.ok(isLoopbackHost('localhost'));
    assert.ok(isLoopbackHost('[::1]:8080'));
    assert.ok(!isLoopbackHost('vault.example:8080'));
    assert.ok(!isLoopbackHost('127.0.0.1.evil.example'));
  });

  it('reads only the named cookie', () => {
    assert.equal(readCookie('a=1; dsv_console=xyz; b=2', 'dsv_console'), 'xyz');
    assert.equal(readCookie('xdsv_console=1', 'dsv_console'), undefined);
    assert.equal(readCookie(undefined, 'dsv_console'), undefined);
    assert.equal(readCookie('x'.repeat(9000), 'dsv_console'), undefined);
  });
});
