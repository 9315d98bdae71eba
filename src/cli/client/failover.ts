// A login is for the cluster (issue 11): when the node a command would use cannot be reached — no connection
// was made, so the request never left — the command tries the login's other nodes, in order, and says so.
import { neverSent, shortCause, unreachable } from './unreachable.ts';

/**
 * Calls `attempt` with the first base URL, then the next ones only while the failure proves nothing was sent
 * (refused, DNS, unreachable host, connect timeout): a write that may have reached a node is never repeated
 * elsewhere. Returns the response and the base URL that answered.
 */
export async function fetchWithFailover(
  bases: readonly string[],
  attempt: (base: string) => Promise<Response>,
  note: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<{ response: Response; base: string }> {
  for (const [index, base] of bases.entries()) {
    try {
      return { response: await attempt(base), base };
    } catch (error) {
      const next = bases[index + 1];
      if (next === undefined || !neverSent(error)) throw unreachable(origin(base), error);
      note(`note: ${origin(base)} unreachable (${shortCause(error)}); trying ${origin(next)}`);
    }
  }
  throw new Error('no URL to call');
}

export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
