// Where the unseal passphrase comes from: an inherited file descriptor, DSV_UNSEAL_PASSPHRASE, a passphrase
// file, or a no-echo TTY prompt.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DsvError } from '../../../errors/index.ts';

export const PASSPHRASE_ENV = 'DSV_UNSEAL_PASSPHRASE';
/** The new passphrase of a KEK rotation (`dsv keys rotate-kek`). */
export const NEW_PASSPHRASE_ENV = 'DSV_NEW_UNSEAL_PASSPHRASE';

/** The terminal the prompt talks to; process.stdin / process.stderr in production. */
export interface PassphraseTerminal {
  readonly input: NodeJS.ReadableStream & {
    readonly isTTY?: boolean;
    setRawMode?: (mode: boolean) => unknown;
  };
  readonly output: NodeJS.WritableStream;
}

export interface PassphraseSources {
  /**
   * An inherited file descriptor to read the passphrase from until end of input (`--passphrase-fd`; a pipe
   * from the parent, never the environment, so it is not in /proc/<pid>/environ). Closed after reading;
   * one trailing newline is dropped. When given, it wins over every other source.
   */
  readonly fd?: number;
  /** Environment to read DSV_UNSEAL_PASSPHRASE from (usually process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A file holding the passphrase; one trailing newline is dropped. */
  readonly file?: string;
  /** Prompt on this terminal when neither of the above is given and its input is a TTY. */
  readonly prompt?: PassphraseTerminal;
  /** The environment variable to read; default DSV_UNSEAL_PASSPHRASE. */
  readonly envName?: string;
  /** What the prompt asks; default "Unseal passphrase". */
  readonly question?: string;
  /** Prompt twice and require the same answer (a new passphrase: a typo would seal the node for good). */
  readonly confirm?: boolean;
}

/** The shortest unseal passphrase `dsv server`, `dsv dev` and `dsv keys rotate-kek` accept. */
export const MIN_PASSPHRASE_LENGTH = 12;

/**
 * Refuses a passphrase shorter than MIN_PASSPHRASE_LENGTH characters (sealed: exit 2). Applied where a
 * node is unsealed or a new passphrase is set; a node sealed earlier with a shorter one rotates with
 * `dsv keys rotate-kek` (which checks only the new one).
 */
export function requireStrongPassphrase(passphrase: string): string {
  if (Array.from(passphrase).length < MIN_PASSPHRASE_LENGTH) {
    throw sealed(`the passphrase is shorter than ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  return passphrase;
}

function sealed(message: string, cause?: unknown): DsvError {
  return new DsvError(
    'DSV_KEK_UNAVAILABLE',
    `Unseal failed: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Resolves the passphrase, first source that is configured wins: env var, then file, then prompt.
 * Errors name the source and the cause, never the passphrase.
 */
export async function resolvePassphrase(sources: PassphraseSources): Promise<string> {
  if (sources.fd !== undefined) return readPassphraseFd(sources.fd);
  const envName = sources.envName ?? PASSPHRASE_ENV;
  const fromEnv = sources.env?.[envName];
  if (fromEnv !== undefined) {
    if (fromEnv === '') throw sealed(`${envName} is set but empty`);
    return fromEnv;
  }
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = await readFile(sources.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw sealed(`cannot read the passphrase file ${sources.file} (${code})`, error);
    }
    const passphrase = text.replace(/\r?\n$/, '');
    if (passphrase === '') throw sealed(`the passphrase file ${sources.file} is empty`);
    return passphrase;
  }
  const terminal = sources.prompt;
  if (
    terminal === undefined ||
    terminal.input.isTTY !== true ||
    typeof terminal.input.setRawMode !== 'function'
  ) {
    throw sealed(`no unseal passphrase: set ${envName}, configure a passphrase file, or start on a terminal`);
  }
  const question = sources.question ?? 'Unseal passphrase';
  const passphrase = await promptHidden(terminal, `${question}: `);
  if (passphrase === '') throw sealed('the passphrase entered at the prompt is empty');
  if (sources.confirm === true && (await promptHidden(terminal, `${question} (again): `)) !== passphrase) {
    throw sealed('the two passphrases entered at the prompt differ');
  }
  return passphrase;
}

const MAX_PASSPHRASE_BYTES = 64 * 1024;

/** Reads the passphrase from an inherited fd until EOF, then closes it. */
async function readPassphraseFd(fd: number): Promise<string> {
  if (!Number.isSafeInteger(fd) || fd < 0) throw sealed(`--passphrase-fd ${fd} is not a file descriptor`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of createReadStream('', { fd, autoClose: true })) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_PASSPHRASE_BYTES) throw sealed(`file descriptor ${fd} holds more than a passphrase`);
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof DsvError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw sealed(`cannot read the passphrase from file descriptor ${fd} (${code})`, error);
  }
  const passphrase = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (passphrase === '') throw sealed(`file descriptor ${fd} gave an empty passphrase`);
  return passphrase;
}

/** Reads one line in raw mode without echoing it; Ctrl-C or end of input cancels. */
function promptHidden(terminal: PassphraseTerminal, question: string): Promise<string> {
  const { input, output } = terminal;
  output.write(question);
  input.setRawMode?.(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
    };
    const onEnd = (): void => {
      finish();
      reject(sealed('the terminal closed before a passphrase was entered'));
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
          reject(sealed('the passphrase prompt was cancelled'));
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
