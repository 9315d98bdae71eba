// The console's session cookie: HttpOnly, SameSite=Strict, Path=/, Secure whenever the node is not reached
// over loopback (issue 12). Parsing is strict and bounded; nothing else is read from the Cookie header.
export const SESSION_COOKIE = 'dsv_console';

const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|localhost|\[::1\])(:\d+)?$/i;

/** Whether the Host the browser used is a loopback address (then a plain-HTTP cookie is acceptable). */
export function isLoopbackHost(host: string | undefined): boolean {
  return typeof host === 'string' && LOOPBACK_HOST.test(host);
}

/** The value of cookie `name` in a Cookie header, or undefined (first occurrence wins). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie value for the session id (or, with `id` null, one that clears the cookie). */
export function sessionCookie(
  id: string | null,
  options: { secure: boolean; maxAgeSeconds?: number },
): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) attributes.push('Secure');
  if (id === null) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
  const maxAge = Math.max(0, Math.floor(options.maxAgeSeconds ?? 0));
  return [`${SESSION_COOKIE}=${id}`, `Max-Age=${maxAge}`, ...attributes].join('; ');
}
