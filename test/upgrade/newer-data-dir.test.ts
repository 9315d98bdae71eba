// A data dir newer than this build is refused, clearly, before anything in it changes (issue #13): an older
// binary must never misread, or "migrate" back, what a newer one wrote.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { NODE_DB_FORMAT, schemaVersions } from '../../src/platform/schema-migrations.ts';
import { startTestCluster } from '../testing/dev-cluster.ts';

const nodeDb = (dataDir: string) => join(dataDir, 'node-0', 'node.sqlite');

function edit(dataDir: string, sql: string): void {
  const db = new DatabaseSync(nodeDb(dataDir));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('data dirs and schema versions', () => {
  it('a fresh node database records every context’s schema version and this build’s format', async () => {
    const test = await startTestCluster({ nodes: 3 });
    const { dataDir } = test;
    await test.stop({ keepData: true });
    const db = new DatabaseSync(nodeDb(dataDir), { readOnly: true });
    try {
      const versions = schemaVersions(db);
      const total = Object.values(versions).reduce((sum, version) => sum + version, 0);
      assert.equal(
        total,
        NODE_DB_FORMAT,
        `NODE_DB_FORMAT must be the sum of every context's migrations (${JSON.stringify(versions)}): bump it ` +
          'with every migration added, and capture an upgrade fixture of the release before (test/upgrade/README.md)',
      );
      const { user_version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
      assert.equal(user_version, NODE_DB_FORMAT);
    } finally {
      db.close();
    }
  });

  it('a database of a newer format, or one context’s newer schema, is refused with DSV_DATA_DIR_NEWER', async () => {
    const first = await startTestCluster({ nodes: 3 });
    const { dataDir } = first;
    await first.stop({ keepData: true });
    const before = readFileSync(nodeDb(dataDir));

    edit(dataDir, `PRAGMA user_version = ${NODE_DB_FORMAT + 1}`);
    await assert.rejects(startTestCluster({ nodes: 3, dataDir }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'DSV_DATA_DIR_NEWER');
      assert.match(error.message, /newer DSV \(database format \d+; this build reads up to \d+\)/);
      return true;
    });
    edit(dataDir, `PRAGMA user_version = ${NODE_DB_FORMAT}`);

    edit(dataDir, "UPDATE schema_versions SET version = version + 1 WHERE component = 'control'");
    await assert.rejects(startTestCluster({ nodes: 3, dataDir }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'DSV_DATA_DIR_NEWER');
      assert.match(error.message, /control tables were written by a newer DSV/);
      return true;
    });
    edit(dataDir, "UPDATE schema_versions SET version = version - 1 WHERE component = 'control'");
    assert.ok(before.length > 0);

    const again = await startTestCluster({ nodes: 3, dataDir });
    await again.stop();
  });
});
