// Prices the online audit views' trail work on its own (no HTTP): a node's trail of `records` records, then
// what one request used to cost (verifyAuditTrail of the whole trail, synchronous per segment) against the
// shared follower (its first verification in slices, a later one, and a search), each with the longest pause
// of the event loop it caused (a 5 ms ticker). Run on its own:
//   node_modules/node/bin/node bench/audit-views-micro.ts [records, default 90000]
import { verifyAuditTrail } from '../src/audit/index.ts';
import { JsonlAuditSink } from '../src/audit/jsonl/jsonl-audit-sink.ts';
import { AuditTrailFollower } from '../src/audit/trail-follower.ts';
import { sampleInput, tempAuditDir } from '../src/audit/testing/audit-fixtures.ts';

async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20)); // the pause that ended with the work is measured
  clearInterval(ticker);
  console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms   longest pause ${longest.toFixed(0)} ms`);
}

const records = Number(process.argv[2] ?? 90_000);
const temp = await tempAuditDir();
try {
  const sink = await JsonlAuditSink.open({ dir: temp.dir, node: 'node-0' });
  for (let done = 0; done < records; done += 1000) {
    const count = Math.min(1000, records - done);
    await Promise.all(Array.from({ length: count }, (_, i) => sink.append(sampleInput(done + i))));
  }
  await sink.close();
  console.log(`a trail of ${records} records`);
  await timed('before: verifyAuditTrail on every request', () => verifyAuditTrail(temp.dir));
  const follower = new AuditTrailFollower(temp.dir);
  await timed('now: first request (the whole chain, sliced)', () => follower.status());
  await timed('now: a later request (nothing appended)', () => follower.status());
  await timed('now: the search of one request', () => follower.search('approval', () => true, 500));
} finally {
  await temp.dispose();
}
