// The audit trail's format version (issue #13): a line written by a newer DSV is reported as such by
// `dsv audit verify`, not as a modified record.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUDIT_FORMAT, parseRecordLine } from './audit-record.ts';

describe('audit format versions', () => {
  it('a record of a later audit format says which format and that a newer DSV wrote it', () => {
    const parsed = parseRecordLine(JSON.stringify({ v: AUDIT_FORMAT + 1, seq: 0 }));
    assert.deepEqual(parsed, {
      problem: `written by a newer DSV (audit format ${AUDIT_FORMAT + 1}; this build reads up to ${AUDIT_FORMAT})`,
    });
  });
});
