// Reading secrets the CLI is given without argv: all of stdin, or one line typed at a no-echo prompt.
import { DsvError } from '../../errors/index.ts';

/** Everything on stdin, verbatim (a trailing newline is part of the value: use `printf`, not `echo`). */
export async function readStdin(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  return (await readStdinBytes(input)).toString('utf8');
}

/** Everything on stdin as bytes, unchanged (a secret value need not be UTF-8 text). */
export async function readStdinBytes(input: NodeJS.ReadStream = process.stdin): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** One line typed at the terminal without echo (stderr carries the question, so stdout stays clean). */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  const output = process.stderr;
  output.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
    };
    const onEnd = (): void => {
      finish();
      reject(new DsvError('DSV_INPUT_INVALID', 'The terminal closed before anything was entered'));
    };
    const onData = (chunk: string | Buffer): void => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(Object.assign(new DsvError('DSV_INPUT_INVALID', 'Cancelled'), { exitCode: 130 })); // Ctrl-C
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else value += ch;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

/** From the terminal: a hidden prompt; from a pipe: all of stdin (`trimLine` drops one trailing line break). */
export async function readSecretInput(question: string, trimLine: boolean): Promise<string> {
  if (process.stdin.isTTY) return promptHidden(question);
  const text = await readStdin();
  return trimLine ? text.replace(/\r?\n$/, '') : text;
}
