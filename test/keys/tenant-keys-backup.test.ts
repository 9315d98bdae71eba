// The acceptance test of tenant-held keys (issue 14, I-K6, I-K7), exactly as the issue asks, against real
// `dsv server` processes, a real Kafka broker and AWS KMS served by moto: back up every node's data dir; the
// tenant destroys its key in its KMS (acme), a tenant is crypto-shredded and its key disabled (delta); restore
// the backups and start the nodes: neither tenant reads anything, a tenant without a tenant key (beta) reads
// everything, no file of the restored dirs holds a value, and offline the node's own KEK opens the outer layer
// of the backups' data keys but never yields acme's or delta's. A tenant whose KMS is stopped (gamma) answers
// 503 DSV_TENANT_KEY_UNAVAILABLE while the others are untouched. Also prints what a tenant key costs per op.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { DisableKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { partitionForTenant } from '../../src/cluster/placement.ts';
import { newToken } from '../../src/control/index.ts';
import { Keyring, LocalKekProvider, TenantKekLayer } from '../../src/keys/index.ts';
import { loadServerConfig, nodeConfigFile } from '../../src/node/server/index.ts';
import { tokenVerifiers } from '../../src/trust/index.ts';
import { tenantKekOpener } from '../../src/node/tenant-kek-opener.ts';
import type { TenantKekEntry } from '../../src/node/tenant-keks-config.ts';
import { forgedEnvelope, openLogWriter, plainRecord } from '../testing/adversary-log-writer.ts';
import { runDsv } from '../testing/dsv-process.ts';
import { startMoto, type Moto } from '../testing/moto.ts';
import { createMotoKey, MOTO_CREDENTIALS, MOTO_REGION, motoKmsClient } from '../testing/moto-kms.ts';
import { startMultiProcessCluster, type MultiProcessCluster } from '../testing/multi-process-cluster.ts';

const CACHE_MS = 1000;
const NODES = [0, 1, 2];

interface Answer {
  status: number;
  code: string | null;
  json: Record<string, unknown>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe(
  'tenant-held keys reach offline backups (real node processes, Kafka, moto)',
  { timeout: 900_000 },
  () => {
    let cluster: MultiProcessCluster;
    let moto: Moto;
    let gammaMoto: Moto;
    let root = '';
    let clusterDir = '';
    const backupRoot = join(tmpdir(), `dsv-tenant-key-backups-${process.pid}`);
    const keys = new Map<string, string>();
    const tokens = new Map<string, string>();
    /** Every value written, per tenant (high-entropy, so a scan can find any copy). */
    const values = new Map<string, Map<string, string>>();
    let entries: TenantKekEntry[] = [];

    const url = (i: number): string => cluster.urls[i] ?? '';
    const call = async (node: number, method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${url(node)}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      return {
        status: response.status,
        code: typeof json.code === 'string' ? json.code : null,
        json,
      } satisfies Answer;
    };
    const token = (tenant: string) => tokens.get(tenant) ?? '';
    const write = async (node: number, tenant: string, name: string) => {
      const value = randomBytes(24).toString('hex');
      const put = await call(node, 'PUT', `/v2/secrets/app/${name}`, token(tenant), { value });
      assert.ok([200, 201].includes(put.status), `${tenant}/${name}: ${JSON.stringify(put.json)}`);
      const mine = values.get(tenant) ?? new Map<string, string>();
      mine.set(name, value);
      values.set(tenant, mine);
    };
    const read = (node: number, tenant: string, name: string) =>
      call(node, 'GET', `/v2/secrets/app/${name}`, token(tenant));
    const dsv = async (args: string[], tokenValue = root) => {
      const cli = runDsv([...args], { DSV_TOKEN: tokenValue });
      const code = await cli.exited;
      return { code, output: cli.output() };
    };
    const expectEveryRead = async (tenant: string, status: number, code: string | null) => {
      for (const node of NODES) {
        for (const [name, value] of values.get(tenant) ?? []) {
          const answer = await read(node, tenant, name);
          if (status === 200)
            assert.deepEqual([answer.status, answer.json.value], [200, value], `${tenant} node-${node}`);
          else
            assert.deepEqual(
              [answer.status, answer.code],
              [status, code],
              `${tenant}/${name} via node-${node}`,
            );
        }
      }
    };
    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
    /**
     * A token of `tenant` that may read, write and administer it. Root writes the tenant's policy and mints the
     * token where it may; where root administers no tenant (admin separation, I-T4) it names the tenant's
     * bootstrap admin from verifiers of a token only this test holds, and that admin does the rest.
     */
    const ownerToken = async (tenant: string): Promise<string> => {
      const rules = [{ path: '*/*', capabilities: ['read', 'create', 'update', 'delete', 'list', 'admin'] }];
      let admin = root;
      let policy = await call(0, 'PUT', `/v2/sys/policies/owner?tenant=${tenant}`, admin, { rules });
      if (policy.status === 403 && policy.code === 'DSV_APPROVAL_REQUIRED') {
        const topology = await call(0, 'GET', '/v2/client-side/topology', root);
        const { clusterId, nodes } = topology.json as { clusterId: string; nodes: Array<{ nodeId: string }> };
        admin = newToken();
        const verifiers = tokenVerifiers(
          admin,
          clusterId,
          nodes.map((node) => node.nodeId),
        );
        const named = await call(0, 'POST', `/v2/sys/tenants/${tenant}/admin`, root, { verifiers });
        assert.equal(named.status, 201, JSON.stringify(named.json));
        policy = await call(0, 'PUT', '/v2/sys/policies/owner', admin, { rules });
      }
      assert.equal(policy.status, 200, JSON.stringify(policy.json));
      const created = await call(0, 'POST', '/v2/sys/tokens', admin, { tenant, policies: ['owner'] });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      return created.json.token as string;
    };

    before(async () => {
      const started = Date.now();
      moto = await startMoto();
      gammaMoto = await startMoto();
      for (const tenant of ['acme', 'delta']) keys.set(tenant, await createMotoKey(moto.endpoint));
      keys.set('gamma', await createMotoKey(gammaMoto.endpoint));
      // Each node's credentials for the tenants' KMS: the standard AWS chain of its process (here: environment).
      process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
      entries = [...keys].map(([tenant, keyRef]) => ({
        tenant,
        provider: 'aws-kms' as const,
        keyRef,
        region: MOTO_REGION,
        endpoint: tenant === 'gamma' ? gammaMoto.endpoint : moto.endpoint,
      }));
      cluster = await startMultiProcessCluster({
        configure: (config) => ({ ...config, tenantKeyCacheMs: CACHE_MS, tenantKeks: entries }),
      });
      clusterDir = dirname(dirname(resolve(cluster.dataDir(0))));
      const issued = runDsv(['cluster', 'root-token', '--config', nodeConfigFile(clusterDir, 0), '--json']);
      assert.equal(await issued.exited, 0, issued.output());
      const line = issued
        .output()
        .split('\n')
        .find((text) => text.trim().startsWith('{'));
      root = (JSON.parse(line ?? '{}') as { token?: string }).token ?? '';
      assert.ok(root, issued.output());
      for (const tenant of ['acme', 'beta', 'gamma', 'delta']) {
        assert.equal((await call(0, 'POST', '/v2/sys/tenants', root, { name: tenant })).status, 201);
        tokens.set(tenant, await ownerToken(tenant));
      }
      console.log(`cluster and two moto servers up in ${Date.now() - started} ms`);
    });

    after(async () => {
      await cluster?.stopAll();
      await moto?.stop();
      await gammaMoto?.stop();
      rmSync(backupRoot, { recursive: true, force: true });
    });

    it('I-K6: `dsv tenant key set` records the key on every node; the tenant admin sees it usable', async () => {
      const set = await dsv(
        ['tenant', 'key', 'set', '--provider', 'aws-kms', '--ref', keys.get('acme') ?? '', '--url', url(1)],
        token('acme'),
      );
      assert.equal(set.code, 0, set.output);
      assert.match(set.output, /confirmed node-0, node-1, node-2/);
      for (const tenant of ['delta', 'gamma']) {
        const put = await call(2, 'PUT', '/v2/sys/tenant-key', token(tenant), {
          provider: 'aws-kms',
          keyRef: keys.get(tenant),
        });
        assert.equal(put.status, 200, JSON.stringify(put.json));
      }
      for (const tenant of ['acme', 'beta', 'gamma', 'delta']) {
        for (let i = 0; i < 6; i++) await write(i % 3, tenant, `s${i}`);
      }
      const status = await dsv(['tenant', 'key', 'status', '--url', url(0)], token('acme'));
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, /usable\s+yes/);
      assert.match(status.output, /[1-9]\d* under aws-kms:/);
      // `dsv keys status` shows which layer wraps each tenant's active key (root: every node, every tenant).
      const keysStatus = await dsv(['keys', 'status', '--url', url(0)]);
      assert.equal(keysStatus.code, 0, keysStatus.output);
      assert.match(keysStatus.output, /acme\s+active key \d+.*under tenant key aws-kms:/);
      assert.doesNotMatch(keysStatus.output, /beta\s+active key \d+.*under tenant key/);
      for (const tenant of ['acme', 'beta', 'gamma', 'delta']) await expectEveryRead(tenant, 200, null);
    });

    it("I-K8: a log writer's tenant-key-set and tenant-key-revoke (plain, and forged node envelopes) change no tenant's key", async () => {
      const log = loadServerConfig(nodeConfigFile(clusterDir, 0)).log;
      const writer = openLogWriter(cluster.kafka.bootstrap, log.topic, {
        client: cluster.kafkaAccess.logWriter,
      });
      const attacks = [
        // beta's data under a key the attacker controls (here: gamma's, on a KMS it could reach).
        { type: 'tenant-key-set', tenant: 'beta', provider: 'aws-kms', keyRef: keys.get('gamma'), by: 'x' },
        // acme's data destroyed by a revocation nobody endorsed.
        { type: 'tenant-key-revoke', tenant: 'acme', by: 'x' },
      ];
      try {
        for (const attack of attacks) {
          const body = { ...attack, time: Date.now(), rid: randomBytes(8).toString('hex'), endorsements: [] };
          const partition = partitionForTenant(attack.tenant, log.partitions);
          await writer.append(partition, plainRecord(body));
          for (const signer of cluster.nodeIds) await writer.append(partition, forgedEnvelope(signer, body));
        }
      } finally {
        await writer.close();
      }
      // A write of each tenant through each node orders after the forged records on its partition.
      for (const node of NODES)
        for (const tenant of ['acme', 'beta']) await write(node, tenant, `after-attack-${node}`);
      for (const node of NODES) {
        const beta = await call(node, 'GET', '/v2/sys/tenant-key', token('beta'));
        assert.deepEqual([beta.status, beta.json.key], [200, null], `node-${node}`);
        const acme = await call(node, 'GET', '/v2/sys/tenant-key', token('acme'));
        const key = acme.json.key as { keyRef: string; revoked: boolean };
        assert.deepEqual([key.keyRef, key.revoked, acme.json.usable], [keys.get('acme'), false, true]);
      }
      for (const tenant of ['acme', 'beta']) await expectEveryRead(tenant, 200, null);
    });

    it('I-K7: what a tenant key costs per operation (printed), with the DEK cache warm', async () => {
      const timings = new Map<string, { write: number[]; read: number[] }>();
      for (const tenant of ['beta', 'acme', 'beta', 'acme']) {
        const figures = timings.get(tenant) ?? { write: [], read: [] };
        for (let i = 0; i < 20; i++) {
          let at = performance.now();
          await write(0, tenant, `bench-${i}`);
          figures.write.push(performance.now() - at);
          at = performance.now();
          assert.equal((await read(1, tenant, `bench-${i}`)).status, 200);
          figures.read.push(performance.now() - at);
        }
        timings.set(tenant, figures);
      }
      const line = (tenant: string) => {
        const figures = timings.get(tenant) ?? { write: [], read: [] };
        return `write ${median(figures.write).toFixed(1)} ms, read ${median(figures.read).toFixed(1)} ms`;
      };
      console.log(`median of 40 ops, 3 processes, Kafka, moto — no tenant key: ${line('beta')}`);
      console.log(`median of 40 ops, 3 processes, Kafka, moto — tenant key (aws-kms): ${line('acme')}`);
    });

    it("I-K7: a tenant whose KMS is down answers 503 DSV_TENANT_KEY_UNAVAILABLE; the other tenants don't notice", async () => {
      await gammaMoto.stop();
      await sleep(CACHE_MS + 200);
      await expectEveryRead('gamma', 503, 'DSV_TENANT_KEY_UNAVAILABLE');
      const refused = await call(0, 'PUT', '/v2/secrets/app/new', token('gamma'), { value: 'x' });
      assert.deepEqual([refused.status, refused.code], [503, 'DSV_TENANT_KEY_UNAVAILABLE']);
      for (const tenant of ['acme', 'beta', 'delta']) await expectEveryRead(tenant, 200, null);
      await write(2, 'beta', 'while-gamma-down');
      // The tenant gives up on it: `dsv tenant key revoke` needs --yes, and no KMS (it destroys, never decrypts).
      const unconfirmed = await dsv(['tenant', 'key', 'revoke', '--url', url(1)], token('gamma'));
      assert.equal(unconfirmed.code, 2, unconfirmed.output);
      const revoked = await dsv(['tenant', 'key', 'revoke', '--yes', '--url', url(1)], token('gamma'));
      assert.equal(revoked.code, 0, revoked.output);
      assert.match(revoked.output, /revoked/);
      await expectEveryRead('gamma', 410, 'DSV_TENANT_KEY_REVOKED');
      values.delete('gamma'); // revoked: nothing of it is readable for the rest of the file
    });

    it('I-K6: backups of every node, then the tenant destroys its key (acme) and a tenant is shredded with its key disabled (delta): restored nodes read nothing of them', async () => {
      // 1. Back up every node's data dir: the documented way, a copy of a stopped node's directory.
      for (const i of NODES) await cluster.stop(i);
      for (const i of NODES) cpSync(cluster.dataDir(i), join(backupRoot, `node-${i}`), { recursive: true });
      for (const i of NODES) await cluster.start(i);

      // 2. acme destroys its key in its own KMS; delta is crypto-shredded and disables its key.
      const kms = motoKmsClient(moto.endpoint);
      try {
        await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keys.get('acme'), PendingWindowInDays: 7 }));
        const shred = await dsv(['tenant', 'shred', 'delta', '--yes', '--url', url(0)]);
        assert.equal(shred.code, 0, shred.output);
        await kms.send(new DisableKeyCommand({ KeyId: keys.get('delta') }));
      } finally {
        kms.destroy();
      }
      await sleep(CACHE_MS + 200);
      await expectEveryRead('acme', 503, 'DSV_TENANT_KEY_UNAVAILABLE');
      // A shredded tenant's tokens authenticate nothing (I-T1): its reads are refused before any key is used.
      await expectEveryRead('delta', 401, 'DSV_AUTH_REQUIRED');

      // 3. Restore the backups and start the nodes.
      for (const i of NODES) await cluster.stop(i);
      for (const i of NODES) {
        rmSync(cluster.dataDir(i), { recursive: true, force: true });
        cpSync(join(backupRoot, `node-${i}`), cluster.dataDir(i), { recursive: true });
      }
      for (const i of NODES) await cluster.start(i);
      for (const i of NODES) await cluster.awaitCaughtUp(i, 60_000);

      // 4. Read: nothing of acme or delta, everything of beta.
      await expectEveryRead('acme', 503, 'DSV_TENANT_KEY_UNAVAILABLE');
      await expectEveryRead('delta', 401, 'DSV_AUTH_REQUIRED');
      await expectEveryRead('beta', 200, null);
      // Each restored node replayed the shred from the log: delta's data keys and shards are gone again.
      for (const i of NODES) {
        const db = new DatabaseSync(join(cluster.dataDir(i), 'node.sqlite'), { readOnly: true });
        try {
          const count = (sql: string) => (db.prepare(sql).get('delta') as { n: number }).n;
          assert.equal(
            count(`SELECT count(*) AS n FROM keys_deks WHERE tenant = ? AND state != 'destroyed'`),
            0,
          );
          assert.equal(count('SELECT count(*) AS n FROM shards WHERE tenant = ?'), 0);
        } finally {
          db.close();
        }
      }
      const status = await dsv(['tenant', 'key', 'status', '--url', url(2), '--json'], token('acme'));
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, /"usable":\s*false/);
      assert.match(status.output, /DSV_TENANT_KEY_UNAVAILABLE/);

      // 5. At-rest scan of the restored dirs: no value of any tenant, in any encoding.
      for (const file of NODES.flatMap((i) => filesUnder(cluster.dataDir(i)))) {
        const bytes = readFileSync(file);
        for (const [tenant, written] of values) {
          for (const value of written.values()) {
            for (const form of [value, Buffer.from(value).toString('base64')]) {
              assert.ok(!bytes.includes(form), `${tenant}'s value in ${file}`);
            }
          }
        }
      }
    });

    it("I-K6: offline, a backup with its node's own KEK opens beta's data keys but not acme's or delta's", async () => {
      for (const i of NODES) {
        const copy = join(backupRoot, `offline-${i}.sqlite`);
        cpSync(join(backupRoot, `node-${i}`, 'node.sqlite'), copy);
        const config = loadServerConfig(nodeConfigFile(clusterDir, i));
        assert.equal(config.kek.kind, 'key-file');
        const kek = await LocalKekProvider.fromKeyFile(config.kek.kind === 'key-file' ? config.kek.path : '');
        const db = new DatabaseSync(copy);
        // What a thief with the backup, the node's KEK and the tenants' KMS endpoints (and credentials) can do.
        const tenantKeys = new TenantKekLayer({
          directory: { tenantKey: () => undefined },
          opener: tenantKekOpener(entries),
          cacheMs: 0,
        });
        const keyring = await Keyring.open({ db, kek, tenantKeys });
        try {
          const rows = db
            .prepare(`SELECT id, tenant FROM keys_deks WHERE state != 'destroyed' ORDER BY id`)
            .all() as Array<{ id: number; tenant: string }>;
          for (const tenant of ['acme', 'delta', 'beta']) {
            const mine = rows.filter((row) => row.tenant === tenant);
            assert.ok(mine.length > 0, `node-${i}'s backup holds ${tenant}'s wrapped data keys`);
            for (const row of mine) {
              if (tenant === 'beta') {
                assert.ok(await keyring.keyById(row.id), 'control: the backup is otherwise readable');
                continue;
              }
              await assert.rejects(keyring.keyById(row.id), (error: unknown) => {
                assert.equal((error as { code?: string }).code, 'DSV_TENANT_KEY_UNAVAILABLE');
                return true;
              });
            }
          }
        } finally {
          keyring.close();
          await tenantKeys.close();
          await kek.close();
          db.close();
        }
      }
    });
  },
);
