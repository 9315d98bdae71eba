// Where `dsv login` keeps the URL and token: one JSON file, mode 0600 in a 0700 directory, written atomically.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DsvError } from '../../errors/index.ts';

/** The cluster as pinned at login (`GET /v2/client-side/topology`, or `dsv login --topology FILE`). */
export interface StoredTopology {
  readonly clusterId: string;
  readonly sharing: { readonly n: number; readonly k: number; readonly w: number };
  readonly nodes: ReadonlyArray<{ readonly nodeId: string; readonly url: string }>;
}

export interface StoredLogin {
  readonly url: string;
  readonly token: string;
  /** Every node of the login's cluster (`GET /v2/sys/cluster` at login): the token goes to these, and a
   * command falls back to them when the first is unreachable. Absent in logins made before. */
  readonly urls?: readonly string[];
  /** `dsv login --client-side`: values are split and combined on this machine by default (issue 9). */
  readonly clientSide?: boolean;
  /**
   * The cluster's topology, pinned at login (trust on first use, like an SSH host key): client-side mode talks
   * only to these node ids at these URLs. Absent in logins made before; the first client-side command stores it.
   */
  readonly topology?: StoredTopology;
}

/** `DSV_CONFIG` (a file path, for tests and several logins), else `$XDG_CONFIG_HOME/dsv/config.json`, else `~/.config/dsv/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DSV_CONFIG) return env.DSV_CONFIG;
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'dsv', 'config.json');
}

export function readLogin(path: string = configPath()): StoredLogin | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DsvError('DSV_INPUT_INVALID', `Cannot read the dsv config file ${path}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause: the parser's message may quote the file, and the file holds a token.
    throw new DsvError('DSV_INPUT_INVALID', `The dsv config file ${path} is not valid JSON`);
  }
  const login = parsed as Partial<StoredLogin> | null;
  if (typeof login?.url !== 'string' || typeof login.token !== 'string') {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `The dsv config file ${path} has no url and token; run dsv login`,
    );
  }
  const urls = Array.isArray(login.urls) ? login.urls.filter((url) => typeof url === 'string') : undefined;
  // The topology's shape is checked where it is used (the client library refuses a malformed pin).
  const topology = typeof login.topology === 'object' && login.topology !== null ? login.topology : undefined;
  return {
    url: login.url,
    token: login.token,
    ...(urls === undefined ? {} : { urls }),
    ...(login.clientSide === true ? { clientSide: true } : {}),
    ...(topology === undefined ? {} : { topology }),
  };
}

/** Written to a private temp file beside the target, then renamed: a reader never sees half a file. */
export function writeLogin(login: StoredLogin, path: string = configPath()): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.config.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const stored = {
      url: login.url,
      token: login.token,
      ...(login.urls ? { urls: login.urls } : {}),
      ...(login.clientSide ? { clientSide: true } : {}),
      ...(login.topology ? { topology: login.topology } : {}),
    };
    writeFileSync(temp, `${JSON.stringify(stored, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    chmodSync(temp, 0o600); // the umask cannot widen it, but be explicit
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new DsvError('DSV_INPUT_INVALID', `Cannot write the dsv config file ${path}`, { cause: error });
  }
}

/** True when a stored login was removed. */
export function removeLogin(path: string = configPath()): boolean {
  try {
    rmSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new DsvError('DSV_INPUT_INVALID', `Cannot remove the dsv config file ${path}`, { cause: error });
  }
}
