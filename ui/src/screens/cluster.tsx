// Cluster: this node's readiness and every peer's health, readiness and log lag per partition (as this
// node sees them), dev-mode stop/start for root, and the shard redundancy of one secret — which nodes hold
// a shard of each version, which are missing or unreachable — refreshed every second.
import { useEffect, useState } from 'preact/hooks';
import { api, describeError, seg } from '../api.ts';
import type { Session } from '../session.ts';

interface Peer {
  readonly nodeId: string;
  readonly health: string;
  readonly lastSeenMs: number | null;
  readonly ready: { ready: boolean; reasons?: string[] } | null;
  readonly lag: number[] | null;
}

interface NodeStatus {
  readonly nodeId: string;
  readonly applied: number[];
  readonly ready: { ready: boolean; reasons: string[] } | null;
  readonly liveSecrets: number;
  readonly peers: Peer[];
}

interface Redundancy {
  readonly n: number;
  readonly k: number;
  readonly nodes: Array<{ nodeId: string; up: boolean }>;
  readonly versions: Array<{
    version: number;
    validFrom: string;
    validTo: string | null;
    available: number;
    shards: Array<{ index: number; nodeId: string; state: 'held' | 'missing' | 'unreachable' }>;
  }>;
}

function useEverySecond(tick: () => Promise<void>, deps: unknown[]) {
  useEffect(() => {
    let stopped = false;
    const run = async () => {
      if (stopped) return;
      await tick();
      if (!stopped) window.setTimeout(() => void run(), 1000);
    };
    void run();
    return () => {
      stopped = true;
    };
  }, deps);
}

export function ClusterScreen({ session }: { session: Session }) {
  const [status, setStatus] = useState<NodeStatus | null>(null);
  const [dev, setDev] = useState<Array<{ nodeId: string; running: boolean; url: string }> | null>(null);
  const [error, setError] = useState('');

  useEverySecond(async () => {
    try {
      setStatus((await api<NodeStatus>('GET', '/api/v1/cluster/nodes')).body);
      setError('');
    } catch (e) {
      setError(describeError(e));
    }
    if (session.root) {
      try {
        setDev(
          (await api<Array<{ nodeId: string; running: boolean; url: string }>>('GET', '/api/dev/nodes')).body,
        );
      } catch {
        setDev(null); // not a dev cluster
      }
    }
  }, [session.root]);

  const control = async (nodeId: string, action: 'stop' | 'start') => {
    try {
      await api('POST', `/api/dev/nodes/${seg(nodeId)}/${action}`);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <section>
      <h1>Cluster</h1>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {status ? (
        <div class="table-wrap">
          <table>
            <caption class="muted">As seen from {status.nodeId}; lag is in log records per partition</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Health</th>
                <th scope="col">Ready</th>
                <th scope="col">Log lag</th>
                {dev ? <th scope="col">Dev control</th> : null}
              </tr>
            </thead>
            <tbody data-testid="nodes">
              <tr>
                <td>{status.nodeId} (this node)</td>
                <td class="shard-held">healthy</td>
                <td>
                  {status.ready === null
                    ? '…'
                    : status.ready.ready
                      ? 'ready'
                      : `not ready: ${status.ready.reasons.join(', ')}`}
                </td>
                <td>0</td>
                {dev ? <td /> : null}
              </tr>
              {status.peers.map((peer) => {
                const running = dev?.find((node) => node.nodeId === peer.nodeId)?.running;
                return (
                  <tr key={peer.nodeId} data-node={peer.nodeId}>
                    <td>{peer.nodeId}</td>
                    <td class={peer.health === 'healthy' ? 'shard-held' : 'shard-missing'}>{peer.health}</td>
                    <td>
                      {peer.ready === null || peer.health === 'failed'
                        ? 'unknown'
                        : peer.ready.ready
                          ? 'ready'
                          : `not ready${peer.ready.reasons ? `: ${peer.ready.reasons.join(', ')}` : ''}`}
                    </td>
                    <td>{peer.lag === null ? '—' : peer.lag.join(' · ')}</td>
                    {dev ? (
                      <td>
                        <button
                          type="button"
                          class="secondary outline"
                          onClick={() => void control(peer.nodeId, running === false ? 'start' : 'stop')}
                        >
                          {running === false ? 'Start' : 'Stop'} {peer.nodeId}
                        </button>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {session.admin ? (
        <RedundancyView />
      ) : (
        <p class="muted">Shard redundancy needs a root or tenant-admin token.</p>
      )}
    </section>
  );
}

/** What changed between two polls: shards lost, recovered, nodes down and back, new versions. */
function activity(before: Redundancy, after: Redundancy): string[] {
  const out: string[] = [];
  for (const node of after.nodes) {
    const was = before.nodes.find((n) => n.nodeId === node.nodeId);
    if (was && was.up !== node.up) out.push(`${node.nodeId} is ${node.up ? 'back up' : 'down'}`);
  }
  for (const version of after.versions) {
    const old = before.versions.find((v) => v.version === version.version);
    if (!old) {
      const missing = version.shards
        .filter((shard) => shard.state === 'missing')
        .map((shard) => shard.nodeId);
      out.push(
        `v${version.version} written${missing.length > 0 ? `, no shard on ${missing.join(', ')}` : ''}`,
      );
      continue;
    }
    for (const shard of version.shards) {
      const was = old.shards.find((o) => o.index === shard.index)?.state;
      if (was === 'missing' && shard.state !== 'missing')
        out.push(`${shard.nodeId} recovered its shard of v${version.version}`);
      if (was !== 'missing' && was !== undefined && shard.state === 'missing')
        out.push(`${shard.nodeId} lost its shard of v${version.version}`);
    }
  }
  return out;
}

function RedundancyView() {
  const [namespace, setNamespace] = useState('');
  const [name, setName] = useState('');
  const [target, setTarget] = useState<{ namespace: string; name: string } | null>(null);
  const [report, setReport] = useState<Redundancy | null>(null);
  const [events, setEvents] = useState<Array<{ at: string; text: string }>>([]);
  const [error, setError] = useState('');

  useEverySecond(async () => {
    if (!target) return;
    try {
      const next = (
        await api<Redundancy>('GET', `/v2/sys/shards/${seg(target.namespace)}/${seg(target.name)}`)
      ).body;
      setReport((previous) => {
        const changes = previous ? activity(previous, next) : [];
        if (changes.length > 0) {
          const at = new Date().toLocaleTimeString();
          setEvents((old) => [...changes.map((text) => ({ at, text })), ...old].slice(0, 30));
        }
        return next;
      });
      setError('');
    } catch (e) {
      setError(describeError(e));
    }
  }, [target?.namespace, target?.name]);

  return (
    <article>
      <h2>Shard redundancy</h2>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          setTarget({ namespace, name });
        }}
      >
        <label for="red-namespace">Namespace</label>
        <input
          id="red-namespace"
          value={namespace}
          required
          onInput={(e) => setNamespace(e.currentTarget.value)}
        />
        <label for="red-name">Name</label>
        <input id="red-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Show</button>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {events.length > 0 ? (
        <>
          <h3>Repair activity</h3>
          <ul data-testid="repair-activity" aria-live="polite">
            {events.map((event, i) => (
              <li key={i}>
                <time>{event.at}</time> {event.text}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {report ? (
        <div class="table-wrap">
          <table>
            <caption class="muted">
              n = {report.n} shards per version, any k = {report.k} reconstruct it; refreshed every second
            </caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                {report.versions[0]?.shards.map((shard) => (
                  <th scope="col" key={shard.index}>
                    shard {shard.index + 1}
                  </th>
                ))}
                <th scope="col">Readable</th>
              </tr>
            </thead>
            <tbody data-testid="redundancy">
              {report.versions.map((v) => (
                <tr key={v.version} data-version={v.version}>
                  <td>v{v.version}</td>
                  {v.shards.map((shard) => (
                    <td
                      key={shard.index}
                      class={`shard-${shard.state}`}
                      data-node={shard.nodeId}
                      data-state={shard.state}
                    >
                      {shard.nodeId}: {shard.state}
                    </td>
                  ))}
                  <td>
                    {v.available}/{report.n} {v.available >= report.k ? '✓' : '✗ below k'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </article>
  );
}
