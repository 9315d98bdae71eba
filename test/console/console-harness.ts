// The console's browser-test harness: makes sure Debian's chromium is installed (as the SoftHSM tests do for
// softhsm2) and the console is built, starts an in-process dev cluster and a headless Chromium driven by
// playwright-core (no browser download), and writes screenshots to test-output/console/ (git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const screenshotDir = join(projectRoot, 'test-output', 'console');
export const CHROMIUM = '/usr/bin/chromium';

function run(script: string): void {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`console harness step failed: ${script}`);
}

/** Installs chromium when missing (apt-get, as root) and builds ui/dist when stale. */
export function prepareConsole(): void {
  if (!existsSync(CHROMIUM)) run(`import('./scripts/ensure-deps.mjs').then((m) => m.ensureChromium())`);
  if (!existsSync(CHROMIUM)) throw new Error('chromium is not installed: apt-get install -y chromium');
  run(`import('./scripts/build-console.mjs').then((m) => m.buildConsole())`);
  mkdirSync(screenshotDir, { recursive: true });
}

export interface ConsoleFixture {
  readonly test: TestCluster;
  readonly root: string;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  url(node?: number): string;
  shot(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  prepareConsole();
  const test = await startTestCluster({ nodes: 3, membershipIntervalMs: 200 });
  const root = await test.cluster.issueDevRootToken();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return {
    test,
    root,
    browser,
    context,
    page,
    url: (node = 0) => test.urls[node] ?? '',
    shot: async (name) => {
      await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
    },
    stop: async () => {
      await browser.close().catch(() => undefined);
      await test.stop();
    },
  };
}

/** Signs in through the sign-in form. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
