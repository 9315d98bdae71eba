// The kmip KEK adapter against a real PyKMIP server (TLS 1.2, client certificates required): the conformance
// suite, then what only KMIP has: the version spoken, TLS client authentication, key ownership, a server that
// goes away and comes back, a destroyed key, and that the key never leaves the server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { startKmip, type KmipServer } from '../../../../test/testing/kmip.ts';
import { openKekProvider, type KekSource } from '../../../node/sealers.ts';
import { resolvePaths, serverConfigSchema, type ServerConfig } from '../../../node/server/server-config.ts';
import { runKekProviderConformance } from '../testing/conformance.ts';
import { KmipClient } from './kmip-client.ts';
import { KmipKekProvider, type KmipKekOptions } from './kmip-kek-provider.ts';

/** One PyKMIP for the whole file (the first run on a machine installs it into .cache/: about 15 s). */
let kmip: KmipServer | undefined;
before(async () => {
  kmip = await startKmip();
});
after(async () => {
  await kmip?.dispose();
});
const server = (): KmipServer => {
  assert.ok(kmip, 'PyKMIP is started by the root before hook');
  return kmip;
};

const options = (
  key: { keyUid: string } | { keyName: string },
  more: Partial<KmipKekOptions> = {},
): KmipKekOptions => ({
  host: server().host,
  port: server().port,
  caFile: server().pki.ca,
  certFile: server().pki.clientCert,
  keyFile: server().pki.clientKey,
  timeoutMs: 3000,
  ...key,
  ...more,
});

const unavailable =
  (pattern: RegExp) =>
  (error: unknown): boolean => {
    assert.equal((error as { code?: string }).code, 'DSV_KEK_UNAVAILABLE', String(error));
    assert.match((error as Error).message, pattern);
    return true;
  };

async function adminClient(s: KmipServer = server()): Promise<KmipClient> {
  const [ca, cert, key] = await Promise.all(
    [s.pki.ca, s.pki.clientCert, s.pki.clientKey].map((p) => readFile(p)),
  );
  return KmipClient.connect({ host: s.host, port: s.port, ca: ca!, cert: cert!, key: key!, timeoutMs: 3000 });
}

runKekProviderConformance('kmip (PyKMIP)', async () => {
  const names = { primary: `dsv-test-${randomUUID()}`, other: `dsv-test-${randomUUID()}` };
  return {
    // The first open of each material creates (and activates) the key; later opens Locate it by name.
    open: (material) =>
      KmipKekProvider.open(options({ keyName: names[material] }, { createKeyIfMissing: true })),
    async cleanup() {
      const client = await adminClient();
      for (const name of Object.values(names)) {
        for (const uid of await client.locateByName(name)) await client.revokeAndDestroy(uid);
      }
      client.close();
    },
  };
});

void describe('KmipKekProvider against PyKMIP', () => {
  void it('negotiates KMIP 2.0 with PyKMIP 0.11 (it serves 1.0–2.0: a 2.1 header is refused)', async () => {
    const provider = await KmipKekProvider.open(
      options({ keyName: `v-${randomUUID()}` }, { createKeyIfMissing: true }),
    );
    assert.equal(provider.protocolVersion, '2.0');
    assert.equal(
      JSON.stringify(provider),
      JSON.stringify({ kind: 'kmip', keyUid: provider.keyUid, protocolVersion: '2.0' }),
    );
    await provider.close();
    await assert.rejects(
      KmipKekProvider.open(options({ keyUid: provider.keyUid }, { protocolVersion: '2.1' })),
      unavailable(/Invalid Message/),
    );
  });

  void it('opens a key by its Unique Identifier, and unwraps what the by-name provider wrapped', async () => {
    const byName = await KmipKekProvider.open(
      options({ keyName: `u-${randomUUID()}` }, { createKeyIfMissing: true }),
    );
    const byUid = await KmipKekProvider.open(options({ keyUid: byName.keyUid }));
    const dek = randomBytes(32);
    assert.deepEqual(Buffer.from(await byUid.unwrap(await byName.wrap(dek))), dek);
    await byName.close();
    await byUid.close();
  });

  void it('a missing key name, an unknown key id, or no key configured is DSV_KEK_UNAVAILABLE', async () => {
    await assert.rejects(
      KmipKekProvider.open(options({ keyName: `missing-${randomUUID()}` })),
      unavailable(/no key named .* \(set createKeyIfMissing/),
    );
    await assert.rejects(
      KmipKekProvider.open(options({ keyUid: '999999' })),
      unavailable(/cannot encrypt and decrypt/),
    );
    await assert.rejects(
      KmipKekProvider.open({ ...options({ keyUid: '1' }), keyName: 'x' }),
      unavailable(/exactly one of keyUid and keyName/),
    );
  });

  void it('a client certificate from an untrusted CA is refused in the TLS handshake', async () => {
    const rogue = options(
      { keyName: 'any' },
      { certFile: server().pki.rogueCert, keyFile: server().pki.rogueKey },
    );
    await assert.rejects(
      KmipKekProvider.open(rogue),
      unavailable(/cannot connect to the KMIP server|closed the connection/),
    );
  });

  void it('a client without a certificate gets no KMIP service', async () => {
    const ca = await readFile(server().pki.ca);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: server().host, port: server().port, ca, servername: 'localhost' });
      socket.once('secureConnect', () => {
        // TLS 1.2: the server's refusal may arrive after our side of the handshake completed.
        socket.write(Buffer.alloc(8));
        socket.once('data', () => resolve('answered'));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
      socket.once('close', () => resolve('closed'));
    });
    assert.match(outcome, /^(error|closed)/);
  });

  void it('a server certificate not issued by the configured CA is refused by the provider', async () => {
    const wrongCa = options({ keyName: 'any' }, { caFile: server().pki.rogueCa });
    await assert.rejects(
      KmipKekProvider.open(wrongCa),
      unavailable(/cannot connect.*(CERT|SIGNATURE|ISSUER)/),
    );
  });

  void it("another client identity cannot use this node's key (PyKMIP: only the owner may)", async () => {
    const mine = await KmipKekProvider.open(
      options({ keyName: `own-${randomUUID()}` }, { createKeyIfMissing: true }),
    );
    const other = options(
      { keyUid: mine.keyUid },
      { certFile: server().pki.otherCert, keyFile: server().pki.otherKey },
    );
    await assert.rejects(KmipKekProvider.open(other), unavailable(/cannot encrypt and decrypt/));
    await mine.close();
  });

  void it("a node config's kek { kind: 'kmip' } (relative paths) opens through the composition root", async () => {
    const s = server();
    const kek = serverConfigSchema.shape.kek.parse({
      kind: 'kmip',
      host: s.host,
      port: s.port,
      caFile: 'pki/ca.pem',
      certFile: 'pki/client.pem',
      keyFile: 'pki/client.key',
      keyName: `cfg-${randomUUID()}`,
      createKeyIfMissing: true,
    });
    // resolvePaths makes the TLS file paths absolute against the config file's directory.
    const node = {
      dataDir: 'd',
      identityDir: 'i',
      tls: { caFile: 'a', certFile: 'b', keyFile: 'c' },
      log: {},
    };
    const resolved = resolvePaths({ ...node, kek } as unknown as ServerConfig, s.dir).kek;
    assert.equal(resolved.kind === 'kmip' && resolved.caFile, s.pki.ca);
    const provider = await openKekProvider(resolved as KekSource, s.dir);
    assert.equal(provider.kind, 'kmip');
    const dek = randomBytes(32);
    assert.deepEqual(Buffer.from(await provider.unwrap(await provider.wrap(dek))), dek);
    await provider.close();
  });

  void it('a destroyed key seals the node: unwrap is DSV_KEK_UNAVAILABLE, not a bad blob', async () => {
    const provider = await KmipKekProvider.open(
      options({ keyName: `d-${randomUUID()}` }, { createKeyIfMissing: true }),
    );
    const wrapped = await provider.wrap(randomBytes(32));
    const client = await adminClient();
    await client.revokeAndDestroy(provider.keyUid);
    client.close();
    await assert.rejects(provider.unwrap(wrapped), unavailable(/no longer decrypts its own probe/));
    await assert.rejects(provider.wrap(randomBytes(32)), unavailable(/Encrypt failed/));
    await provider.close();
  });
});

void describe('KmipKekProvider when the server goes away', () => {
  let own: KmipServer | undefined;
  after(async () => {
    await own?.dispose();
  });

  void it('server down → DSV_KEK_UNAVAILABLE for open, wrap and unwrap; back up → the old wraps unwrap', async () => {
    own = await startKmip();
    const name = `down-${randomUUID()}`;
    const at = (s: KmipServer): KmipKekOptions => ({
      host: s.host,
      port: s.port,
      caFile: s.pki.ca,
      certFile: s.pki.clientCert,
      keyFile: s.pki.clientKey,
      keyName: name,
      createKeyIfMissing: true,
      timeoutMs: 2000,
    });
    const provider = await KmipKekProvider.open(at(own));
    const dek = randomBytes(32);
    const wrapped = await provider.wrap(dek);
    await own.stop();

    await assert.rejects(
      provider.wrap(randomBytes(32)),
      unavailable(/Encrypt failed: cannot connect.*ECONNREFUSED/),
    );
    await assert.rejects(
      provider.unwrap(wrapped),
      unavailable(/Decrypt failed: cannot connect.*ECONNREFUSED/),
    );
    await assert.rejects(KmipKekProvider.open(at(own)), unavailable(/ECONNREFUSED/));
    await provider.close();

    // Same directory (database and PKI), a new port: the key is still there and still the node's.
    own = await startKmip({ dir: own.dir });
    const again = await KmipKekProvider.open(at(own));
    assert.equal(again.keyUid, provider.keyUid);
    assert.deepEqual(Buffer.from(await again.unwrap(wrapped)), dek);
    await again.close();
  });
});

// Last in the file: by now every test above has run against this server.
void describe('the KEK stays in the KMIP server', () => {
  void it('I-K5: no request of any test here asked the server for key material (Get, Export)', async () => {
    const log = await readFile(server().logFile, 'utf8');
    assert.match(log, /Processing operation: Encrypt/);
    assert.match(log, /Processing operation: Decrypt/);
    assert.doesNotMatch(log, /Processing operation: (Get|Export|GetAttributes)\b/);
  });
});
