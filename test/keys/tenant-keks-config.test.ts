// Node config for tenant-held keys (I-K8): `tenantKeks` entries are validated per provider, their file paths are
// resolved against the config file's directory like the node's own KEK, and the opener uses only an entry that
// matches (tenant, provider, keyRef) exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolvePaths, serverConfigSchema, type ServerConfig } from '../../src/node/server/server-config.ts';
import { tenantKekOpener } from '../../src/node/tenant-kek-opener.ts';

const tenantKeks = serverConfigSchema.shape.tenantKeks;

describe('tenantKeks node config', () => {
  it('I-K8: entries are checked per provider; a KMIP port defaults to 5696; unknown providers are refused', () => {
    const parsed = tenantKeks.parse([
      { tenant: 'acme', provider: 'aws-kms', keyRef: 'arn:aws:kms:eu-west-1:1:key/k', region: 'eu-west-1' },
      {
        tenant: 'acme',
        provider: 'kmip',
        keyRef: 'uid-1',
        host: 'kms',
        caFile: 'ca',
        certFile: 'c',
        keyFile: 'k',
      },
    ]);
    assert.equal(parsed?.[1]?.provider === 'kmip' ? parsed[1].port : 0, 5696);
    assert.equal(tenantKeks.safeParse([{ tenant: 'acme', provider: 'vault', keyRef: 'x' }]).success, false);
    assert.equal(tenantKeks.safeParse([{ tenant: 'acme', provider: 'aws-kms', keyRef: 'x' }]).success, false);
    assert.equal(
      serverConfigSchema.shape.tenantKeyCacheMs.safeParse(-1).success,
      false,
      'the cache bound cannot be negative',
    );
  });

  it('I-K8: file paths are made absolute against the config file; the opener matches tenant, provider and keyRef exactly', async () => {
    const entries = tenantKeks.parse([
      { tenant: 'acme', provider: 'local', keyRef: 'k1', keyFile: 'keys/acme.key' },
      {
        tenant: 'acme',
        provider: 'pkcs11',
        keyRef: 'label',
        modulePath: '/m.so',
        tokenLabel: 't',
        pinFile: 'pin',
      },
    ]);
    const config = {
      dataDir: 'd',
      identityDir: 'i',
      tls: { caFile: 'a', certFile: 'b', keyFile: 'c' },
      kek: { kind: 'key-file', path: 'kek.key' },
      log: {},
      tenantKeks: entries,
    } as unknown as ServerConfig;
    const resolved = resolvePaths(config, '/etc/dsv').tenantKeks ?? [];
    assert.deepEqual(
      resolved.map((entry) =>
        entry.provider === 'local' ? entry.keyFile : entry.provider === 'pkcs11' ? entry.pinFile : '',
      ),
      ['/etc/dsv/keys/acme.key', '/etc/dsv/pin'],
    );
    const opener = tenantKekOpener(resolved);
    // Another tenant naming acme's key, or another provider with the same ref, reaches nothing.
    assert.equal(await opener.open('beta', 'local', 'k1'), undefined);
    assert.equal(await opener.open('acme', 'aws-kms', 'k1'), undefined);
    assert.equal(await opener.open('acme', 'local', 'k2'), undefined);
  });
});
