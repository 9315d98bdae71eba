// The audit trail's format version (issue #13): a line written by a newer DSV is reported as such by
// `dsv audit verify`, not as a modified record; and the sink's one-pass line is the canonical line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSecretKey, randomBytes } from 'node:crypto';
import {
  AUDIT_FORMAT,
  canonicalJson,
  GENESIS_HASH,
  hashRecord,
  parseRecordLine,
  sealRecord,
  sealRecordLine,
} from './audit-record.ts';

describe('audit format versions', () => {
  it('a record of a later audit format says which format and that a newer DSV wrote it', () => {
    const parsed = parseRecordLine(JSON.stringify({ v: AUDIT_FORMAT + 1, seq: 0 }));
    assert.deepEqual(parsed, {
      problem: `written by a newer DSV (audit format ${AUDIT_FORMAT + 1}; this build reads up to ${AUDIT_FORMAT})`,
    });
  });
});

describe('sealRecordLine (the sink writes one serialisation per record)', () => {
  const base = {
    seq: 7,
    time: '2026-12-03T10:00:00.000Z',
    requestId: 'req-1',
    node: 'node-1',
    tenant: 'team "a"\u2028',
    accessor: 'acc-1',
    operation: 'secret.read',
    pathHmac: 'ab'.repeat(32),
    outcome: 'ok' as const,
    status: 200,
    prevHash: GENESIS_HASH,
  };
  const chainKey = randomBytes(32);

  it('gives exactly the canonical JSON of the sealed record, keyed with a Buffer or a KeyObject alike', () => {
    const unsealed = { v: AUDIT_FORMAT as typeof AUDIT_FORMAT, ...base, target: null };
    const fromBuffer = sealRecordLine(unsealed, chainKey);
    const fromKeyObject = sealRecordLine(unsealed, createSecretKey(chainKey));
    assert.deepEqual(fromBuffer, fromKeyObject);
    assert.deepEqual(fromBuffer.record, sealRecord(unsealed, chainKey));
    assert.equal(fromBuffer.line, canonicalJson(fromBuffer.record));
    assert.deepEqual(parseRecordLine(fromBuffer.line), { record: fromBuffer.record });
  });

  it('does the same for a format 1 (unkeyed) record', () => {
    const sealed = sealRecordLine(base);
    assert.equal(sealed.line, canonicalJson(sealed.record));
    assert.equal(sealed.record.hash, hashRecord(base));
  });
});
