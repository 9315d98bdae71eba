// Placement by rendezvous (highest random weight) hashing of the secret id over node ids (DESIGN §4): no
// coordination, and little movement when nodes join or leave. A leaf: the client library computes placement
// itself (issue #9), so a lying node cannot name itself the holder of every shard.
import { createHash } from 'node:crypto';
import type { SecretKey } from './secret-key.ts';

/** Length-prefixed, so no two different (tenant, namespace, name) triples share an id (§4). */
export function secretId(key: SecretKey): Buffer {
  const hash = createHash('sha256');
  for (const part of [key.tenant, key.namespace, key.name]) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return hash.digest();
}

/**
 * Placements computed so far: a pure function of its inputs, asked several times per request (coordinator,
 * holders, reads). Bounded; started over when full. Keyed by a JSON array: names may hold any character.
 */
const placements = new Map<string, readonly string[]>();
const MAX_PLACEMENTS = 16_384;

/** The `n` holders of a secret, in shard-index order: holder i keeps shard i (x = i + 1). */
export function holdersFor(key: SecretKey, nodeIds: readonly string[], n: number): string[] {
  const memo = JSON.stringify([key.tenant, key.namespace, key.name, n, nodeIds]);
  let holders = placements.get(memo);
  if (holders === undefined) {
    holders = rendezvous(key, nodeIds, n);
    if (placements.size >= MAX_PLACEMENTS) placements.clear();
    placements.set(memo, holders);
  }
  return [...holders];
}

function rendezvous(key: SecretKey, nodeIds: readonly string[], n: number): string[] {
  const id = secretId(key);
  return nodeIds
    .map((node) => ({ node, weight: createHash('sha256').update(id).update(node, 'utf8').digest('hex') }))
    .sort((a, b) => (a.weight < b.weight ? 1 : a.weight > b.weight ? -1 : 0))
    .slice(0, n)
    .map(({ node }) => node);
}
