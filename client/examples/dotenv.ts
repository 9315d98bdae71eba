// A .env file in client-side mode: `enc(…)` values are stored (split here), `secret(…)` references are
// resolved (combined here), in one all-or-nothing intent; the output is the file the server path would give.
//   DSV_URL=… DSV_TOKEN=dsv.… node client/examples/dotenv.ts
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { DsvClient } from '../index.ts';

// Pin the cluster: DSV_TOPOLOGY names a file holding what DsvClient.fetchTopology(url) answered once (see
// client/README.md); without it, this example trusts the first topology it fetches.
const pinned = process.env.DSV_TOPOLOGY
  ? DsvClient.parseTopology(JSON.parse(readFileSync(process.env.DSV_TOPOLOGY, 'utf8')))
  : undefined;
const client = new DsvClient({
  url: process.env.DSV_URL ?? 'http://127.0.0.1:8080',
  token: process.env.DSV_TOKEN ?? '',
  ...(pinned ?? { trustFirstTopology: true }),
});
const namespace = `examples-${randomUUID().slice(0, 8)}`;

// Store two values: the file comes back with references in their place.
const encrypted = await client.transformEnv(
  namespace,
  'DB_PASSWORD=enc(s3cret)\nexport API_KEY="enc(k3y #1)"',
);
console.log(encrypted); // DB_PASSWORD=secret(DB_PASSWORD)\nexport API_KEY=secret(API_KEY)

// Resolve them (a read-only file needs no intent: each reference is resolved and combined here).
const resolved = await client.transformEnv(namespace, encrypted);
console.log(resolved.replace(/=.*/g, '=…')); // do not print secrets
