// The KekProvider conformance suite: every adapter (local, pkcs11, aws-kms) runs it from a short test file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { KekProvider } from '../kek-provider.ts';

/** What an adapter test supplies: providers over two distinct key materials, re-openable. */
export interface KekProviderFixture {
  /** A fresh provider instance; two calls with the same material reach the same KEK. */
  open(material: 'primary' | 'other'): Promise<KekProvider>;
  /** Removes whatever the fixture created (temp dirs, HSM tokens, KMS keys). */
  cleanup?(): Promise<void>;
}

const unwrapFailed = { name: 'DsvError', code: 'DSV_KEY_UNWRAP_FAILED' };

export function runKekProviderConformance(
  name: string,
  makeFixture: () => Promise<KekProviderFixture>,
): void {
  void describe(`KekProvider conformance: ${name}`, () => {
    let fixture: KekProviderFixture;
    let provider: KekProvider;
    const opened: KekProvider[] = [];
    const open = async (material: 'primary' | 'other'): Promise<KekProvider> => {
      const p = await fixture.open(material);
      opened.push(p);
      return p;
    };

    before(async () => {
      fixture = await makeFixture();
      provider = await open('primary');
    });
    after(async () => {
      for (const p of opened) await p.close();
      await fixture.cleanup?.();
    });

    void it('I-K2: a wrapped DEK unwraps to the same bytes', async () => {
      const dek = randomBytes(32);
      assert.deepEqual(Buffer.from(await provider.unwrap(await provider.wrap(dek))), dek);
    });

    void it('I-K1: the wrapped form differs on every call and does not contain the DEK', async () => {
      const dek = randomBytes(32);
      const a = Buffer.from(await provider.wrap(dek));
      const b = Buffer.from(await provider.wrap(dek));
      assert.notDeepEqual(a, b);
      assert.ok(!a.includes(dek) && !b.includes(dek));
    });

    void it('I-K2: a wrapped DEK with any byte altered fails to unwrap', async () => {
      const wrapped = await provider.wrap(randomBytes(32));
      for (let at = 0; at < wrapped.length; at++) {
        const copy = Uint8Array.from(wrapped);
        copy[at]! ^= 1 << (at % 8);
        await assert.rejects(provider.unwrap(copy), unwrapFailed, `byte ${at}`);
      }
    });

    void it('I-K2: a truncated or extended wrapped DEK fails to unwrap', async () => {
      const wrapped = await provider.wrap(randomBytes(32));
      for (const length of [0, 1, Math.floor(wrapped.length / 2), wrapped.length - 1]) {
        await assert.rejects(provider.unwrap(wrapped.subarray(0, length)), unwrapFailed, `length ${length}`);
      }
      await assert.rejects(provider.unwrap(Buffer.concat([wrapped, Buffer.of(0)])), unwrapFailed);
    });

    void it('I-K2: foreign bytes fail to unwrap', async () => {
      const wrapped = await provider.wrap(randomBytes(32));
      await assert.rejects(provider.unwrap(randomBytes(wrapped.length)), unwrapFailed);
    });

    void it('a second instance over the same key material unwraps what the first wrapped', async () => {
      const dek = randomBytes(32);
      const wrapped = await provider.wrap(dek);
      const again = await open('primary');
      assert.deepEqual(Buffer.from(await again.unwrap(wrapped)), dek);
      assert.deepEqual(Buffer.from(await provider.unwrap(await again.wrap(dek))), dek);
    });

    void it('I-K2: a provider over different key material cannot unwrap', async () => {
      const wrapped = await provider.wrap(randomBytes(32));
      const other = await open('other');
      await assert.rejects(other.unwrap(wrapped), unwrapFailed);
      await assert.rejects(provider.unwrap(await other.wrap(randomBytes(32))), unwrapFailed);
    });

    void it('I-K1: errors carry no key bytes', async () => {
      const dek = randomBytes(32);
      const wrapped = Uint8Array.from(await provider.wrap(dek));
      wrapped[wrapped.length - 1]! ^= 1;
      const error: unknown = await provider.unwrap(wrapped).then(
        () => undefined,
        (e: unknown) => e,
      );
      const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
      for (const encoding of ['hex', 'base64'] as const) assert.ok(!text.includes(dek.toString(encoding)));
    });

    void it('a closed provider refuses to wrap or unwrap', async () => {
      const p = await open('primary');
      const wrapped = await p.wrap(randomBytes(32));
      await p.close();
      await assert.rejects(p.wrap(randomBytes(32)), { name: 'DsvError' });
      await assert.rejects(p.unwrap(wrapped), { name: 'DsvError' });
    });
  });
}
