// Encodes paths and queries as the original Python client `dsvc` does (urllib.parse), not as browsers do.

/** `urllib.parse.quote(name, safe='')`: everything but ASCII letters, digits and `_.-~` is percent-encoded. */
export function dsvcQuote(text: string): string {
  return Array.from(new TextEncoder().encode(text), (byte) => {
    const ch = String.fromCharCode(byte);
    return /^[A-Za-z0-9_.~-]$/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** `urllib.parse.urlencode({...})`: like dsvcQuote, but a space becomes `+` (quote_plus). */
export function dsvcQueryValue(text: string): string {
  return dsvcQuote(text).replaceAll('%20', '+');
}

/** The read URL dsvc builds: `/api/v1/secrets/{quote(name)}[/all]?user=…[&version=…]`. */
export function dsvcReadUrl(
  base: string,
  user: string,
  name: string,
  options: { all?: boolean; version?: number } = {},
): string {
  const query = `user=${dsvcQueryValue(user)}${options.version === undefined ? '' : `&version=${options.version}`}`;
  return `${base}/api/v1/secrets/${dsvcQuote(name)}${options.all ? '/all' : ''}?${query}`;
}
