// Secrets: choose a namespace, list its names (the caller's `list` rules filter them on the node), paged and
// filtered by prefix; create a secret when the caller's rules allow creating in this namespace.
import { useEffect, useState } from 'preact/hooks';
import { api, describeError, seg } from '../api.ts';
import { can, canSomewhere, type Session } from '../session.ts';

const PAGE = 20;

export function SecretsScreen({ session, namespace }: { session: Session; namespace: string }) {
  const [draft, setDraft] = useState(namespace);
  useEffect(() => setDraft(namespace), [namespace]);
  const suggestions = [
    ...new Set(session.rules.map((rule) => rule.namespace).filter((ns) => !ns.endsWith('*'))),
  ];
  return (
    <section>
      <h1>Secrets</h1>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          window.location.hash = `#/secrets/${seg(draft.trim())}`;
        }}
      >
        <label for="namespace">Namespace</label>
        <input
          id="namespace"
          name="namespace"
          list="namespaces"
          value={draft}
          required
          onInput={(event) => setDraft(event.currentTarget.value)}
        />
        <datalist id="namespaces">
          {suggestions.map((ns) => (
            <option key={ns} value={ns} />
          ))}
        </datalist>
        <button type="submit">Open</button>
      </form>
      {namespace ? <NamespaceView session={session} namespace={namespace} /> : null}
    </section>
  );
}

function NamespaceView({ session, namespace }: { session: Session; namespace: string }) {
  const [prefix, setPrefix] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<{ names: string[]; next?: string } | null>(null);
  const [error, setError] = useState('');
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    setError('');
    const query = new URLSearchParams({ prefix, limit: String(PAGE) });
    if (cursor !== undefined) query.set('cursor', cursor);
    api<{ names: string[]; next?: string }>('GET', `/v2/secrets/${seg(namespace)}?${query.toString()}`)
      .then((reply) => setPage(reply.body))
      .catch((e: unknown) => setError(describeError(e)));
  }, [namespace, prefix, cursor]);

  return (
    <>
      <div class="row">
        <label for="prefix">Filter by prefix</label>
        <input
          id="prefix"
          type="search"
          value={prefix}
          onInput={(event) => {
            setCursors([]);
            setPrefix(event.currentTarget.value);
          }}
        />
      </div>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {page ? (
        <>
          <table>
            <caption class="muted">Names in {namespace} you may list</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
              </tr>
            </thead>
            <tbody data-testid="secret-names">
              {page.names.length === 0 ? (
                <tr>
                  <td class="muted">No names.</td>
                </tr>
              ) : (
                page.names.map((name) => (
                  <tr key={name}>
                    <td>
                      <a href={`#/secret/${seg(namespace)}/${seg(name)}`}>{name}</a>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          <div class="row">
            <button
              type="button"
              class="secondary"
              disabled={cursors.length === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              class="secondary"
              disabled={page.next === undefined}
              onClick={() => page.next !== undefined && setCursors([...cursors, page.next])}
            >
              Next page
            </button>
          </div>
        </>
      ) : null}
      {canSomewhere(session, 'create', namespace) ? (
        <CreateSecret session={session} namespace={namespace} />
      ) : (
        <p class="muted">Your token cannot create secrets in this namespace.</p>
      )}
    </>
  );
}

function CreateSecret({ session, namespace }: { session: Session; namespace: string }) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const allowed = name === '' || can(session, 'create', namespace, name);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('PUT', `/v2/secrets/${seg(namespace)}/${seg(name)}`, {
        json: { value },
        headers: { 'if-none-match': '*' },
      });
      setValue('');
      window.location.hash = `#/secret/${seg(namespace)}/${seg(name)}`;
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <article>
      <h2>New secret</h2>
      <form onSubmit={(event) => void submit(event)}>
        <label for="new-name">Name</label>
        <input
          id="new-name"
          value={name}
          required
          autocomplete="off"
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="new-value">Value</label>
        <input
          id="new-value"
          type="password"
          autocomplete="new-password"
          value={value}
          required
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        {!allowed ? (
          <p class="error">
            Your token cannot create {namespace}/{name}.
          </p>
        ) : null}
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={!allowed} aria-busy={busy}>
          Create
        </button>
      </form>
    </article>
  );
}
