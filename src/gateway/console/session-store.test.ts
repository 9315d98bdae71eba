// Console sessions: random ids, the token never handed back for anything but a live id, absolute and idle
// lifetimes, a bounded count, sign-out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionStore } from './session-store.ts';

const TOKEN = 'dsv.' + 'A'.repeat(43);

describe('SessionStore', () => {
  it('maps a random 256-bit id to the token; unknown, malformed and missing ids resolve to nothing', () => {
    const store = new SessionStore();
    const a = store.create(TOKEN);
    const b = store.create(TOKEN);
    assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.id, b.id);
    assert.ok(!a.id.includes(TOKEN));
    assert.equal(store.resolve(a.id), TOKEN);
    assert.equal(store.resolve(undefined), undefined);
    assert.equal(store.resolve(''), undefined);
    assert.equal(store.resolve('x'.repeat(43)), undefined);
    assert.equal(store.resolve(`${a.id}x`), undefined);
    assert.equal(store.resolve(TOKEN), undefined);
  });

  it('ends a session after its absolute lifetime, when idle too long, or at the token expiry', () => {
    let now = 1_000_000;
    const store = new SessionStore({ absoluteMs: 10_000, idleMs: 4_000 }, () => now);
    const session = store.create(TOKEN);
    assert.equal(session.expiresAt, now + 10_000);
    for (let i = 0; i < 3; i++) {
      now += 3_000; // used within the idle limit
      assert.equal(store.resolve(session.id), TOKEN);
    }
    now += 1_000; // 10 s after sign-in
    assert.equal(store.resolve(session.id), undefined);

    const idle = store.create(TOKEN);
    now += 4_000;
    assert.equal(store.resolve(idle.id), undefined);

    const short = store.create(TOKEN, now + 1_000);
    assert.equal(short.expiresAt, now + 1_000);
    now += 1_000;
    assert.equal(store.resolve(short.id), undefined);
  });

  it('signs out, and keeps at most maxSessions (the oldest goes first)', () => {
    const store = new SessionStore({ maxSessions: 2 });
    const first = store.create(TOKEN);
    const second = store.create(TOKEN);
    const third = store.create(TOKEN);
    assert.equal(store.size, 2);
    assert.equal(store.resolve(first.id), undefined);
    assert.equal(store.resolve(second.id), TOKEN);
    store.delete(third.id);
    assert.equal(store.resolve(third.id), undefined);
    store.delete('not-a-session');
    assert.equal(store.size, 1);
  });

  it('one token signing in again and again ends its own oldest sessions, never another token’s', () => {
    const store = new SessionStore({ maxSessions: 4, maxPerToken: 2 });
    const alice = store.create('dsv.alice');
    const flood = Array.from({ length: 20 }, () => store.create('dsv.mallory'));
    assert.equal(store.resolve(alice.id), 'dsv.alice');
    assert.equal(store.size, 3);
    assert.deepEqual(
      flood.map((session) => store.resolve(session.id) !== undefined),
      [...Array<boolean>(18).fill(false), true, true],
    );
    // Full (4): the token holding the most gives up its oldest, not the lone session of another.
    const bob = store.create('dsv.bob');
    const carol = store.create('dsv.carol');
    assert.equal(store.size, 4);
    for (const [session, token] of [
      [alice, 'dsv.alice'],
      [bob, 'dsv.bob'],
      [carol, 'dsv.carol'],
    ] as const)
      assert.equal(store.resolve(session.id), token);
    assert.equal(flood.filter((session) => store.resolve(session.id) !== undefined).length, 1);
  });
});
