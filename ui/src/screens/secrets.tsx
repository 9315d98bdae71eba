// Secrets: browse the namespaces the caller may list something in (GET /v2/namespaces) or type one, list its
// names (the caller's `list` rules filter both on the node), paged and filtered by prefix; create a secret
// when the caller's rules allow creating in this namespace.
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
      {namespace ? (
        <>
          <p>
            <a href="#/secrets">All namespaces</a>
          </p>
          <NamespaceView key={namespace} session={session} namespace={namespace} />
        </>
      ) : canSomewhere(session, 'list') ? (
        <NamespaceList />
      ) : (
        <p class="muted">Your token cannot list secrets: type a namespace to create one.</p>
      )}
    </section>
  );
}

interface Paged {
  readonly next?: string;
}

/** One page of a listing endpoint (`?prefix=&limit=&cursor=`), with the cursors of the pages before it. */
function usePaged<P extends Paged>(path: string) {
  const [prefix, setPrefix] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<P | null>(null);
  const [error, setError] = useState('');
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let current = true;
    setError('');
    const query = new URLSearchParams({ prefix, limit: String(PAGE) });
    if (cursor !== undefined) query.set('cursor', cursor);
    api<P>('GET', `${path}?${query.toString()}`)
      .then((reply) => current && setPage(reply.body))
      .catch((e: unknown) => current && setError(describeError(e)));
    return () => {
      current = false;
    };
  }, [path, prefix, cursor]);

  return {
    prefix,
    page,
    error,
    filter: (value: string) => {
      setCursors([]);
      setPrefix(value);
    },
    hasPrevious: cursors.length > 0,
    previous: () => setCursors(cursors.slice(0, -1)),
    next: () => page?.next !== undefined && setCursors([...cursors, page.next]),
  };
}

function Pager({ paged }: { paged: ReturnType<typeof usePaged> }) {
  return (
    <div class="row">
      <button type="button" class="secondary" disabled={!paged.hasPrevious} onClick={paged.previous}>
        Previous page
      </button>
      <button type="button" class="secondary" disabled={paged.page?.next === undefined} onClick={paged.next}>
        Next page
      </button>
    </div>
  );
}

/** The namespaces of the tenant holding a secret the caller may list: the node never names the others. */
function NamespaceList() {
  const paged = usePaged<{ namespaces: string[]; next?: string }>('/v2/namespaces');
  return (
    <>
      <div class="row">
        <label for="namespace-prefix">Filter namespaces by prefix</label>
        <input
          id="namespace-prefix"
          type="search"
          value={paged.prefix}
          onInput={(event) => paged.filter(event.currentTarget.value)}
        />
      </div>
      {paged.error ? (
        <p class="error" role="alert">
          {paged.error}
        </p>
      ) : null}
      {paged.page ? (
        <>
          <table>
            <caption class="muted">Namespaces holding secrets you may list</caption>
            <thead>
              <tr>
                <th scope="col">Namespace</th>
              </tr>
            </thead>
            <tbody data-testid="namespaces">
              {paged.page.namespaces.length === 0 ? (
                <tr>
                  <td class="muted">No namespaces.</td>
                </tr>
              ) : (
                paged.page.namespaces.map((ns) => (
                  <tr key={ns}>
                    <td>
                      <a href={`#/secrets/${seg(ns)}`}>{ns}</a>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          <Pager paged={paged} />
        </>
      ) : null}
    </>
  );
}

function NamespaceView({ session, namespace }: { session: Session; namespace: string }) {
  const paged = usePaged<{ names: string[]; next?: string }>(`/v2/secrets/${seg(namespace)}`);
  const page = paged.page;

  return (
    <>
      <div class="row">
        <label for="prefix">Filter by prefix</label>
        <input
          id="prefix"
          type="search"
          value={paged.prefix}
          onInput={(event) => paged.filter(event.currentTarget.value)}
        />
      </div>
      {paged.error ? (
        <p class="error" role="alert">
          {paged.error}
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
          <Pager paged={paged} />
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
