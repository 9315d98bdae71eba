// Sign-in: the token goes once to the node, which answers with an HttpOnly session cookie. The token is
// never stored by the page (no localStorage, no sessionStorage) and the field is cleared at once.
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import type { Session } from '../session.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const reply = await api<Session>('POST', '/ui/api/session', { json: { token } });
      setToken('');
      onSignedIn(reply.body);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="container">
      <article>
        <header>
          <h1>DSV console</h1>
          <p class="muted">
            Sign in with a DSV token (root or tenant). It is kept by the node in a session, not in this page.
          </p>
        </header>
        <form onSubmit={(event) => void submit(event)}>
          <label for="token">Token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="off"
            spellcheck={false}
            placeholder="dsv.…"
            value={token}
            required
            onInput={(event) => setToken(event.currentTarget.value)}
          />
          {error ? (
            <p class="error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" aria-busy={busy}>
            Sign in
          </button>
        </form>
      </article>
    </main>
  );
}
