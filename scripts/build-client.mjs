// Builds the client library (client/, issue 9) into an npm package another Node project installs:
// `index.js` (one ESM bundle of client/ and the leaf modules it uses: node builtins only, no dependency),
// `types/` (declarations from client/index.ts) and a package.json. Usage:
//   node scripts/build-client.mjs [outdir]        (default client/dist; then `npm install <outdir>`)
// Plain JS so that any Node ≥ 20 can run it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'client', 'dist'));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'client', 'index.ts')],
  outfile: join(out, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(root, 'client', 'tsconfig.build.json'),
    '--outDir',
    join(out, 'types'),
  ],
  { stdio: 'inherit' },
);
const types = './types/client/index.d.ts';
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      name: '@dsv-vault/client',
      version,
      description: 'DSV client library: secrets split and combined in your process (client-side mode)',
      license: 'Apache-2.0',
      type: 'module',
      main: './index.js',
      types,
      exports: { '.': { types, default: './index.js' } },
      engines: { node: '>=20' },
    },
    null,
    2,
  )}\n`,
);
console.log(`client library built in ${out} (npm install ${out})`);
