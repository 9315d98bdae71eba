// `dsv keys refresh-shares`: proactive share refresh on demand (issue #9, I-R1). Starts a run over every
// version of a tenant on the node asked and follows its progress; `--status` shows versions per generation.
// A run is resumable: run it again after a crash and it continues with the versions not yet refreshed.
import type { Command } from 'commander';
import { DsvError } from '../../errors/index.ts';
import { callNode, reportAndExit, withExitCode } from '../admin-client.ts';
import { resolveConnection } from '../client/connection.ts';

interface Job {
  tenant: string;
  state: 'running' | 'finished' | 'failed';
  target: number;
  total: number;
  done: number;
  refreshed: number;
  aborted: number;
  skipped: number;
  error?: string;
}

interface TenantStatus {
  tenant: string;
  versions: number;
  generations: Record<string, number>;
  inProgress: number;
  job?: Job;
}

interface Options {
  tenant?: string;
  status?: boolean;
  wait: boolean;
  url?: string;
  token?: string;
  json?: boolean;
}

const ROUTE = '/api/admin/keys/refresh-shares';

const line = (job: Job): string =>
  `refresh-shares ${job.tenant}: ${job.done}/${job.total} versions at generation ≥ ${job.target} ` +
  `(refreshed ${job.refreshed}, aborted ${job.aborted}, skipped ${job.skipped})`;

export function registerRefreshSharesCommand(keys: Command, urlHelp: string, tokenHelp: string): void {
  keys
    .command('refresh-shares')
    .description(
      're-randomise the shares of every version of a tenant without reconstructing any value: afterwards an old shard combines with no new one',
    )
    .option('--tenant <tenant>', 'the tenant to refresh (with --status: only this tenant)')
    .option('--status', 'show how many versions are at each share generation, and runs in progress')
    .option('--no-wait', 'start the run and return, without following its progress')
    .option('--url <url>', urlHelp)
    .option('--token <token>', tokenHelp)
    .option('--json', 'machine-readable output')
    .action(async (options: Options) => {
      try {
        const url = resolveConnection(options).url;
        if (options.status) return await showStatus(url, options);
        if (!options.tenant) throw new DsvError('DSV_INPUT_INVALID', '--tenant is required (or --status)');
        await refresh(url, options.tenant, options);
      } catch (error) {
        reportAndExit(error);
      }
    });
}

async function showStatus(url: string, options: Options): Promise<void> {
  const query = options.tenant === undefined ? '' : `?tenant=${encodeURIComponent(options.tenant)}`;
  const { tenants } = (await callNode(url, 'GET', `${ROUTE}${query}`, undefined, options.token)) as {
    tenants: TenantStatus[];
  };
  if (options.json) return console.log(JSON.stringify(tenants));
  if (tenants.length === 0) return console.log('no versions');
  for (const status of tenants) {
    const generations = Object.entries(status.generations)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([generation, count]) => `generation ${generation}: ${count}`)
      .join(', ');
    console.log(
      `${status.tenant}  ${status.versions} versions  ${generations || '-'}` +
        (status.inProgress > 0 ? `  refreshing now: ${status.inProgress}` : ''),
    );
  }
}

async function refresh(url: string, tenant: string, options: Options): Promise<void> {
  const started = (await callNode(url, 'POST', ROUTE, { tenant }, options.token)) as { job: Job };
  let job = started.job;
  let shown = '';
  const show = () => {
    const text = options.json ? JSON.stringify(job) : line(job);
    if (text !== shown) console.log(text);
    shown = text;
  };
  show();
  while (options.wait && job.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 500));
    let statuses: TenantStatus[];
    try {
      const path = `${ROUTE}?tenant=${encodeURIComponent(tenant)}`;
      ({ tenants: statuses } = (await callNode(url, 'GET', path, undefined, options.token)) as {
        tenants: TenantStatus[];
      });
    } catch (error) {
      throw new DsvError(
        'DSV_NODE_UNAVAILABLE',
        `the node running the refresh stopped answering (${(error as Error).message}); run the command ` +
          'again to continue: versions already refreshed are kept',
      );
    }
    job = statuses[0]?.job ?? { ...job, state: 'failed', error: 'the node forgot the run (restarted?)' };
    show();
  }
  if (!options.wait || (job.state === 'finished' && job.done === job.total)) return;
  const left = job.total - job.done;
  throw withExitCode(
    new DsvError(
      job.state === 'failed' ? 'DSV_NODE_UNAVAILABLE' : 'DSV_WRITE_CONFLICT',
      `${left} of ${job.total} versions were not refreshed${job.error ? ` (${job.error})` : ''}; run the ` +
        'command again to continue',
    ),
    1,
  );
}
