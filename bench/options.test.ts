// The bench's options: which groups the client-side target joins (issue 9), and that a wrong choice is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientSideGroups, parseOptions, UsageError } from './options.ts';

const groupsOf = (argv: string[]) => [...clientSideGroups(parseOptions(argv)!)];

describe('bench options: the client-side groups', () => {
  it('by default: every read and one PUT per concurrency (update where it runs, else create)', () => {
    assert.deepEqual(groupsOf([]), ['create@1', 'update@32', 'read@1', 'read@32']);
    assert.deepEqual(groupsOf(['--concurrency', '4']), ['update@4', 'read@4']);
    assert.deepEqual(groupsOf(['--workloads', 'create,mixed']), ['create@1', 'create@32']);
    assert.deepEqual(groupsOf(['--workloads', 'mixed,v1-put,v1-get']), []);
  });

  it('all: every create, update and read; none: no group', () => {
    assert.deepEqual(groupsOf(['--client-side', 'all']), [
      'create@1',
      'create@32',
      'update@32',
      'read@1',
      'read@32',
    ]);
    assert.deepEqual(groupsOf(['--client-side', 'none']), []);
    assert.throws(() => parseOptions(['--client-side', 'some']), UsageError);
  });
});
