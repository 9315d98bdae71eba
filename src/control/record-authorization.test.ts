// Who may make an intent naming a client-side stager (issue #9, I-S4c): only the stager itself, as every
// endorser judges it (I-T3) — a caller cannot order a write whose shards someone else would stage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayMakeRecord } from './record-authorization.ts';
import type { Caller } from './token-authenticator.ts';

const caller = (accessor: string): Caller => ({
  tenant: 'acme',
  accessor,
  root: false,
  can: (capability) => capability === 'create' || capability === 'update',
});
const intent = (stager?: string) => ({
  type: 'intent' as const,
  tenant: 'acme',
  ops: [{ op: 'create', namespace: 'app', name: 'db' }],
  ...(stager === undefined ? {} : { stager }),
});
const noTokens = () => undefined;

describe('client-side intents', () => {
  it('I-S4c: an intent is endorsed only when its stager is the caller itself', () => {
    assert.equal(mayMakeRecord(caller('acc-a'), intent('acc-a'), noTokens), true);
    assert.equal(mayMakeRecord(caller('acc-a'), intent('acc-b'), noTokens), false);
    assert.equal(mayMakeRecord(caller('acc-a'), intent(), noTokens), true); // server-side: no stager
    const root: Caller = { ...caller('root-acc'), root: true };
    assert.equal(mayMakeRecord(root, intent('acc-a'), noTokens), false); // not even root names another
  });
});
