// The aws-kms adapter's unwrap against moto: encryption context, who rejects what, and KMS being unreachable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { startMoto, type Moto } from '../../../../test/testing/moto.ts';
import {
  MOTO_CREDENTIALS,
  MOTO_REGION,
  createMotoKey,
  expectKekUnavailable,
  motoKmsClient,
} from '../../../../test/testing/moto-kms.ts';
import { AwsKmsKekProvider, type AwsKmsKekOptions } from './aws-kms-kek-provider.ts';
import { DEK_WRAP_CONTEXT, KMS_CIPHERTEXT_MAX_LENGTH } from './aws-kms-wrap-format.ts';

const reasonOf = async (unwrapping: Promise<unknown>): Promise<string> => {
  const error = (await unwrapping.then(
    () => assert.fail('unwrap succeeded'),
    (e: unknown) => e,
  )) as { code?: string; details?: { reason?: string } };
  assert.equal(error.code, 'DSV_KEY_UNWRAP_FAILED');
  return error.details?.reason ?? '';
};

void describe('AwsKmsKekProvider unwrap (moto)', () => {
  let moto: Moto;
  let keyId: string;
  let provider: AwsKmsKekProvider;
  const options = (id: string): AwsKmsKekOptions => ({
    keyId: id,
    region: MOTO_REGION,
    endpoint: moto.endpoint,
    credentials: MOTO_CREDENTIALS,
  });
  /** Encrypts straight through the SDK under our key with any context, in the provider's wrapped format. */
  const wrappedWithContext = async (context: Record<string, string> | undefined): Promise<Uint8Array> => {
    const client = motoKmsClient(moto.endpoint);
    const out = await client.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: randomBytes(32), EncryptionContext: context }),
    );
    client.destroy();
    assert.ok(out.CiphertextBlob);
    return Buffer.concat([Buffer.of(0x01), out.CiphertextBlob]);
  };

  before(async () => {
    moto = await startMoto();
    keyId = await createMotoKey(moto.endpoint);
    provider = await AwsKmsKekProvider.open(options(keyId));
  });
  after(async () => {
    await provider?.close();
    await moto?.stop();
  });

  void it('control: a blob encrypted under our key with the DEK-wrap context unwraps', async () => {
    await provider.unwrap(await wrappedWithContext({ ...DEK_WRAP_CONTEXT }));
  });

  void it('I-K2: a blob of the same key under another encryption context is rejected by KMS', async () => {
    for (const context of [
      undefined,
      { purpose: 'something-else', version: '1' },
      { purpose: 'dsv-dek-wrap', version: '2' },
      { ...DEK_WRAP_CONTEXT, tenant: 'x' },
    ]) {
      const reason = await reasonOf(provider.unwrap(await wrappedWithContext(context)));
      assert.equal(reason, 'rejected-by-kms', JSON.stringify(context));
    }
  });

  void it('I-K2: every altered byte of the KMS ciphertext is rejected by KMS itself, not by our format', async () => {
    const wrapped = await provider.wrap(randomBytes(32));
    for (let at = 1; at < wrapped.length; at++) {
      const copy = Uint8Array.from(wrapped);
      copy[at]! ^= 0x80;
      // moto's blob starts with the key id in clear: changing it names an unknown key (AccessDenied), which
      // the provider settles as foreign after its own probe still decrypts. Real KMS answers InvalidCiphertext.
      const reason = await reasonOf(provider.unwrap(copy));
      assert.ok(['rejected-by-kms', 'foreign-key'].includes(reason), `byte ${at}: ${reason}`);
    }
  });

  void it('I-K2: a blob of another key is foreign, even though both keys are usable', async () => {
    const other = await AwsKmsKekProvider.open(options(await createMotoKey(moto.endpoint)));
    const reason = await reasonOf(provider.unwrap(await other.wrap(randomBytes(32))));
    // moto answers AccessDenied for a KeyId that does not match the blob; real KMS answers IncorrectKey.
    assert.ok(['foreign-key', 'rejected-by-kms'].includes(reason), reason);
    await other.close();
  });

  void it('our format rejects what is not a KMS ciphertext before any request', async () => {
    const wrapped = await provider.wrap(randomBytes(32));
    const changed = Uint8Array.from(wrapped);
    changed[0] = 0x02;
    assert.equal(await reasonOf(provider.unwrap(changed)), 'unknown-version');
    assert.equal(await reasonOf(provider.unwrap(wrapped.subarray(0, 1))), 'truncated');
    const huge = Buffer.concat([Buffer.of(0x01), randomBytes(KMS_CIPHERTEXT_MAX_LENGTH + 1)]);
    assert.equal(await reasonOf(provider.unwrap(huge)), 'too-long');
  });
});

void describe('AwsKmsKekProvider unreachable KMS', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  before(async () => {
    // Accepts connections and never answers: the request timeout, not a refused connection, must end it.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const openFast = async (endpoint: string, extra: Partial<AwsKmsKekOptions>, message: RegExp) => {
    const started = performance.now();
    const base = { keyId: 'alias/dsv', region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS };
    await assert.rejects(AwsKmsKekProvider.open({ ...base, ...extra }), expectKekUnavailable(message));
    const ms = performance.now() - started;
    assert.ok(ms < 3000, `failed after ${Math.round(ms)} ms`);
  };

  void it('a refused connection fails fast at open, with the default retries', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    await openFast(`http://127.0.0.1:${port}`, {}, /KMS endpoint unreachable \(ECONNREFUSED\)/);
  });

  void it('an endpoint that never answers fails within timeoutMs × maxAttempts', async () => {
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await openFast(
      `http://127.0.0.1:${port}`,
      { timeoutMs: 400, maxAttempts: 2 },
      /KMS endpoint unreachable/,
    );
  });

  void it('I-K1: a plain-HTTP endpoint off this machine is refused before any request', async () => {
    await openFast(
      'http://kms.example.com',
      {},
      /refusing the endpoint http:\/\/kms\.example\.com: DEKs may only be sent over https/,
    );
    await openFast('not a url', {}, /is not a URL/);
  });

  void it('KMS going away after open turns wrap and unwrap into DSV_KEK_UNAVAILABLE', async () => {
    const own = await startMoto();
    const provider = await AwsKmsKekProvider.open({
      keyId: await createMotoKey(own.endpoint),
      region: MOTO_REGION,
      endpoint: own.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 1,
    });
    const wrapped = await provider.wrap(randomBytes(32));
    await own.stop();
    await assert.rejects(provider.wrap(randomBytes(32)), expectKekUnavailable(/unreachable/));
    await assert.rejects(provider.unwrap(wrapped), expectKekUnavailable(/unreachable/));
    await provider.close();
  });
});
