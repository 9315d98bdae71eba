// Issue #11: a record appended but not applied here in time answers 503 DSV_OUTCOME_UNKNOWN (not "nothing was
// published"), and a retry with the same Idempotency-Key returns the original outcome. The delay is injected
// (the node's wait for its own commit record fails once) rather than waited for.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  appendAndApply,
  type CoordinatorContext,
} from '../../src/cluster/coordinator/coordinator-context.ts';
import { DsvError } from '../../src/errors/index.ts';
import type { LogEntry } from '../../src/secrets/index.ts';
import { startTestCluster, type TestCluster } from '../testing/dev-cluster.ts';

/** A context with just what appendAndApply touches: the log, the codec and the applier. */
function fakeContext(append: () => Promise<{ offset: number }>, wait: () => Promise<void>) {
  return {
    log: { append },
    codec: { encode: () => new Uint8Array([1]) },
    applier: { waitApplied: wait },
    timeouts: { applyMs: 10 },
  } as unknown as CoordinatorContext;
}

const entry = { type: 'abort', writeId: 'w', tenant: 't', time: 0, reason: 'quorum' } as unknown as LogEntry;

describe('appendAndApply', () => {
  it('appended but not applied in time: DSV_OUTCOME_UNKNOWN (503, retriable), the cause kept', async () => {
    const timedOut = new DsvError('DSV_LOG_UNAVAILABLE', 'not applied within 10 ms');
    const context = fakeContext(
      async () => ({ offset: 7 }),
      async () => Promise.reject(timedOut),
    );
    await assert.rejects(appendAndApply(context, 0, entry), (error: unknown) => {
      assert.ok(error instanceof DsvError);
      assert.equal(error.code, 'DSV_OUTCOME_UNKNOWN');
      assert.equal(error.status, 503);
      assert.equal(error.retriable, true);
      assert.equal(error.cause, timedOut);
      return true;
    });
  });

  it('an append the log refused is DSV_LOG_UNAVAILABLE: nothing was published', async () => {
    const context = fakeContext(
      async () => Promise.reject(new Error('broker down')),
      async () => undefined,
    );
    await assert.rejects(appendAndApply(context, 0, entry), { code: 'DSV_LOG_UNAVAILABLE' });
  });

  it('applied in time: the offset', async () => {
    const context = fakeContext(
      async () => ({ offset: 3 }),
      async () => undefined,
    );
    assert.equal(await appendAndApply(context, 0, entry), 3);
  });
});

describe('DSV_OUTCOME_UNKNOWN over HTTP', () => {
  let test: TestCluster;
  let root: string;
  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    root = await test.cluster.issueDevRootToken();
  });
  after(async () => {
    await test?.stop();
  });

  /** node-0's next commit record is appended for real, but its wait to apply it fails once. */
  function failNextCommitWait(): { fired: () => boolean } {
    const context = test.cluster.nodesById.get('node-0')?.coordinator?.context;
    assert.ok(context);
    const codec = context.codec as { encode: (partition: number, entry: LogEntry) => Uint8Array };
    const log = context.log as { append: CoordinatorContext['log']['append'] };
    const applier = context.applier as { waitApplied: CoordinatorContext['applier']['waitApplied'] };
    const encode = codec.encode.bind(codec);
    const append = log.append.bind(log);
    const waitApplied = applier.waitApplied.bind(applier);
    let commitNext = false;
    let target: { partition: number; offset: number } | undefined;
    let fired = false;
    codec.encode = (partition, next) => {
      if (next.type === 'commit' && !fired) commitNext = true;
      return encode(partition, next);
    };
    log.append = async (partition, key, bytes) => {
      const appended = await append(partition, key, bytes);
      if (commitNext) [commitNext, target] = [false, { partition, offset: appended.offset }];
      return appended;
    };
    applier.waitApplied = async (partition, offset, timeoutMs) => {
      if (!fired && target?.partition === partition && target.offset === offset) {
        fired = true;
        throw new DsvError('DSV_LOG_UNAVAILABLE', 'not applied in time (injected)');
      }
      return waitApplied(partition, offset, timeoutMs);
    };
    return { fired: () => fired };
  }

  const put = (value: string, idempotencyKey: string) =>
    fetch(`${test.urls[0] ?? ''}/v2/secrets/app/outcome`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${root}`,
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify({ value }),
    });

  it('answers 503 DSV_OUTCOME_UNKNOWN; the same Idempotency-Key then returns the original outcome', async () => {
    const injected = failNextCommitWait();
    const first = await put('s3cret', 'key-1');
    assert.equal(injected.fired(), true);
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('x-dsv-error-code'), 'DSV_OUTCOME_UNKNOWN');
    assert.ok(first.headers.get('retry-after'));
    const problem = (await first.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'DSV_OUTCOME_UNKNOWN');
    assert.match(problem.detail, /retry with the same Idempotency-Key/);
    // The write did commit: the retry answers as the original would have, and writes nothing new.
    for (const attempt of [1, 2]) {
      const retry = await put('s3cret', 'key-1');
      const body = (await retry.json()) as { version: number };
      assert.ok([200, 201].includes(retry.status), `retry ${attempt}: ${retry.status}`);
      assert.equal(body.version, 1, `retry ${attempt}`);
    }
    const versions = await fetch(`${test.urls[1] ?? ''}/v2/secrets/app/outcome/versions`, {
      headers: { authorization: `Bearer ${root}` },
    });
    const listed = (await versions.json()) as { versions: Array<{ version: number }> };
    assert.deepEqual(
      listed.versions.map((info) => info.version),
      [1],
    );
  });
});
