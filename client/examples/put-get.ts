// Store a value and read it back in client-side mode: the value is split into shards here, and combined here.
//   DSV_URL=http://127.0.0.1:8080 DSV_TOKEN=dsv.… node client/examples/put-get.ts
// (From another project: `import { DsvClient } from '@dsv-vault/client'`, see client/README.md.)
import { readFileSync } from 'node:fs';
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

const written = await client.put('examples', 'db/password', 'correct horse battery staple');
console.log(
  `stored version ${written.version}${written.created ? ' (created)' : written.unchanged ? ' (unchanged)' : ''}`,
);

const read = await client.get('examples', 'db/password');
console.log(`read version ${read.version} (ETag ${read.etag}): ${read.value.length} bytes`);
read.value.fill(0); // the bytes are ours: wipe them once used

for (const { version, validFrom, validTo } of await client.versions('examples', 'db/password'))
  console.log(`  v${version} ${validFrom} → ${validTo ?? 'current'}`);
