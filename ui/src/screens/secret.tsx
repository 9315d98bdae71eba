// One secret: the value stays hidden until revealed (or is copied without being shown), update with If-Match
// on the version shown, delete after typing the name, and the version history on a timeline with an "as of"
// slider that shows the value as it was at that time (the node's ?asOf read).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, describeError, seg } from '../api.ts';
import { can, type Session } from '../session.ts';

interface Version {
  readonly version: number;
  readonly validFrom: string;
  readonly validTo: string | null;
}

interface ReadReply {
  readonly value: string;
  readonly encoding?: string;
  readonly version: number;
}

const when = (iso: string | null) => (iso === null ? 'now' : new Date(iso).toLocaleString());

export function SecretScreen({
  session,
  namespace,
  name,
}: {
  session: Session;
  namespace: string;
  name: string;
}) {
  const path = `/v2/secrets/${seg(namespace)}/${seg(name)}`;
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [refresh, setRefresh] = useState(0);
  const mayHistory = can(session, 'history', namespace, name);

  useEffect(() => {
    setError('');
    if (!mayHistory) return;
    api<{ versions: Version[] }>('GET', `${path}/versions`)
      .then((reply) => setVersions(reply.body.versions))
      .catch((e: unknown) => setError(describeError(e)));
  }, [path, refresh, mayHistory]);

  const latest = versions?.[versions.length - 1]?.version;
  return (
    <section>
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href={`#/secrets/${seg(namespace)}`}>{namespace}</a>
          </li>
          <li>{name}</li>
        </ul>
      </nav>
      <h1>
        {namespace}/{name}
      </h1>
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
      {can(session, 'read', namespace, name) ? (
        <ValuePanel path={path} key={`${path}#${refresh}`} />
      ) : (
        <p class="muted">Your token cannot read this value.</p>
      )}
      {can(session, 'update', namespace, name) ? (
        <UpdateForm
          path={path}
          version={latest}
          onDone={(message) => {
            setNotice(message);
            setRefresh(refresh + 1);
          }}
        />
      ) : null}
      {mayHistory && versions ? (
        <History
          path={path}
          versions={versions}
          key={`${versions.length}:${versions[versions.length - 1]?.validFrom ?? ''}`}
        />
      ) : null}
      {session.admin ? <AuditPanel namespace={namespace} name={name} /> : null}
      {can(session, 'delete', namespace, name) ? (
        <DeleteSecret path={path} name={name} namespace={namespace} version={latest} />
      ) : null}
    </section>
  );
}

function ValuePanel({ path }: { path: string }) {
  const [value, setValue] = useState<ReadReply | null>(null);
  const [status, setStatus] = useState('');
  const read = async () => (await api<ReadReply>('GET', path)).body;
  const reveal = async () => {
    try {
      setValue(await read());
      setStatus('');
    } catch (e) {
      setStatus(describeError(e));
    }
  };
  const copy = async () => {
    try {
      const found = await read();
      await navigator.clipboard.writeText(found.value);
      setStatus(`Copied version ${found.version} to the clipboard.`);
    } catch (e) {
      setStatus(describeError(e));
    }
  };
  return (
    <article>
      <h2>Value</h2>
      <p class="secret-value" data-testid="secret-value">
        {value === null ? '••••••••' : value.value}
        {value?.encoding === 'base64' ? <small class="muted"> (base64)</small> : null}
      </p>
      <div class="row">
        {value === null ? (
          <button type="button" onClick={() => void reveal()}>
            Reveal
          </button>
        ) : (
          <button type="button" class="secondary" onClick={() => setValue(null)}>
            Hide
          </button>
        )}
        <button type="button" class="secondary outline" onClick={() => void copy()}>
          Copy
        </button>
        {value ? <span class="muted">version {value.version}</span> : null}
      </div>
      {status ? <p role="status">{status}</p> : null}
    </article>
  );
}

function UpdateForm({
  path,
  version,
  onDone,
}: {
  path: string;
  version: number | undefined;
  onDone: (message: string) => void;
}) {
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const reply = await api<{ version: number; unchanged?: boolean }>('PUT', path, {
        json: { value },
        headers: { 'if-match': version === undefined ? '*' : `"${version}"` },
      });
      setValue('');
      onDone(
        reply.body.unchanged === true
          ? `Unchanged: the value equals version ${reply.body.version}.`
          : `Updated: now at version ${reply.body.version}.`,
      );
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 412
          ? 'Someone changed this secret since you loaded it: reload the page and try again (412).'
          : describeError(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <article>
      <h2>Update</h2>
      <form onSubmit={(event) => void submit(event)}>
        <label for="update-value">
          New value {version === undefined ? '' : `(replaces version ${version})`}
        </label>
        <input
          id="update-value"
          type="password"
          autocomplete="new-password"
          value={value}
          required
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" aria-busy={busy}>
          Update
        </button>
      </form>
    </article>
  );
}

function History({ path, versions }: { path: string; versions: Version[] }) {
  const first = versions[0];
  const [now] = useState(() => Date.now());
  const min = first ? Date.parse(first.validFrom) : now;
  const [at, setAt] = useState(now);
  const [revealed, setRevealed] = useState(false);
  const [value, setValue] = useState<ReadReply | null>(null);
  const [error, setError] = useState('');
  const timer = useRef<number | undefined>(undefined);
  const active = versions.find(
    (v) => Date.parse(v.validFrom) <= at && (v.validTo === null || at < Date.parse(v.validTo)),
  );

  useEffect(() => {
    if (!revealed) {
      setValue(null);
      return;
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      api<ReadReply>('GET', `${path}?asOf=${encodeURIComponent(new Date(at).toISOString())}`)
        .then((reply) => {
          setValue(reply.body);
          setError('');
        })
        .catch((e: unknown) => setError(describeError(e)));
    }, 200);
    return () => window.clearTimeout(timer.current);
  }, [revealed, at, path]);

  const span = Math.max(1, now - min);
  return (
    <article>
      <h2>History</h2>
      <div class="timeline" aria-hidden="true">
        {versions.map((v) => {
          const end = v.validTo === null ? now : Date.parse(v.validTo);
          return (
            <span
              key={v.version}
              class={v.validTo === null ? 'current' : ''}
              style={{ flexGrow: Math.max(0.04, (end - Date.parse(v.validFrom)) / span) }}
            >
              v{v.version}
            </span>
          );
        })}
      </div>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Valid from</th>
              <th scope="col">Valid to</th>
            </tr>
          </thead>
          <tbody data-testid="versions">
            {versions.map((v) => (
              <tr key={v.version} aria-current={active?.version === v.version ? 'true' : undefined}>
                <td>{v.version}</td>
                <td>{when(v.validFrom)}</td>
                <td>{when(v.validTo)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <label for="as-of">
        As of <time data-testid="as-of-time">{new Date(at).toISOString()}</time> — version{' '}
        <strong data-testid="as-of-version">{active?.version ?? '—'}</strong>
      </label>
      <input
        id="as-of"
        type="range"
        min={min}
        max={now}
        step={1}
        value={at}
        onInput={(event) => setAt(Number(event.currentTarget.value))}
      />
      <div class="row">
        <button type="button" class="secondary" onClick={() => setRevealed(!revealed)}>
          {revealed ? 'Hide values as of' : 'Reveal value as of this time'}
        </button>
        <span class="secret-value" data-testid="as-of-value">
          {revealed ? (value ? `${value.value} (version ${value.version})` : '…') : '••••••••'}
        </span>
      </div>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </article>
  );
}

function DeleteSecret({
  path,
  namespace,
  name,
  version,
}: {
  path: string;
  namespace: string;
  name: string;
  version: number | undefined;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState('');
  const confirm = async () => {
    try {
      await api('DELETE', path, version === undefined ? {} : { headers: { 'if-match': `"${version}"` } });
      dialog.current?.close();
      window.location.hash = `#/secrets/${seg(namespace)}`;
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <>
      <button type="button" class="contrast" onClick={() => dialog.current?.showModal()}>
        Delete secret…
      </button>
      <dialog ref={dialog} aria-labelledby="delete-title">
        <article>
          <h2 id="delete-title">
            Delete {namespace}/{name}?
          </h2>
          <p>Every version is destroyed on every holder. This cannot be undone.</p>
          <label for="delete-confirm">Type the name to confirm</label>
          <input
            id="delete-confirm"
            value={typed}
            autocomplete="off"
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
          {error ? (
            <p class="error" role="alert">
              {error}
            </p>
          ) : null}
          <footer class="row">
            <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="button" class="contrast" disabled={typed !== name} onClick={() => void confirm()}>
              Delete
            </button>
          </footer>
        </article>
      </dialog>
    </>
  );
}

interface AuditAnswer {
  readonly node: string | null;
  readonly verified: boolean;
  readonly chainRecords: number;
  readonly brokenLink: { seq: number; reason: string; detail: string } | null;
  readonly total: number;
  readonly records: Array<{
    seq: number;
    time: string;
    operation: string;
    outcome: string;
    status: number;
    accessor: string | null;
  }>;
}

function AuditPanel({ namespace, name }: { namespace: string; name: string }) {
  const [answer, setAnswer] = useState<AuditAnswer | null>(null);
  const [error, setError] = useState('');
  const load = async () => {
    try {
      setAnswer((await api<AuditAnswer>('GET', `/ui/api/audit/${seg(namespace)}/${seg(name)}`)).body);
      setError('');
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <article>
      <h2>Audit trail</h2>
      <p class="muted">Every request that touched this secret on this node, found by its path HMAC.</p>
      <button type="button" class="secondary" onClick={() => void load()}>
        {answer ? 'Reload audit trail' : 'Load audit trail'}
      </button>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {answer ? (
        <>
          <p data-testid="audit-verified" class={answer.verified ? 'ok' : 'error'}>
            {answer.verified
              ? `Chain verified: ${answer.chainRecords} records on ${answer.node ?? 'this node'} link up.`
              : `Chain BROKEN at record ${answer.brokenLink?.seq ?? '?'}: ${answer.brokenLink?.detail ?? ''}`}{' '}
            {answer.total} record(s) of this secret
            {answer.total > answer.records.length ? ' (latest shown)' : ''}.
          </p>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Status</th>
                  <th scope="col">Token accessor</th>
                </tr>
              </thead>
              <tbody data-testid="audit-records">
                {answer.records.map((record) => (
                  <tr key={record.seq}>
                    <td>{record.seq}</td>
                    <td>{new Date(record.time).toLocaleString()}</td>
                    <td>{record.operation}</td>
                    <td>
                      {record.status} {record.outcome}
                    </td>
                    <td>
                      <code>{record.accessor === null ? 'anonymous' : record.accessor.slice(0, 12)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </article>
  );
}
