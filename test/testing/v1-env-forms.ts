// The three request forms of the v1 `.env` endpoint (API-V1.md): text/plain with ?user=, multipart, JSON.
import { v1, type V1Response } from './v1-client.ts';

const ENV_PATH = '/api/v1/secrets/env';

/** `text/plain` body, the user in `?user=` (omitted when undefined). */
export function envAsText(
  base: string,
  user: string | undefined,
  content: string,
  type = 'text/plain',
): Promise<V1Response> {
  const query = user === undefined ? '' : `?user=${encodeURIComponent(user)}`;
  return v1.raw(`${base}${ENV_PATH}${query}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: content,
  });
}

/** `multipart/form-data` with a `user` field and the file as a `file` part (each omitted when undefined). */
export function envAsMultipart(
  base: string,
  fields: { user?: string; file?: string; fileName?: string; queryUser?: string },
): Promise<V1Response> {
  const form = new FormData();
  if (fields.user !== undefined) form.append('user', fields.user);
  if (fields.file !== undefined) {
    form.append('file', new Blob([fields.file], { type: 'text/plain' }), fields.fileName ?? '.env');
  }
  const query = fields.queryUser === undefined ? '' : `?user=${encodeURIComponent(fields.queryUser)}`;
  return v1.raw(`${base}${ENV_PATH}${query}`, { method: 'POST', body: form });
}

/** `application/json` with any fields (the content under envFileContent or an alias). */
export function envAsJson(base: string, body: Record<string, unknown>): Promise<V1Response> {
  return v1.raw(`${base}${ENV_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
}
