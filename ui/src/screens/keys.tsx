// Keys (root): each tenant's data keys on this node and the rewrap progress after a rotation; rotate.
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';

interface TenantKeys {
  readonly tenant: string;
  readonly activeKeyId: number | null;
  readonly keys: Array<{ id: number; state: string; shards: number; encryptions: number }>;
  readonly shards: number;
  readonly shardsUnderActiveKey: number;
  readonly rewrapPercent: number;
}

export function KeysScreen() {
  const [status, setStatus] = useState<{ nodeId: string; tenants: TenantKeys[] } | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    api<{ nodeId: string; tenants: TenantKeys[] }>('GET', '/api/admin/keys/status')
      .then((reply) => setStatus(reply.body))
      .catch((e: unknown) => setError(describeError(e)));
  }, [refresh]);

  const rotate = async (tenant?: string) => {
    if (!window.confirm(`Rotate the data key of ${tenant ?? 'every tenant'}?`)) return;
    try {
      await api('POST', '/api/admin/keys/rotate', { json: tenant === undefined ? {} : { tenant } });
      setNotice(`Rotated ${tenant ?? 'every tenant'}: old shards are rewrapped in the background.`);
      setRefresh(refresh + 1);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <section>
      <h1>Keys</h1>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p class="ok" role="status">
          {notice}
        </p>
      ) : null}
      <div class="row">
        <button type="button" class="secondary" onClick={() => setRefresh(refresh + 1)}>
          Refresh
        </button>
        <button type="button" class="contrast outline" onClick={() => void rotate()}>
          Rotate every tenant
        </button>
      </div>
      {status ? (
        <div class="table-wrap">
          <table>
            <caption class="muted">Data keys on {status.nodeId}</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Active key</th>
                <th scope="col">Keys (state: shards)</th>
                <th scope="col">Rewrapped</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody data-testid="keys">
              {status.tenants.map((tenant) => (
                <tr key={tenant.tenant}>
                  <td>{tenant.tenant}</td>
                  <td>{tenant.activeKeyId ?? '—'}</td>
                  <td>{tenant.keys.map((key) => `#${key.id} ${key.state}: ${key.shards}`).join(' · ')}</td>
                  <td>
                    <progress
                      value={tenant.rewrapPercent}
                      max={100}
                      aria-label={`rewrap of ${tenant.tenant}`}
                    />{' '}
                    {tenant.shardsUnderActiveKey}/{tenant.shards} ({tenant.rewrapPercent}%)
                  </td>
                  <td>
                    <button
                      type="button"
                      class="secondary outline"
                      onClick={() => void rotate(tenant.tenant)}
                    >
                      Rotate
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
