// .env: paste or drop a file, preview what each line will do, apply it atomically through the node's
// env:transform (only the DSV lines are sent; plain lines stay in the browser, as `dsv env` does), and
// download the result. Values are masked on screen; the download holds them.
import { useState } from 'preact/hooks';
import { api, describeError, seg } from '../api.ts';
import { can, canSomewhere, type Capability, type Session } from '../session.ts';

type Action = 'skip' | 'plain' | 'store' | 'resolve' | 'create' | 'update' | 'read' | 'delete';

interface Line {
  readonly number: number;
  readonly text: string;
  readonly key: string;
  readonly action: Action;
  readonly secret: string;
}

const SPLIT = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

/** A preview of the node's grammar (src/gateway/env/README.md); the node decides, atomically. */
export function classify(content: string): Line[] {
  return content
    .replace(/^\uFEFF/, '')
    .split(SPLIT)
    .map((text, i) => {
      const trimmed = text.trim();
      const eq = trimmed.indexOf('=');
      if (trimmed === '' || trimmed.startsWith('#') || eq <= 0)
        return { number: i + 1, text, key: '', action: 'skip', secret: '' };
      const key = trimmed
        .slice(0, eq)
        .trim()
        .replace(/^export\s+/, '');
      const rest = trimmed.slice(eq + 1).trimStart();
      const inner = (form: string) =>
        rest
          .slice(form.length)
          .replace(/[,)].*$/, '')
          .replace(/^"|"$/g, '')
          .trim();
      if (rest.startsWith('enc(')) return { number: i + 1, text, key, action: 'store', secret: key };
      if (rest.startsWith('secret('))
        return { number: i + 1, text, key, action: 'resolve', secret: inner('secret(') };
      const action = (rest.includes(':') ? rest.slice(0, rest.indexOf(':')) : rest).trim().toLowerCase();
      const map: Record<string, Action> = { new: 'create', update: 'update', get: 'read', delete: 'delete' };
      const found = map[action];
      if (found !== undefined && (action === 'get' || action === 'delete' || rest.includes(':')))
        return { number: i + 1, text, key, action: found, secret: key };
      return { number: i + 1, text, key, action: 'plain', secret: '' };
    });
}

const DESCRIBE: Record<Action, (line: Line) => string> = {
  skip: () => 'comment or blank: kept',
  plain: () => 'plain value: stays in the browser, never sent',
  store: (line) => `stored as secret ${line.secret}, written back as a reference`,
  resolve: (line) => `resolved from secret ${line.secret}`,
  create: (line) => `creates secret ${line.secret}`,
  update: (line) => `updates secret ${line.secret}`,
  read: (line) => `reads secret ${line.secret}`,
  delete: (line) => `deletes secret ${line.secret} (no output line)`,
};

const NEEDS: Partial<Record<Action, Capability>> = {
  store: 'create',
  create: 'create',
  update: 'update',
  resolve: 'read',
  read: 'read',
  delete: 'delete',
};

const sent = (line: Line) => line.action !== 'skip' && line.action !== 'plain';
const mask = (text: string) => text.replace(/=(?!\s*secret\().*/s, '=••••••••');

export function EnvScreen({ session }: { session: Session }) {
  const [namespace, setNamespace] = useState('');
  const [content, setContent] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const lines = classify(content);
  const dsvLines = lines.filter(sent);
  const allowed = (line: Line) => {
    const capability = NEEDS[line.action];
    return capability === undefined || namespace === '' || can(session, capability, namespace, line.secret);
  };
  const denied = dsvLines.filter((line) => !allowed(line));

  const load = async (file: File | undefined) => {
    if (file) setContent(await file.text());
    setResult(null);
  };

  const apply = async () => {
    setBusy(true);
    setError('');
    setResult(null);
    try {
      const reply = await api<{ content: string }>('POST', `/v2/env:transform?namespace=${seg(namespace)}`, {
        json: { content: dsvLines.map((line) => line.text).join('\n') },
      });
      const output = reply.body.content === '' ? [] : reply.body.content.split('\n');
      let next = 0;
      const merged: string[] = [];
      for (const line of lines) {
        if (!sent(line)) merged.push(line.text);
        else if (line.action !== 'delete') merged.push(output[next++] ?? '');
      }
      setResult(merged.join('\n'));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const download = () => {
    if (result === null) return;
    const url = URL.createObjectURL(
      new Blob([result.endsWith('\n') ? result : `${result}\n`], { type: 'text/plain' }),
    );
    const a = document.createElement('a');
    a.href = url;
    a.download = '.env';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section>
      <h1>.env</h1>
      {!canSomewhere(session, 'read') && !canSomewhere(session, 'create') ? (
        <p class="muted">Your token can neither store nor resolve secrets.</p>
      ) : null}
      <label for="env-namespace">Namespace</label>
      <input
        id="env-namespace"
        value={namespace}
        required
        onInput={(e) => setNamespace(e.currentTarget.value)}
      />
      <label for="env-file">Open a file</label>
      <input
        id="env-file"
        type="file"
        accept=".env,text/plain"
        onChange={(e) => void load(e.currentTarget.files?.[0])}
      />
      <label for="env-content">Or paste (or drop a file here)</label>
      <textarea
        id="env-content"
        rows={8}
        spellcheck={false}
        value={content}
        onInput={(e) => {
          setContent(e.currentTarget.value);
          setResult(null);
        }}
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          void load(e.dataTransfer?.files[0]);
        }}
      />
      {content ? (
        <div class="table-wrap">
          <table>
            <caption class="muted">
              Preview: {dsvLines.length} line(s) go to the node, in one all-or-nothing batch
            </caption>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Variable</th>
                <th scope="col">What happens</th>
                <th scope="col">Your token</th>
              </tr>
            </thead>
            <tbody data-testid="env-preview">
              {lines
                .filter((line) => line.action !== 'skip')
                .map((line) => (
                  <tr key={line.number} data-action={line.action}>
                    <td>{line.number}</td>
                    <td>{line.key}</td>
                    <td>{DESCRIBE[line.action](line)}</td>
                    <td class={allowed(line) ? '' : 'error'}>
                      {allowed(line) ? 'may' : `may not ${NEEDS[line.action] ?? ''}`}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {denied.length > 0 ? (
        <p class="error" data-testid="env-denied">
          Your token may not do line(s) {denied.map((line) => line.number).join(', ')}: the node would refuse
          the whole file, so it is not offered.
        </p>
      ) : null}
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <button
        type="button"
        disabled={!namespace || dsvLines.length === 0 || denied.length > 0}
        aria-busy={busy}
        onClick={() => void apply()}
      >
        Apply
      </button>
      {result !== null ? (
        <article>
          <h2>Result</h2>
          <p class="ok" role="status" data-testid="env-applied">
            Applied: {dsvLines.length} line(s) in one batch.
          </p>
          <pre data-testid="env-result">
            {result
              .split('\n')
              .map((line) => (/^\s*(#|$)/.test(line) ? line : mask(line)))
              .join('\n')}
          </pre>
          <button type="button" onClick={download}>
            Download .env
          </button>
        </article>
      ) : null}
    </section>
  );
}
