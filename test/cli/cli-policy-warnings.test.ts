// Issue #11: `dsv policy put` warns on a capability DSV does not have, says what was probably meant, and
// stores nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { unknownCapabilityWarnings } from '../../src/cli/commands/policy-command.ts';
import { startDevForCli, type DevClusterForCli } from '../testing/cli-harness.ts';

describe('policy put: unknown capabilities', () => {
  it('names each unknown capability with its rule and a likely meaning', () => {
    assert.deepEqual(
      unknownCapabilityWarnings([
        { path: 'app/*', capabilities: ['read', 'write'] },
        { path: 'ops/*', capabilities: ['READ', 'sudo', 'frobnicate'] },
      ]),
      [
        'warning: rule 1: unknown capability "write" (did you mean create,update?); capabilities are read, create, update, delete, list, history, admin, hold, hold-release',
        'warning: rule 2: unknown capability "READ" (did you mean read?); capabilities are read, create, update, delete, list, history, admin, hold, hold-release',
        'warning: rule 2: unknown capability "sudo" (did you mean admin?); capabilities are read, create, update, delete, list, history, admin, hold, hold-release',
        'warning: rule 2: unknown capability "frobnicate"; capabilities are read, create, update, delete, list, history, admin, hold, hold-release',
      ],
    );
    assert.deepEqual(unknownCapabilityWarnings([{ path: 'app/*', capabilities: ['read', 'list'] }]), []);
  });

  describe('dsv policy put', () => {
    let dev: DevClusterForCli;
    before(async () => {
      dev = await startDevForCli();
      assert.equal((await dev.cli(['login', '--url', dev.url, '--token', dev.rootToken])).code, 0);
    });
    after(async () => {
      await dev?.stop();
    });

    it('--rule with an unknown capability: warning, nothing stored, exit 1', async () => {
      const put = await dev.cli(['policy', 'put', 'app-rw', '--rule', 'app/*:read,write']);
      assert.equal(put.code, 1, put.stderr);
      assert.match(
        put.stderr,
        /^warning: rule 1: unknown capability "write" \(did you mean create,update\?\)/m,
      );
      assert.match(put.stderr, /error \[DSV_INPUT_INVALID\]: policy app-rw not stored: 1 unknown capability/);
      const list = await dev.cli(['policy', 'list', '--json']);
      assert.deepEqual((JSON.parse(list.stdout) as { policies: unknown[] }).policies, []);
    });

    it('--file too; known capabilities are stored without a warning', async () => {
      const file = join(dev.home, 'rules.json');
      writeFileSync(file, JSON.stringify([{ path: 'app/*', capabilities: ['read', 'sudo'] }]));
      const bad = await dev.cli(['policy', 'put', 'ops', '--file', file]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /unknown capability "sudo" \(did you mean admin\?\)/);
      const good = await dev.cli(['policy', 'put', 'app-rw', '--rule', 'app/*:read,create,update']);
      assert.equal(good.code, 0, good.stderr);
      assert.doesNotMatch(good.stderr, /warning/);
    });
  });
});
