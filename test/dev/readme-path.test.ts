// Issue #11: the README's new-user path runs as written — install (`npm pack`, `npm install -g` into a temp
// prefix, `dsv` on PATH), a dev cluster, the first secret, a .env file and `dsv run`, tokens and policies, a
// node down, readiness and metrics. The commands are read from the README section itself, in order, so the
// README cannot drift from what works; each has its check below. Loopback only, free ports instead of
// 8080-8082, a private HOME; npm uses its cache first.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { projectRoot } from '../testing/dsv-process.ts';
import { freePortRange } from '../testing/free-ports.ts';

const SECTION = '## Install, and a first walk through';

/** The commands of the README section's sh blocks, in order, without their trailing `  # comments`. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const start = readme.indexOf(SECTION);
  assert.ok(start >= 0, `README has the section "${SECTION}"`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => (block[1] ?? '').split('\n'))
    .map((line) => line.split(/\s{2,}# /)[0]?.trim() ?? '')
    .filter((line) => line !== '');
}

interface Run {
  code: number | string;
  stdout: string;
  stderr: string;
}

describe('the README new-user path', { timeout: 300_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'dsv-readme-'));
  const home = join(scratch, 'home');
  const prefix = join(scratch, 'prefix');
  const work = join(scratch, 'work');
  mkdirSync(home);
  mkdirSync(work);
  const vars: Record<string, string> = {};
  let dev: ReturnType<typeof spawn> | undefined;
  after(async () => {
    if (dev?.exitCode === null) {
      dev.kill('SIGINT');
      await new Promise((resolve) => dev?.once('exit', resolve));
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => {
    const base = { ...process.env };
    for (const name of ['DSV_TOKEN', 'DSV_URL', 'DSV_CONFIG', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME'])
      delete base[name];
    return {
      ...base,
      HOME: home,
      PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`,
      npm_config_prefix: prefix, // `npm install -g` installs here
      npm_config_pack_destination: work, // `npm pack` in the clone writes the tarball here
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      ...vars,
    };
  };

  const sh = (command: string, cwd = work): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', command], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code, signal) => resolve({ code: code ?? signal ?? 'unknown', stdout, stderr }));
    });

  const ok = (run: Run, command: string) => assert.equal(run.code, 0, `${command}\n${run.stderr}`);

  it('runs every command of the section as written', async () => {
    const port = await freePortRange(3);
    const local = (command: string) =>
      command
        .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)
        .replaceAll('127.0.0.1:8081', `127.0.0.1:${port + 1}`)
        .replaceAll('127.0.0.1:8082', `127.0.0.1:${port + 2}`);
    const commands = readmeCommands();
    assert.ok(commands.length >= 15, commands.join('\n'));
    let gets = 0;
    for (const command of commands) {
      if (command === 'npm pack') {
        ok(await sh(command, projectRoot), command);
      } else if (command.startsWith('npm install -g ')) {
        ok(await sh(command), command);
      } else if (command === 'dsv --version') {
        const run = await sh(command);
        ok(run, command);
        assert.equal(run.stdout.trim(), '0.1.0');
      } else if (command === 'dsv dev') {
        dev = spawn('sh', ['-c', `exec dsv dev --port ${port}`], { cwd: work, env: env() });
        let output = '';
        dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const deadline = Date.now() + 90_000;
        while (!/ready/.test(output)) {
          assert.ok(Date.now() < deadline && dev.exitCode === null, `dsv dev did not get ready:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const token = /Root token: (\S+)/.exec(output)?.[1];
        assert.ok(token, output);
        vars.ROOT = token;
      } else if (command.startsWith('ROOT=')) {
        assert.ok(vars.ROOT); // the token dsv dev printed, set above
      } else if (command.startsWith('dsv token create ')) {
        const run = await sh(command);
        ok(run, command);
        const token = /^token\s+(\S+)$/m.exec(run.stdout)?.[1];
        assert.ok(token, run.stdout);
        vars.T = token;
      } else if (command.startsWith('curl ')) {
        const run = await sh(local(command));
        ok(run, command);
        if (command.includes('/stop')) assert.match(run.stdout, /"nodeId":"node-2","running":false/);
        else if (command.includes('/readyz'))
          assert.equal((JSON.parse(run.stdout) as { ready: boolean }).ready, true);
        else if (command.includes('/metrics')) assert.match(run.stdout, /^dsv_http_requests_total\{/m);
        else assert.fail(`no check for ${command}`);
      } else {
        const run = await sh(local(command));
        if (command === 'DSV_TOKEN=$T dsv secret put app db/password x') {
          assert.equal(run.code, 1, run.stderr);
          assert.match(run.stderr, /error \[DSV_AUTH_FORBIDDEN\]/);
          continue;
        }
        ok(run, command);
        if (command.endsWith('dsv secret get app db/password')) {
          gets += 1;
          assert.equal(run.stdout, 's3cret', command);
        } else if (command.startsWith('dsv env encrypt ')) {
          const file = readFileSync(join(work, '.env'), 'utf8');
          assert.equal(file, 'PORT=3000\nDB_PASSWORD=secret(DB_PASSWORD)\n');
        } else if (command.startsWith('dsv run ')) {
          assert.equal(run.stdout, '3000 n3w-s3cret\n');
        } else if (command === 'dsv status') {
          assert.match(run.stdout, /node-2/);
        } else if (
          !command.startsWith('dsv login ') &&
          !command.startsWith('dsv secret put ') &&
          !command.startsWith('printf ') &&
          !command.startsWith('dsv policy put ')
        ) {
          assert.fail(`no check for ${command}`);
        }
      }
    }
    assert.equal(gets, 3, 'the secret was read as root, with the policy token, and with a node down');
    dev?.kill('SIGINT');
    assert.equal(await new Promise((resolve) => dev?.once('exit', (code) => resolve(code))), 130);
  });
});
