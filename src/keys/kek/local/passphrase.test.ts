// resolvePassphrase: env var, file, no-echo prompt, and clear errors when none is available.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { resolvePassphrase, type PassphraseTerminal } from './passphrase.ts';

/** A pseudo-terminal: a real stream marked as a TTY that records raw-mode switches and everything echoed. */
function terminal(): {
  term: PassphraseTerminal;
  input: PassThrough;
  echoed: () => string;
  rawModes: boolean[];
} {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const rawModes: boolean[] = [];
  Object.assign(input, { setRawMode: (mode: boolean) => rawModes.push(mode) });
  const output = new PassThrough();
  let echoed = '';
  output.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
  return { term: { input, output }, input, echoed: () => echoed, rawModes };
}

void describe('resolvePassphrase', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  void it('takes DSV_UNSEAL_PASSPHRASE first, and refuses it empty', async () => {
    assert.equal(
      await resolvePassphrase({ env: { DSV_UNSEAL_PASSPHRASE: 'from env' }, file: '/nonexistent' }),
      'from env',
    );
    await assert.rejects(resolvePassphrase({ env: { DSV_UNSEAL_PASSPHRASE: '' } }), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /DSV_UNSEAL_PASSPHRASE is set but empty/,
    });
  });

  void it('reads a file, dropping one trailing newline; a missing file names the path and cause', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsv-pass-'));
    const file = join(dir, 'pass');
    await writeFile(file, ' spaced pass \r\n');
    assert.equal(await resolvePassphrase({ env: {}, file }), ' spaced pass ');
    await assert.rejects(resolvePassphrase({ file: join(dir, 'none') }), {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /cannot read the passphrase file .*none \(ENOENT\)/,
    });
  });

  void it('prompts on a TTY without echoing, in raw mode, honouring backspace', async () => {
    const t = terminal();
    const pending = resolvePassphrase({ env: {}, prompt: t.term });
    t.input.write('s3cr');
    t.input.write('x\u007fet\r');
    assert.equal(await pending, 's3cret');
    assert.equal(t.echoed(), 'Unseal passphrase: \n');
    assert.deepEqual(t.rawModes, [true, false]);
  });

  void it('a new passphrase: its own variable, or asked twice at the prompt and refused if the two differ', async () => {
    const env = { DSV_UNSEAL_PASSPHRASE: 'old', DSV_NEW_UNSEAL_PASSPHRASE: 'new' };
    assert.equal(await resolvePassphrase({ env, envName: 'DSV_NEW_UNSEAL_PASSPHRASE' }), 'new');
    const same = terminal();
    const asked = resolvePassphrase({
      env: {},
      prompt: same.term,
      question: 'New unseal passphrase',
      confirm: true,
    });
    same.input.write('n3w\r');
    await new Promise((resolve) => setImmediate(resolve));
    same.input.write('n3w\r');
    assert.equal(await asked, 'n3w');
    assert.equal(same.echoed(), 'New unseal passphrase: \nNew unseal passphrase (again): \n');
    const differ = terminal();
    const typo = resolvePassphrase({ env: {}, prompt: differ.term, confirm: true });
    differ.input.write('one\r');
    await new Promise((resolve) => setImmediate(resolve));
    differ.input.write('two\r');
    await assert.rejects(typo, {
      code: 'DSV_KEK_UNAVAILABLE',
      message: /the two passphrases entered at the prompt differ/,
    });
  });

  void it('Ctrl-C at the prompt cancels the unseal', async () => {
    const t = terminal();
    const pending = resolvePassphrase({ prompt: t.term });
    t.input.write('abc\u0003');
    await assert.rejects(pending, { code: 'DSV_KEK_UNAVAILABLE', message: /cancelled/ });
  });

  void it('without env, file or a TTY it fails with a clear error', async () => {
    const input = new PassThrough();
    await assert.rejects(resolvePassphrase({ env: {}, prompt: { input, output: new PassThrough() } }), {
      code: 'DSV_KEK_UNAVAILABLE',
      message:
        /no unseal passphrase: set DSV_UNSEAL_PASSPHRASE, configure a passphrase file, or start on a terminal/,
    });
    await assert.rejects(resolvePassphrase({}), { code: 'DSV_KEK_UNAVAILABLE' });
  });
});
