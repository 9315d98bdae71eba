// Tokens (root or tenant admin): list (never the token itself), create with policies and a TTL (the new
// token is shown once, masked until revealed), revoke.
import { useEffect, useState } from 'preact/hooks';
import { api, describeError, seg } from '../api.ts';
import type { Session } from '../session.ts';

interface TokenInfo {
  readonly accessor: string;
  readonly tenant: string | null;
  readonly root: boolean;
  readonly policies: string[];
  readonly displayName: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly expired: boolean;
  readonly revoked: boolean;
}

export function TokensScreen({ session }: { session: Session }) {
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [error, setError] = useState('');
  const [refresh, setRefresh] = useState(0);
  const [tenant, setTenant] = useState(session.root ? 'default' : session.tenant);
  const [policies, setPolicies] = useState('');
  const [ttl, setTtl] = useState('3600');
  const [displayName, setDisplayName] = useState('');
  const [created, setCreated] = useState<{ token: string; accessor: string } | null>(null);
  const [shown, setShown] = useState(false);

  useEffect(() => {
    api<{ tokens: TokenInfo[] }>('GET', '/v2/sys/tokens')
      .then((reply) => setTokens(reply.body.tokens))
      .catch((e: unknown) => setError(describeError(e)));
  }, [refresh]);

  const create = async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      const reply = await api<{ token: string; accessor: string }>('POST', '/v2/sys/tokens', {
        json: {
          tenant,
          policies: policies
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p !== ''),
          ...(ttl ? { ttlSeconds: Number(ttl) } : {}),
          displayName,
        },
      });
      setCreated(reply.body);
      setShown(false);
      setRefresh(refresh + 1);
    } catch (e) {
      setError(describeError(e));
    }
  };

  const revoke = async (accessor: string) => {
    if (!window.confirm(`Revoke token ${accessor}? Every node refuses it from then on.`)) return;
    try {
      await api('DELETE', `/v2/sys/tokens/${seg(accessor)}`);
      setRefresh(refresh + 1);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <section>
      <h1>Tokens</h1>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <article>
        <h2>Create a token</h2>
        <form onSubmit={(event) => void create(event)}>
          <div class="grid">
            <label>
              Tenant
              <input
                value={tenant}
                disabled={!session.root}
                required
                onInput={(e) => setTenant(e.currentTarget.value)}
              />
            </label>
            <label>
              Policies (comma-separated)
              <input name="policies" value={policies} onInput={(e) => setPolicies(e.currentTarget.value)} />
            </label>
          </div>
          <div class="grid">
            <label>
              TTL in seconds
              <input type="number" min={1} value={ttl} onInput={(e) => setTtl(e.currentTarget.value)} />
            </label>
            <label>
              Display name
              <input value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
            </label>
          </div>
          <button type="submit">Create token</button>
        </form>
        {created ? (
          <div role="status">
            <p>
              New token <code>{created.accessor}</code>, shown once:{' '}
              <code class="secret-value" data-testid="new-token">
                {shown ? created.token : '••••••••'}
              </code>
            </p>
            <div class="row">
              <button type="button" class="secondary" onClick={() => setShown(!shown)}>
                {shown ? 'Hide' : 'Reveal token'}
              </button>
              <button
                type="button"
                class="secondary outline"
                onClick={() => void navigator.clipboard.writeText(created.token)}
              >
                Copy token
              </button>
            </div>
          </div>
        ) : null}
      </article>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Accessor</th>
              <th scope="col">Tenant</th>
              <th scope="col">Policies</th>
              <th scope="col">Name</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody data-testid="tokens">
            {(tokens ?? []).map((token) => (
              <tr key={token.accessor}>
                <td>
                  <code>{token.accessor.slice(0, 12)}</code>
                </td>
                <td>{token.root ? 'root' : token.tenant}</td>
                <td>{token.policies.join(', ')}</td>
                <td>{token.displayName}</td>
                <td>{token.expiresAt === null ? 'never' : new Date(token.expiresAt).toLocaleString()}</td>
                <td>{token.revoked ? 'revoked' : token.expired ? 'expired' : 'active'}</td>
                <td>
                  {!token.revoked && (!token.root || session.root) ? (
                    <button
                      type="button"
                      class="contrast outline"
                      onClick={() => void revoke(token.accessor)}
                    >
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
