// A tiny v1 client for tests, speaking the wire exactly as the original `dsvc` does (API-V1.md).
export interface V1Response {
  readonly status: number;
  readonly body: string;
  readonly code: string | null;
}

async function call(url: string, init: RequestInit): Promise<V1Response> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    body: await response.text(),
    code: response.headers.get('x-dsv-error-code'),
  };
}

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: JSON.stringify(body),
});

export const v1 = {
  create: (base: string, user: string, name: string, value: string) =>
    call(`${base}/api/v1/secrets`, json('POST', { secretName: name, secretValue: value, user })),
  update: (base: string, user: string, name: string, value: string) =>
    call(`${base}/api/v1/secrets`, json('PUT', { secretCurrentName: name, secretUpdatedValue: value, user })),
  remove: (base: string, user: string, name: string) =>
    call(`${base}/api/v1/secrets`, json('DELETE', { deleteName: name, user })),
  read: (base: string, user: string, name: string, version?: number | string) =>
    call(
      `${base}/api/v1/secrets/${encodeURIComponent(name)}?user=${encodeURIComponent(user)}${version === undefined ? '' : `&version=${version}`}`,
      { headers: { accept: 'application/json' } },
    ),
  readAll: (base: string, user: string, name: string) =>
    call(`${base}/api/v1/secrets/${encodeURIComponent(name)}/all?user=${encodeURIComponent(user)}`, {}),
  env: (base: string, user: string, content: string) =>
    call(`${base}/api/v1/secrets/env`, json('POST', { user, envFileContent: content })),
  raw: call,
};
