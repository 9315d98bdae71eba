// The web console in a real headless Chromium (issue 12) against an in-process 3-node dev cluster: sign in,
// create and update a secret, the "as of" slider, the redundancy view while a node is stopped and started,
// a .env file applied atomically, a scoped token that is offered nothing it may not do — and no secret value
// in the page before it is revealed, in any URL, or in any response other than a reveal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Request, Response } from 'playwright-core';
import { signIn, startConsoleFixture, type ConsoleFixture } from './console-harness.ts';

const V1 = 'first-Value-7Qx9';
const V2 = 'second-Value-K3mZ';
const V3 = 'third-Value-P8wD';
const ENV_VALUE = 'env-Value-Z5tR';

describe('web console in Chromium', { timeout: 170_000 }, () => {
  let f: ConsoleFixture;
  const requests: Array<{ method: string; url: string; body: string | null }> = [];
  const responses: Array<{ method: string; url: string; body: string }> = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    f = await startConsoleFixture();
    f.page.on('dialog', (dialog) => void dialog.accept());
    f.page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
    f.page.on('pageerror', (error) => pageErrors.push(error.message));
    f.page.on('request', (request: Request) => {
      requests.push({ method: request.method(), url: request.url(), body: request.postData() });
    });
    f.page.on('response', (response: Response) => {
      void response
        .text()
        .then((body) => responses.push({ method: response.request().method(), url: response.url(), body }))
        .catch(() => undefined);
    });
  });
  after(async () => {
    await f?.stop();
  });

  it('serves /ui/ with a strict CSP, no framing, no caching', async () => {
    const response = await fetch(`${f.url(1)}/ui/`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(await response.text(), /<script>(?!<)/); // only <script src=…>
  });

  it('signs in with the root token: an HttpOnly SameSite=Strict session cookie, nothing in storage', async () => {
    await f.page.goto(`${f.url()}/ui/`);
    await f.shot('01-sign-in');
    await signIn(f.page, f.url(), f.root);
    const cookies = await f.context.cookies();
    const session = cookies.find((cookie) => cookie.name === 'dsv_console');
    assert.ok(session, 'a session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.notEqual(session.value, f.root, 'the cookie is a session id, not the token');
    assert.equal(await f.page.evaluate('localStorage.length + sessionStorage.length'), 0);
    assert.equal(await f.page.evaluate('document.cookie'), '', 'the page cannot read the cookie');
  });

  it('creates a secret (value hidden until revealed), updates it with If-Match', async () => {
    const page = f.page;
    await page.goto(`${f.url()}/ui/#/secrets/app`);
    await page.getByRole('heading', { name: 'New secret' }).waitFor();
    await f.shot('02a-namespace');
    await page.getByLabel('Name', { exact: true }).fill('db-password');
    await page.getByLabel('Value', { exact: true }).fill(V1);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'app/db-password' }).waitFor();
    await page.getByTestId('versions').locator('tr').first().waitFor();
    assert.equal(await page.getByTestId('secret-value').textContent(), '••••••••');
    assert.ok(!(await page.content()).includes(V1), 'the value is not in the page before it is revealed');
    await f.shot('02-secret-hidden');

    await page.getByLabel(/New value/).fill(V2);
    await page.getByRole('button', { name: 'Update' }).click();
    await page.getByText('Updated: now at version 2.').waitFor();
    await page.getByTestId('versions').locator('tr').nth(1).waitFor();
    const put = requests.filter((r) => r.method === 'PUT' && r.url.includes('/v2/secrets/app/db-password'));
    assert.equal(put.length, 2);
    assert.ok(!(await page.content()).includes(V2));

    await f.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: f.url() });
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied version 2 to the clipboard.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), V2);
    assert.equal(await page.getByTestId('secret-value').textContent(), '••••••••', 'copied, not shown');
    await page.getByRole('button', { name: 'Reveal', exact: true }).click();
    await page.getByTestId('secret-value').getByText(V2).waitFor();
    await f.shot('03-secret-revealed');
  });

  it('the "as of" slider at the first version shows the first value', async () => {
    const page = f.page;
    const slider = page.getByLabel(/^As of/);
    const min = await slider.getAttribute('min');
    assert.ok(min);
    await slider.fill(min);
    assert.equal(await page.getByTestId('as-of-version').textContent(), '1');
    assert.equal(await page.getByTestId('as-of-value').textContent(), '••••••••');
    await page.getByRole('button', { name: 'Reveal value as of this time' }).click();
    await page.getByTestId('as-of-value').getByText(`${V1} (version 1)`).waitFor();
    await f.shot('04-as-of-first-version');
  });

  it('shows the audit trail of the secret with its verification; deletes a secret after confirmation', async () => {
    const page = f.page;
    await page.getByRole('button', { name: 'Load audit trail' }).click();
    await page
      .getByTestId('audit-verified')
      .getByText(/Chain verified/)
      .waitFor();
    const operations = await page
      .getByTestId('audit-records')
      .locator('tr td:nth-child(3)')
      .allTextContents();
    assert.ok(operations.includes('secret.write') && operations.includes('secret.read'), operations.join());
    await page.setViewportSize({ width: 390, height: 844 });
    await f.shot('05a-secret-phone-width');
    await page.setViewportSize({ width: 1280, height: 900 });

    const made = await fetch(`${f.url()}/v2/secrets/app/old-key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${f.root}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'to-be-deleted' }),
    });
    assert.equal(made.status, 201);
    await page.goto(`${f.url()}/ui/#/secret/app/old-key`);
    await page.getByRole('button', { name: 'Delete secret…' }).click();
    const confirm = page.getByRole('dialog');
    assert.equal(await confirm.getByRole('button', { name: 'Delete', exact: true }).isDisabled(), true);
    await confirm.getByLabel('Type the name to confirm').fill('old-key');
    await f.shot('05b-delete-confirmation');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(/#\/secrets\/app$/);
    await page.getByTestId('secret-names').getByRole('link', { name: 'db-password' }).waitFor();
    assert.equal(await page.getByTestId('secret-names').getByRole('link', { name: 'old-key' }).count(), 0);
    const gone = await fetch(`${f.url(1)}/v2/secrets/app/old-key`, {
      headers: { authorization: `Bearer ${f.root}` },
    });
    assert.equal(gone.status, 404);
  });

  it('picks a namespace from the list (filtered by prefix), pages through its names 20 at a time, filters them', async () => {
    const headers = { authorization: `Bearer ${f.root}`, 'content-type': 'application/json' };
    const names = Array.from(
      { length: 23 },
      (_, i) => `${i % 2 === 0 ? 'db' : 'web'}-${String(i).padStart(2, '0')}`,
    );
    for (const name of names) {
      const made = await fetch(`${f.url()}/v2/secrets/bulk/${name}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ value: 'x' }),
      });
      assert.equal(made.status, 201);
    }
    const page = f.page;
    // The namespace list (GET /v2/namespaces): every namespace holding a secret, filtered by prefix.
    await page.goto(`${f.url()}/ui/#/secrets`);
    const namespaces = page.getByTestId('namespaces').getByRole('link');
    await page.getByTestId('namespaces').getByRole('link', { name: 'bulk', exact: true }).waitFor();
    assert.deepEqual(await namespaces.allTextContents(), ['app', 'bulk']);
    await page.getByLabel('Filter namespaces by prefix').fill('bu');
    await page
      .getByTestId('namespaces')
      .getByRole('link', { name: 'app', exact: true })
      .waitFor({ state: 'detached' });
    await f.shot('05b-namespaces');
    await page.getByTestId('namespaces').getByRole('link', { name: 'bulk', exact: true }).click();
    await page.waitForURL(/#\/secrets\/bulk$/);
    const links = page.getByTestId('secret-names').getByRole('link');
    await page.getByTestId('secret-names').getByRole('link', { name: 'db-00' }).waitFor();
    assert.equal(await links.count(), 20);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByTestId('secret-names').getByRole('link', { name: 'web-21' }).waitFor();
    assert.equal(await links.count(), 3);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByTestId('secret-names').getByRole('link', { name: 'db-00' }).waitFor();
    await page.getByLabel('Filter by prefix').fill('web-1');
    await page
      .getByTestId('secret-names')
      .getByRole('link', { name: 'db-00' })
      .waitFor({ state: 'detached' });
    assert.deepEqual(await links.allTextContents(), ['web-11', 'web-13', 'web-15', 'web-17', 'web-19']);
    await f.shot('05c-paged-filtered');
  });

  it('shows the redundancy of each version: a stopped node, a version written without it, its repair', async () => {
    const page = f.page;
    await page.goto(`${f.url()}/ui/#/cluster`);
    await page.getByLabel('Namespace').fill('app');
    await page.getByLabel('Name', { exact: true }).fill('db-password');
    await page.getByRole('button', { name: 'Show' }).click();
    const cell = (version: number, node: string) =>
      page.locator(`[data-testid=redundancy] tr[data-version="${version}"] td[data-node="${node}"]`);
    await cell(2, 'node-2').and(page.locator('[data-state=held]')).waitFor();
    await f.shot('05-cluster-healthy');

    // The cluster screen's own dev control (POST /api/dev/nodes/node-2/stop, root, through the session).
    await page.getByRole('button', { name: 'Stop node-2' }).click();
    await cell(2, 'node-2').and(page.locator('[data-state=unreachable]')).waitFor({ timeout: 15_000 });
    // A version written while node-2 is down has no shard on it: missing, not merely unreachable.
    const written = await fetch(`${f.url()}/v2/secrets/app/db-password`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${f.root}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: V3 }),
    });
    assert.equal(written.status, 200, await written.text());
    await cell(3, 'node-2').and(page.locator('[data-state=missing]')).waitFor({ timeout: 15_000 });
    await f.shot('06-cluster-node-2-stopped');

    await page.getByRole('button', { name: 'Start node-2' }).click();
    // node-2 recovers its shard of version 3 (secret-preserving recovery) and every version is whole again.
    await cell(3, 'node-2').and(page.locator('[data-state=held]')).waitFor({ timeout: 45_000 });
    await cell(1, 'node-2').and(page.locator('[data-state=held]')).waitFor();
    const log = page.getByTestId('repair-activity');
    await log.getByText('node-2 is down').waitFor();
    await log.getByText('v3 written, no shard on node-2').waitFor();
    await log.getByText('node-2 recovered its shard of v3').waitFor();
    await f.shot('07-cluster-repaired');
  });

  it('applies a .env file atomically and downloads the result', async () => {
    const page = f.page;
    await page.goto(`${f.url()}/ui/#/env`);
    await page.getByLabel('Namespace').fill('app');
    // A file dropped on the text area is loaded into it.
    const dropped = await page.evaluateHandle(
      `(() => { const d = new DataTransfer(); d.items.add(new File(['DROPPED=secret(db-password)'], '.env')); return d; })()`,
    );
    await page.getByLabel(/Or paste/).dispatchEvent('drop', { dataTransfer: dropped });
    await page.getByTestId('env-preview').getByText('DROPPED').waitFor();
    // Opened from a file (the same path as a dropped one).
    await page.getByLabel('Open a file').setInputFiles({
      name: '.env',
      mimeType: 'text/plain',
      buffer: Buffer.from(`# app settings\nAPI_KEY=enc(${ENV_VALUE})\nDB=secret(db-password)\nPORT=3000\n`),
    });
    const preview = page.getByTestId('env-preview');
    await preview.locator('tr[data-action=store]').getByText('stored as secret API_KEY').waitFor();
    await preview.locator('tr[data-action=resolve]').getByText('resolved from secret db-password').waitFor();
    await preview.locator('tr[data-action=plain]').getByText('stays in the browser').waitFor();
    await f.shot('08-env-preview');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('env-applied').waitFor();
    const shown = (await page.getByTestId('env-result').textContent()) ?? '';
    assert.ok(shown.includes('API_KEY=secret(API_KEY)'), shown);
    assert.ok(!shown.includes(V3) && !shown.includes(ENV_VALUE), 'resolved values are masked on screen');
    await f.shot('09-env-applied');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download .env' }).click(),
    ]);
    const file = readFileSync((await download.path()) ?? '', 'utf8');
    assert.equal(file, `# app settings\nAPI_KEY=secret(API_KEY)\nDB=${V3}\nPORT=3000\n`);
    const stored = await fetch(`${f.url(2)}/v2/secrets/app/API_KEY`, {
      headers: { authorization: `Bearer ${f.root}` },
    });
    assert.equal(((await stored.json()) as { value: string }).value, ENV_VALUE);
  });

  it('administers tenants and quotas, and shows key status', async () => {
    const page = f.page;
    await page.goto(`${f.url()}/ui/#/tenants`);
    await page.getByLabel('New tenant').fill('acme');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('button', { name: 'Quota of acme' }).click();
    await page.getByLabel(/Max secrets/).fill('100');
    await page.getByRole('button', { name: 'Save quota' }).click();
    await page.getByText('Saved the quota of acme.').waitFor();
    await f.shot('09a-tenants-quota');
    const quota = await fetch(`${f.url(2)}/v2/sys/quotas?tenant=acme`, {
      headers: { authorization: `Bearer ${f.root}` },
    });
    assert.equal(((await quota.json()) as { quota: { maxSecrets: number } }).quota.maxSecrets, 100);

    await page.goto(`${f.url()}/ui/#/keys`);
    await page.getByTestId('keys').getByText('default').waitFor();
    await f.shot('09b-keys');
  });

  it('creates a scoped token; signed in with it, forbidden actions are not offered and a 403 is plain', async () => {
    const page = f.page;
    await page.goto(`${f.url()}/ui/#/policies`);
    await page.getByLabel('Name', { exact: true }).fill('db-reader');
    await page.getByLabel(/^Rules/).fill('app/db*: read, list, history');
    await page
      .getByTestId('policy-grants')
      .getByText('Grants read, list, history on names starting with “db”')
      .waitFor();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByTestId('policies').getByText('db-reader').waitFor();
    await f.shot('10-policies');

    await page.goto(`${f.url()}/ui/#/tokens`);
    await page.getByLabel(/^Policies/).fill('db-reader');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('new-token').waitFor();
    assert.equal(await page.getByTestId('new-token').textContent(), '••••••••');
    await page.getByRole('button', { name: 'Reveal token' }).click();
    const scoped = (await page.getByTestId('new-token').textContent()) ?? '';
    assert.match(scoped, /^dsv\./);
    await f.shot('11-tokens');
    // Revoke another token from the list.
    await page.getByLabel(/^Policies/).fill('');
    await page.getByLabel('Display name').fill('throwaway');
    await page.getByRole('button', { name: 'Create token' }).click();
    const row = page.getByTestId('tokens').locator('tr', { hasText: 'throwaway' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    assert.equal((await f.context.cookies()).filter((c) => c.name === 'dsv_console').length, 0);
    // By keyboard: the token field, typed, Enter.
    await page.getByLabel('Token').focus();
    await page.keyboard.type(scoped);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Tokens' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Policies' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Tenants' }).count(), 0);

    // Only the namespaces where the token may list a secret are named: app, not bulk.
    await page.goto(`${f.url()}/ui/#/secrets`);
    await page.getByTestId('namespaces').getByRole('link', { name: 'app' }).waitFor();
    assert.deepEqual(await page.getByTestId('namespaces').getByRole('link').allTextContents(), ['app']);
    await f.shot('11a-scoped-namespaces');
    await page.getByTestId('namespaces').getByRole('link', { name: 'app' }).click();
    await page.getByTestId('secret-names').getByRole('link', { name: 'db-password' }).waitFor();
    assert.equal(await page.getByTestId('secret-names').getByRole('link', { name: 'API_KEY' }).count(), 0);
    await page.getByText('Your token cannot create secrets in this namespace.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create' }).count(), 0);
    await f.shot('12-scoped-namespace');

    await page.getByRole('link', { name: 'db-password' }).click();
    await page.getByRole('button', { name: 'Reveal', exact: true }).waitFor();
    await page.getByTestId('versions').locator('tr').nth(2).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Update' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /Delete/ }).count(), 0);
    await f.shot('13-scoped-secret');

    // .env: a line the token may not do (store) is flagged and Apply is not offered.
    await page.goto(`${f.url()}/ui/#/env`);
    await page.getByLabel('Namespace').fill('app');
    await page.getByLabel(/Or paste/).fill('DB=secret(db-password)\nNEW=enc(nope)');
    await page.getByTestId('env-denied').getByText('line(s) 2').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Apply' }).isDisabled(), true);
    await f.shot('13a-scoped-env');
    await page.getByLabel(/Or paste/).fill('DB=secret(db-password)');
    assert.equal(await page.getByRole('button', { name: 'Apply' }).isDisabled(), false);

    await page.goto(`${f.url()}/ui/#/tokens`);
    await page.getByText('Forbidden (403)').waitFor();
    // The node refuses it too, whatever the page offers.
    const status = await page.evaluate(async () => {
      const response = await fetch('/v2/sys/tokens', { headers: { 'x-dsv-console': '1' } });
      return response.status;
    });
    assert.equal(status, 403);
  });

  it('no secret value appeared in any URL, or in any response other than a reveal; nothing in storage', () => {
    assert.deepEqual(cspViolations, [], 'the console runs under its CSP without a violation');
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
    const values = [V1, V2, V3, ENV_VALUE];
    for (const request of requests) {
      for (const value of values)
        assert.ok(!request.url.includes(value), `a URL carried a value: ${request.url}`);
      // Request bodies carry a value only when writing it: PUT of the secret, or the .env file applied.
      if (request.body && values.some((value) => request.body?.includes(value)))
        assert.ok(
          request.method === 'PUT' || request.url.includes('/v2/env:transform'),
          `${request.method} ${request.url}`,
        );
    }
    const carrying = responses.filter((response) => values.some((value) => response.body.includes(value)));
    assert.ok(carrying.length >= 3, 'the reveals themselves were seen');
    for (const response of carrying) {
      const path = new URL(response.url).pathname;
      assert.ok(
        (response.method === 'GET' && /^\/v2\/secrets\/app\/db-password$/.test(path)) ||
          path === '/v2/env:transform',
        `a value in the response to ${response.method} ${path}`,
      );
    }
  });

  it('refuses a cookie without the console header (CSRF) and a cross-origin Origin', async () => {
    const cookie = (await f.context.cookies()).find((c) => c.name === 'dsv_console');
    assert.ok(cookie);
    const headers = { cookie: `dsv_console=${cookie.value}` };
    const plain = await fetch(`${f.url()}/v2/secrets/app?prefix=`, { headers });
    assert.equal(plain.status, 401, 'without the console header the cookie is ignored');
    const cross = await fetch(`${f.url()}/v2/secrets/app?prefix=`, {
      headers: { ...headers, 'x-dsv-console': '1', origin: 'https://evil.example' },
    });
    assert.equal(cross.status, 401);
    const same = await fetch(`${f.url()}/v2/secrets/app?prefix=`, {
      headers: { ...headers, 'x-dsv-console': '1' },
    });
    assert.equal(same.status, 200);
  });

  it('a tenant-admin token gets the admin screens of its own tenant, not the root ones', async () => {
    const root = { authorization: `Bearer ${f.root}`, 'content-type': 'application/json' };
    const policy = await fetch(`${f.url()}/v2/sys/policies/acme-admin?tenant=acme`, {
      method: 'PUT',
      headers: root,
      body: JSON.stringify({
        rules: [{ path: '*/*', capabilities: ['admin', 'read', 'list', 'create', 'update', 'history'] }],
      }),
    });
    assert.equal(policy.status, 200, await policy.text());
    const made = await fetch(`${f.url()}/v2/sys/tokens`, {
      method: 'POST',
      headers: root,
      body: JSON.stringify({ tenant: 'acme', policies: ['acme-admin'], ttlSeconds: 600 }),
    });
    const { token } = (await made.json()) as { token: string };
    const page = f.page;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, f.url(), token);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Tokens' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Policies' }).count(), 1);
    assert.equal(await nav.getByRole('link', { name: 'Tenants' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Keys' }).count(), 0);
    await page.goto(`${f.url()}/ui/#/tokens`);
    await page.getByTestId('tokens').getByText('acme-admin').waitFor();
    assert.equal(await page.getByTestId('tokens').getByText('root').count(), 0);
    await f.shot('14-tenant-admin-tokens');
  });
});
