// The pkcs11 KEK adapter against a real SoftHSM2: the conformance suite, plus login, key and HSM specifics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSoftHsm, type SoftHsm } from '../../../../test/testing/softhsm.ts';
import { inspectSoftHsm } from '../../../../test/testing/softhsm-inspect.ts';
import { runKekProviderConformance } from '../testing/conformance.ts';
import { Pkcs11KekProvider, type Pkcs11KekOptions } from './index.ts';

/** One SoftHSM2 per test file: it is read at C_Initialize, so every token is created before the first open. */
let hsm: Promise<SoftHsm> | undefined;
const softHsm = (): Promise<SoftHsm> =>
  (hsm ??= createSoftHsm({ tokenLabels: ['dsv-kek', 'dsv-pin', 'dsv-spare'] }));
after(async () => (await hsm)?.cleanup());

const options = async (
  keyLabel: string,
  extra: Partial<Pkcs11KekOptions> = {},
): Promise<Pkcs11KekOptions> => {
  const { modulePath, tokenLabel, pin } = await softHsm();
  return { modulePath, tokenLabel, pin, keyLabel, createKeyIfMissing: true, ...extra };
};

runKekProviderConformance('pkcs11 (SoftHSM2)', async () => {
  await softHsm();
  const labels = { primary: 'dsv-kek-primary', other: 'dsv-kek-other' };
  return { open: async (material) => Pkcs11KekProvider.open(await options(labels[material])) };
});

const kekUnavailable = (message: RegExp, secret?: string) => (error: unknown) => {
  const e = error as { name: string; code: string; status: number; message: string };
  assert.equal(e.name, 'DsvError');
  assert.equal(e.code, 'DSV_KEK_UNAVAILABLE');
  assert.equal(e.status, 503);
  assert.match(e.message, message);
  if (secret !== undefined) assert.ok(!JSON.stringify(error).includes(secret) && !e.message.includes(secret));
  return true;
};

void describe('Pkcs11KekProvider on SoftHSM2', () => {
  const open: Pkcs11KekProvider[] = [];
  const track = (p: Pkcs11KekProvider): Pkcs11KekProvider => (open.push(p), p);
  before(softHsm);
  after(async () => {
    for (const p of open) await p.close();
  });

  void it('a wrong PIN is DSV_KEK_UNAVAILABLE naming the cause, never the PIN', async () => {
    const base = await options('kek', { tokenLabel: 'dsv-pin' });
    await assert.rejects(
      Pkcs11KekProvider.open({ ...base, pin: 'not-the-pin-1234' }),
      kekUnavailable(
        /login to token 'dsv-pin' failed: the PIN is incorrect \(CKR_PIN_INCORRECT\)/,
        'not-the-pin-1234',
      ),
    );
  });

  void it('a wrong PIN is refused even while this process holds a login on the token', async () => {
    const base = await options('kek', { tokenLabel: 'dsv-pin' });
    track(await Pkcs11KekProvider.open(base));
    await assert.rejects(
      Pkcs11KekProvider.open({ ...base, pin: 'still-wrong-5678' }),
      kekUnavailable(/login to token 'dsv-pin' failed: the PIN is incorrect/, 'still-wrong-5678'),
    );
  });

  void it('a missing key is DSV_KEK_UNAVAILABLE unless createKeyIfMissing is on', async () => {
    await assert.rejects(
      Pkcs11KekProvider.open(await options('never-created', { createKeyIfMissing: false })),
      kekUnavailable(
        /no AES key labelled 'never-created' on token 'dsv-kek' \(and createKeyIfMissing is off\)/,
      ),
    );
    track(await Pkcs11KekProvider.open(await options('created-now')));
    track(await Pkcs11KekProvider.open(await options('created-now', { createKeyIfMissing: false })));
  });

  void it('a token chosen by slot id reaches the same key as by label', async () => {
    const byLabel = track(await Pkcs11KekProvider.open(await options('by-slot')));
    const { modulePath, pin, slots } = await softHsm();
    const slot = slots['dsv-kek'] ?? -1;
    const bySlot = track(await Pkcs11KekProvider.open({ modulePath, slot, pin, keyLabel: 'by-slot' }));
    const dek = randomBytes(32);
    assert.deepEqual(Buffer.from(await bySlot.unwrap(await byLabel.wrap(dek))), dek);
  });

  void it('an unknown token, slot or module is DSV_KEK_UNAVAILABLE naming it', async () => {
    await assert.rejects(
      Pkcs11KekProvider.open(await options('kek', { tokenLabel: 'no-such-token' })),
      kekUnavailable(/no token 'no-such-token'/),
    );
    const { modulePath, pin } = await softHsm();
    await assert.rejects(
      Pkcs11KekProvider.open({ modulePath, slot: 987654321, pin, keyLabel: 'kek' }),
      kekUnavailable(/no token in slot 987654321/),
    );
    await assert.rejects(
      Pkcs11KekProvider.open(await options('kek', { modulePath: '/nonexistent/libpkcs11.so' })),
      kekUnavailable(/cannot find the PKCS#11 module \/nonexistent\/libpkcs11\.so \(ENOENT\)/),
    );
  });

  void it('I-K1: the KEK object is sensitive and non-extractable; reading or wrapping it out is refused', async () => {
    track(await Pkcs11KekProvider.open(await options('kept-inside')));
    const { modulePath, tokenLabel, pin } = await softHsm();
    const seen = await inspectSoftHsm({
      command: 'attributes',
      modulePath,
      tokenLabel,
      pin,
      keyLabel: 'kept-inside',
    });
    assert.deepEqual(seen, {
      objects: 1,
      CKA_TOKEN: true,
      CKA_PRIVATE: true,
      CKA_SENSITIVE: true,
      CKA_EXTRACTABLE: false,
      CKA_NEVER_EXTRACTABLE: true,
      readValue: 'CKR_ATTRIBUTE_SENSITIVE',
      wrapKey: 'CKR_KEY_UNEXTRACTABLE',
    });
  });

  void it('another process (its own module state and session) unwraps what this one wrapped', async () => {
    const provider = track(await Pkcs11KekProvider.open(await options('shared')));
    const dek = randomBytes(32);
    const wrapped = Buffer.from(await provider.wrap(dek));
    const { modulePath, tokenLabel, pin } = await softHsm();
    const seen = await inspectSoftHsm({
      command: 'unwrap',
      modulePath,
      tokenLabel,
      pin,
      keyLabel: 'shared',
      wrappedHex: wrapped.toString('hex'),
    });
    assert.equal(seen.dekSha256, createHash('sha256').update(dek).digest('hex'));
  });

  void it("the HSM's CKM_AES_GCM equals node:crypto AES-256-GCM on a known key (parameters as intended)", async () => {
    const { modulePath, tokenLabel, pin } = await softHsm();
    assert.deepEqual(await inspectSoftHsm({ command: 'known-answer', modulePath, tokenLabel, pin }), {
      equal: true,
      length: 48,
    });
  });

  void it('I-K2: the wrapped form is 0x01 ‖ 0x01 ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag', async () => {
    const provider = track(await Pkcs11KekProvider.open(await options('format')));
    const wrapped = await provider.wrap(randomBytes(32));
    assert.equal(wrapped.length, 2 + 12 + 32 + 16);
    assert.deepEqual([wrapped[0], wrapped[1]], [0x01, 0x01]);
    assert.equal(JSON.stringify(provider), '{"kind":"pkcs11"}');
  });

  void it('concurrent wraps and unwraps on one provider and across providers all succeed', async () => {
    const a = track(await Pkcs11KekProvider.open(await options('busy')));
    const b = track(await Pkcs11KekProvider.open(await options('busy')));
    const deks = Array.from({ length: 40 }, () => randomBytes(32));
    const wrapped = await Promise.all(deks.map((dek, i) => (i % 2 === 0 ? a : b).wrap(dek)));
    const back = await Promise.all(wrapped.map((w, i) => (i % 2 === 0 ? b : a).unwrap(w)));
    back.forEach((dek, i) => assert.deepEqual(Buffer.from(dek), deks[i]));
  });

  void it('closing one provider leaves the others on the same token working (shared login)', async () => {
    const a = await Pkcs11KekProvider.open(await options('shared-login'));
    const b = track(await Pkcs11KekProvider.open(await options('shared-login')));
    const wrapped = await a.wrap(randomBytes(32));
    await a.close();
    await a.close();
    await assert.rejects(a.unwrap(wrapped), kekUnavailable(/the provider is closed/));
    assert.equal((await b.unwrap(wrapped)).length, 32);
  });
});
