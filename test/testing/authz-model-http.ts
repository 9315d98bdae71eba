// A raw HTTP client for the level-2 model check: node:http sends the path exactly as written (no WHATWG
// URL clean-up of `..` segments), so a secret named `..` is really asked for.
import { Agent, request } from 'node:http';

export interface HttpReply {
  readonly status: number;
  readonly body: string;
  readonly code: string | null;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function closeHttpAgent(): void {
  agent.destroy();
}

export function send(
  base: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<HttpReply> {
  const url = new URL(base);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const code = response.headers['x-dsv-error-code'];
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            code: typeof code === 'string' ? code : null,
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

const query = (namespace: string, extra = ''): string => `?user=${encodeURIComponent(namespace)}${extra}`;

/** The v1 calls the model check makes, with a token (undefined: none). */
export const v1As = {
  create: (base: string, token: string | undefined, namespace: string, name: string, value: string) =>
    send(base, 'POST', '/api/v1/secrets', token, { user: namespace, secretName: name, secretValue: value }),
  update: (base: string, token: string | undefined, namespace: string, name: string, value: string) =>
    send(base, 'PUT', '/api/v1/secrets', token, {
      user: namespace,
      secretCurrentName: name,
      secretUpdatedValue: value,
    }),
  remove: (base: string, token: string | undefined, namespace: string, name: string) =>
    send(base, 'DELETE', '/api/v1/secrets', token, { user: namespace, deleteName: name }),
  read: (base: string, token: string | undefined, namespace: string, name: string, version?: number) =>
    send(
      base,
      'GET',
      `/api/v1/secrets/${encodeURIComponent(name)}${query(namespace, version === undefined ? '' : `&version=${version}`)}`,
      token,
    ),
  readAll: (base: string, token: string | undefined, namespace: string, name: string) =>
    send(base, 'GET', `/api/v1/secrets/${encodeURIComponent(name)}/all${query(namespace)}`, token),
  env: (base: string, token: string | undefined, namespace: string, content: string) =>
    send(base, 'POST', '/api/v1/secrets/env', token, { user: namespace, envFileContent: content }),
};
