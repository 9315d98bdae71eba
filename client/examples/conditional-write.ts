// Conditional writes in client-side mode, decided by the log exactly as on the server path:
// create-only, compare-and-set on the version read, and an idempotent retry.
//   DSV_URL=… DSV_TOKEN=dsv.… node client/examples/conditional-write.ts
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { DsvClient, DsvClientError } from '../index.ts';

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
const name = `api-key-${randomUUID().slice(0, 8)}`;

// Create only: a second create is 409 DSV_SECRET_EXISTS.
await client.put('examples', name, 'v1', { ifNoneMatch: '*' });
try {
  await client.put('examples', name, 'v1 again', { ifNoneMatch: '*' });
} catch (error) {
  if (!(error instanceof DsvClientError) || error.code !== 'DSV_SECRET_EXISTS') throw error;
  console.log(`create-only: ${error.status} ${error.code}`);
}

// Compare-and-set: update only if nobody wrote since we read (else 412 DSV_PRECONDITION_FAILED).
const current = await client.get('examples', name);
current.value.fill(0);
const next = await client.put('examples', name, 'v2', { ifMatch: current.version });
console.log(`compare-and-set: version ${current.version} → ${next.version}`);

// Idempotent retry: the same key answers as the first request did, and makes no second version.
const key = randomUUID();
const first = await client.put('examples', name, 'v3', { idempotencyKey: key });
const retry = await client.put('examples', name, 'v3', { idempotencyKey: key });
console.log(`idempotent: ${first.version} and ${retry.version}`);
