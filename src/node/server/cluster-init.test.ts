// `dsv cluster init` output: files that load, keys 0600, peers on https, no overwrite, copyable node dirs.
import assert from 'node:assert/strict';
import { loadNodeIdentity } from '../../trust/index.ts';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadNodeTls } from '../tls/index.ts';
import { initCluster } from './cluster-init.ts';
import { kafkaSecurity } from './server-node.ts';
import { loadServerConfig } from './server-config.ts';

describe('cluster init', () => {
  const root = mkdtempSync(join(tmpdir(), 'dsv-init-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes a CA and, per node, a config that loads, a CA-issued certificate and 0600 secrets', async () => {
    const dir = join(root, 'a');
    const result = await initCluster({
      nodes: 3,
      dir,
      kafka: ['kafka-1:9092', 'kafka-2:9092'],
      basePort: 7000,
    });
    assert.deepEqual(result.sharing, { n: 3, k: 2, w: 2, r: 1 });
    assert.equal(statSync(join(dir, 'ca', 'ca.key')).mode & 0o777, 0o600);
    const configs = result.configFiles.map((file) => loadServerConfig(file));
    for (const [i, config] of configs.entries()) {
      assert.equal(config.nodeId, `node-${i}`);
      assert.equal(config.devMode, false, 'production configs refuse anonymous v1');
      assert.deepEqual([config.publicListen.port, config.peerListen.port], [7000 + i, 8000 + i]);
      assert.deepEqual(config.log, {
        kind: 'kafka',
        bootstrap: ['kafka-1:9092', 'kafka-2:9092'],
        topic: 'dsv-log',
        partitions: 12,
        replicationFactor: 3,
        minInsyncReplicas: 2,
      });
      assert.deepEqual(config.kek, { kind: 'passphrase' });
      assert.equal(loadNodeTls(config.tls).identity, config.nodeId);
      // I-G4: one certificate for serving (serverAuth only), another for calling peers (clientAuth only).
      const usage = (file: string | undefined) => new X509Certificate(readFileSync(file ?? '')).keyUsage;
      assert.deepEqual(usage(config.tls.certFile), ['1.3.6.1.5.5.7.3.1']);
      assert.deepEqual(usage(config.tls.clientCertFile), ['1.3.6.1.5.5.7.3.2']);
      for (const secret of [
        config.tls.keyFile,
        join(config.identityDir, 'identity.json'),
        join(config.identityDir, 'log.key'),
      ]) {
        assert.equal(statSync(secret).mode & 0o777, 0o600, secret);
      }
      assert.ok(config.members.every((member) => member.peerUrl.startsWith('https://127.0.0.1:')));
    }
    // I-G4: every node has its own peer token; the manifest holds only their hashes.
    const tokens = configs.map((config) => loadNodeIdentity(config.identityDir).peerToken);
    assert.equal(new Set(tokens).size, configs.length, 'one peer token per node');
  });

  it('refuses to overwrite an existing cluster', async () => {
    const dir = join(root, 'a');
    await assert.rejects(
      initCluster({ nodes: 3, dir, kafka: ['k:9092'], basePort: 7000 }),
      /already holds a cluster/,
    );
  });

  it('with --hosts: peers are addressed by host, certificates name them, servers bind 0.0.0.0', async () => {
    const dir = join(root, 'b');
    const hosts = ['vault-0.internal', 'vault-1.internal', '10.1.2.3'];
    const result = await initCluster({
      nodes: 3,
      dir,
      kafka: ['k:9092'],
      basePort: 8080,
      hosts,
      kek: 'key-file',
    });
    const config = loadServerConfig(result.configFiles[2] ?? '');
    assert.deepEqual(
      config.members.map((member) => member.peerUrl),
      ['https://vault-0.internal:9080', 'https://vault-1.internal:9081', 'https://10.1.2.3:9082'],
    );
    assert.equal(config.peerListen.host, '0.0.0.0');
    assert.equal(config.kek.kind, 'key-file');
    assert.match(
      new X509Certificate(readFileSync(config.tls.certFile)).subjectAltName ?? '',
      /IP Address:10\.1\.2\.3/,
    );
  });

  it('a node config copied elsewhere with its node directory still loads (paths are relative to it)', async () => {
    const moved = join(root, 'moved');
    cpSync(join(root, 'a', 'node-1'), join(moved, 'node-1'), { recursive: true });
    cpSync(join(root, 'a', 'node-1.json'), join(moved, 'node-1.json'));
    const config = loadServerConfig(join(moved, 'node-1.json'));
    assert.equal(config.dataDir, join(moved, 'node-1', 'data'));
    assert.equal(loadNodeTls(config.tls).identity, 'node-1');
  });

  it('--kafka-ca and --kafka-sasl: log.tls and log.sasl per node, a SCRAM user and a 0600 password each', async () => {
    const dir = join(root, 'kafka-secure');
    const kafkaCa = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const result = await initCluster({
      nodes: 2,
      dir,
      kafka: ['kafka-1:9093'],
      basePort: 7100,
      kafkaCa: { pem: kafkaCa },
      kafkaSasl: true,
    });
    const configs = result.configFiles.map((file) => loadServerConfig(file));
    const passwords = new Set<string>();
    for (const [i, config] of configs.entries()) {
      assert.deepEqual(config.log.tls, { caFile: join(dir, `node-${i}`, 'tls', 'kafka-ca.crt') });
      assert.deepEqual(config.log.sasl, {
        mechanism: 'SCRAM-SHA-512',
        username: `dsv-node-${i}`,
        passwordFile: join(dir, `node-${i}`, 'kafka.password'),
      });
      assert.equal(statSync(config.log.sasl?.passwordFile ?? '').mode & 0o777, 0o600);
      const security = kafkaSecurity(config.log);
      assert.equal(security.tls?.ca, kafkaCa);
      assert.match(security.sasl?.password ?? '', /^[A-Za-z0-9_-]{43}$/);
      passwords.add(security.sasl?.password ?? '');
    }
    assert.equal(passwords.size, 2, 'one password per node');
    assert.deepEqual(
      result.kafkaUsers.map((user) => user.username),
      ['dsv-node-0', 'dsv-node-1'],
    );
    // The cluster CA itself may sign the brokers (dsv dev --kafka).
    const own = await initCluster({
      nodes: 1,
      dir: join(root, 'kafka-own-ca'),
      kafka: ['k:9093'],
      basePort: 7200,
      kafkaCa: 'cluster-ca',
    });
    const config = loadServerConfig(own.configFiles[0] ?? '');
    assert.equal(readFileSync(config.log.tls?.caFile ?? '', 'utf8'), readFileSync(config.tls.caFile, 'utf8'));
    assert.equal(config.log.sasl, undefined);
    await assert.rejects(
      initCluster({
        nodes: 1,
        dir: join(root, 'kafka-bad-ca'),
        kafka: ['k:9093'],
        basePort: 7300,
        kafkaCa: { pem: 'not a certificate' },
      }),
      /no PEM certificate/,
    );
  });

  it('a config file that does not validate is refused with every problem named', () => {
    const file = join(root, 'bad.json');
    writeFileSync(file, JSON.stringify({ nodeId: 'node-0', log: { kind: 'kafka', bootstrap: ['nope'] } }));
    assert.throws(
      () => loadServerConfig(file),
      (error: Error) => /dataDir/.test(error.message) && /host:port/.test(error.message),
    );
  });
});
