// Administration: policies (an editor that shows which paths each rule grants) and tenants (root only),
// with quotas. The node decides every change; a 403 is shown as it is.
import { useEffect, useState } from 'preact/hooks';
import { api, describeError, seg } from '../api.ts';
import type { Capability, Rule, Session } from '../session.ts';

const CAPABILITIES: Capability[] = ['read', 'create', 'update', 'delete', 'list', 'history', 'admin'];

/** `app/db*: read, list` lines → rules (the node validates them again). */
export function parseRuleLines(text: string): Array<{ path: string; capabilities: string[] }> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const colon = line.lastIndexOf(':');
      const path = (colon < 0 ? line : line.slice(0, colon)).trim();
      const capabilities =
        colon < 0
          ? []
          : line
              .slice(colon + 1)
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean);
      return { path, capabilities };
    });
}

const describePattern = (pattern: string) =>
  pattern === '*'
    ? 'any'
    : pattern.endsWith('*')
      ? `starting with “${pattern.slice(0, -1)}”`
      : `exactly “${pattern}”`;

export function PoliciesScreen({ session }: { session: Session }) {
  const [tenant, setTenant] = useState(session.root ? 'default' : session.tenant);
  const [policies, setPolicies] = useState<Array<{ name: string; rules: Rule[] }> | null>(null);
  const [name, setName] = useState('');
  const [text, setText] = useState('app/*: read, list');
  const [error, setError] = useState('');
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    setError('');
    api<{ policies: Array<{ name: string; rules: Rule[] }> }>('GET', `/v2/sys/policies?tenant=${seg(tenant)}`)
      .then((reply) => setPolicies(reply.body.policies))
      .catch((e: unknown) => setError(describeError(e)));
  }, [tenant, refresh]);

  const rules = parseRuleLines(text);
  const save = async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      await api('PUT', `/v2/sys/policies/${seg(name)}?tenant=${seg(tenant)}`, { json: { rules } });
      setRefresh(refresh + 1);
    } catch (e) {
      setError(describeError(e));
    }
  };
  const remove = async (policy: string) => {
    if (!window.confirm(`Delete policy ${policy}?`)) return;
    try {
      await api('DELETE', `/v2/sys/policies/${seg(policy)}?tenant=${seg(tenant)}`);
      setRefresh(refresh + 1);
    } catch (e) {
      setError(describeError(e));
    }
  };
  const edit = (policy: { name: string; rules: Rule[] }) => {
    setName(policy.name);
    setText(
      policy.rules
        .map((rule) => `${rule.namespace}/${rule.name}: ${rule.capabilities.join(', ')}`)
        .join('\n'),
    );
  };

  return (
    <section>
      <h1>Policies</h1>
      <label>
        Tenant
        <input value={tenant} disabled={!session.root} onInput={(e) => setTenant(e.currentTarget.value)} />
      </label>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Rules</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody data-testid="policies">
            {(policies ?? []).map((policy) => (
              <tr key={policy.name}>
                <td>{policy.name}</td>
                <td>
                  {policy.rules.map((rule, i) => (
                    <div key={i}>
                      <code>
                        {rule.namespace}/{rule.name}
                      </code>
                      : {rule.capabilities.join(', ')}
                    </div>
                  ))}
                </td>
                <td class="row">
                  <button type="button" class="secondary outline" onClick={() => edit(policy)}>
                    Edit
                  </button>
                  <button type="button" class="contrast outline" onClick={() => void remove(policy.name)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <article>
        <h2>Edit a policy</h2>
        <form onSubmit={(event) => void save(event)}>
          <label for="policy-name">Name</label>
          <input id="policy-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
          <label for="policy-rules">
            Rules, one per line: namespace/name-pattern: capabilities ({CAPABILITIES.join(', ')})
          </label>
          <textarea
            id="policy-rules"
            rows={4}
            spellcheck={false}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <ul data-testid="policy-grants">
            {rules.map((rule, i) => {
              const slash = rule.path.indexOf('/');
              const ns = slash < 0 ? rule.path : rule.path.slice(0, slash);
              const nm = slash < 0 ? '' : rule.path.slice(slash + 1);
              const bad =
                slash <= 0 ||
                nm === '' ||
                rule.capabilities.some((c) => !CAPABILITIES.includes(c as Capability));
              return (
                <li key={i} class={bad ? 'error' : ''}>
                  {bad
                    ? `Line ${i + 1} is not “namespace/name: capabilities” with known capabilities`
                    : `Grants ${rule.capabilities.join(', ') || 'nothing'} on names ${describePattern(nm)} in namespaces ${describePattern(ns)}`}
                </li>
              );
            })}
          </ul>
          <button type="submit">Save policy</button>
        </form>
      </article>
    </section>
  );
}

interface Quota {
  readonly maxSecrets: number | null;
  readonly maxValueBytes: number | null;
  readonly requestsPerSecond: number | null;
}

const QUOTA_FIELDS: Array<[keyof Quota, string]> = [
  ['maxSecrets', 'Max secrets'],
  ['maxValueBytes', 'Max value bytes'],
  ['requestsPerSecond', 'Requests per second'],
];

export function TenantsScreen() {
  const [tenants, setTenants] = useState<{ tenants: string[]; shredded: string[] } | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [refresh, setRefresh] = useState(0);
  const [quotaTenant, setQuotaTenant] = useState<string | null>(null);
  const [quota, setQuota] = useState<Record<keyof Quota, string>>({
    maxSecrets: '',
    maxValueBytes: '',
    requestsPerSecond: '',
  });

  useEffect(() => {
    api<{ tenants: string[]; shredded: string[] }>('GET', '/v2/sys/tenants')
      .then((reply) => setTenants(reply.body))
      .catch((e: unknown) => setError(describeError(e)));
  }, [refresh]);

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      await api('POST', '/v2/sys/tenants', { json: { name } });
      setNotice(`Created tenant ${name}.`);
      setName('');
      setRefresh(refresh + 1);
    } catch (e) {
      setError(describeError(e));
    }
  };
  const openQuota = async (tenant: string) => {
    try {
      const reply = await api<{ tenant: string; quota: Partial<Quota> | null }>(
        'GET',
        `/v2/sys/quotas?tenant=${seg(tenant)}`,
      );
      const q = reply.body.quota ?? {};
      const text = (value: number | null | undefined) =>
        value === null || value === undefined ? '' : String(value);
      setQuota({
        maxSecrets: text(q.maxSecrets),
        maxValueBytes: text(q.maxValueBytes),
        requestsPerSecond: text(q.requestsPerSecond),
      });
      setQuotaTenant(tenant);
    } catch (e) {
      setError(describeError(e));
    }
  };
  const saveQuota = async (event: Event) => {
    event.preventDefault();
    if (quotaTenant === null) return;
    const number = (text: string) => (text.trim() === '' ? null : Number(text));
    try {
      await api('PUT', `/v2/sys/quotas?tenant=${seg(quotaTenant)}`, {
        json: {
          maxSecrets: number(quota.maxSecrets),
          maxValueBytes: number(quota.maxValueBytes),
          requestsPerSecond: number(quota.requestsPerSecond),
        },
      });
      setNotice(`Saved the quota of ${quotaTenant}.`);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <section>
      <h1>Tenants</h1>
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
      <table>
        <tbody data-testid="tenants">
          {(tenants?.tenants ?? []).map((tenant) => (
            <tr key={tenant}>
              <td>{tenant}</td>
              <td>{tenants?.shredded.includes(tenant) ? 'shredded' : 'active'}</td>
              <td>
                <button type="button" class="secondary outline" onClick={() => void openQuota(tenant)}>
                  Quota of {tenant}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {quotaTenant !== null ? (
        <article>
          <h2>Quota of {quotaTenant}</h2>
          <form onSubmit={(event) => void saveQuota(event)}>
            <div class="grid">
              {QUOTA_FIELDS.map(([field, label]) => (
                <label key={field}>
                  {label} (empty: no limit)
                  <input
                    type="number"
                    min={0}
                    value={quota[field]}
                    onInput={(e) => setQuota({ ...quota, [field]: e.currentTarget.value })}
                  />
                </label>
              ))}
            </div>
            <button type="submit">Save quota</button>
          </form>
        </article>
      ) : null}
      <form class="row" onSubmit={(event) => void create(event)}>
        <label for="tenant-name">New tenant</label>
        <input id="tenant-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Create tenant</button>
      </form>
    </section>
  );
}
