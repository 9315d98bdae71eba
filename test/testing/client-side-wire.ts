// Client-side mode's wire protocol spoken by hand in tests (docs/client-side-protocol.md): one HTTP call made
// with a token or a node credential (I-G3), and the shapes of the coordinator's answers the tests read.

/** What a client sends node j instead of its token: HMAC(token, cluster ‖ j) (I-G3). */
export const NODE_CREDENTIAL_HEADER = 'x-dsv-node-credential';

export interface WireReply {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON; `{}` when it is empty or not JSON (the text is in `text`). */
  readonly json: Record<string, unknown>;
}

export interface WireAuth {
  readonly token?: string;
  readonly credential?: string;
}

export interface WireOptions {
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** One request: a string body goes as text/plain, anything else as JSON. */
export async function wireCall(
  url: string,
  method: string,
  path: string,
  auth: WireAuth,
  body?: unknown,
  options: WireOptions = {},
): Promise<WireReply> {
  const contentType = typeof body === 'string' ? 'text/plain' : 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      ...(auth.credential ? { [NODE_CREDENTIAL_HEADER]: auth.credential } : {}),
      ...(body === undefined ? {} : { 'content-type': contentType }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    if (text !== '') json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a text body: the caller reads `text`
  }
  return { status: response.status, text, json };
}

/** A reply in one line, for assertion messages. */
export const showReply = (reply: WireReply): string =>
  `${reply.status} ${(Object.keys(reply.json).length > 0 ? JSON.stringify(reply.json) : reply.text).slice(0, 300)}`;

export interface WireHolder {
  index: number;
  nodeId: string;
  url: string;
  commitment?: string | null;
}

export interface PlannedOp {
  op: string;
  namespace: string;
  name: string;
  version: number;
  holders: WireHolder[];
}

/** The coordinator's answer to an ordered write: where each shard goes. */
export interface OrderedWrite {
  writeId: string;
  tenant: string;
  partition: number;
  minOffset: number;
  coordinator: { nodeId: string; url: string };
  plan: PlannedOp[];
}

/** The coordinator's answer to a resolve: which version, and who holds its shards. */
export interface ResolvedRead {
  tenant: string;
  namespace: string;
  name: string;
  version: number;
  writeId: string;
  partition: number;
  minOffset: number;
  holders: WireHolder[];
  generation?: number;
}
