// CSRF protection for cookie-authenticated requests (issue 12). A request may use the console session only
// when it carries the console's custom header (a cross-site page cannot send one without a CORS preflight,
// which no node answers) and, when the browser says where it comes from (Origin, Sec-Fetch-Site), that is
// this very origin. Bearer-authenticated requests never reach these checks.
export const CONSOLE_HEADER = 'x-dsv-console';

export interface OriginFacts {
  readonly protocol: string;
  readonly host: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** Why a console request is refused, or undefined when it may use the session. */
export function csrfRefusal(request: OriginFacts): string | undefined {
  if (single(request.headers[CONSOLE_HEADER]) !== '1') return 'the console header is missing';
  const host = request.host;
  if (host === undefined || host === '') return 'the Host header is missing';
  const origin = single(request.headers.origin);
  if (origin !== undefined && origin !== `${request.protocol}://${host}`) return 'cross-origin request';
  const site = single(request.headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin') return 'cross-site request';
  return undefined;
}
