// The DSV web console (issue 12): a Preact single-page app served by every node at /ui/. Routes live in the
// URL fragment (never sent to the node) and hold only namespaces and names — never a value or a token.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from './api.ts';
import { ClusterScreen } from './screens/cluster.tsx';
import { EnvScreen } from './screens/env.tsx';
import { KeysScreen } from './screens/keys.tsx';
import { PoliciesScreen, TenantsScreen } from './screens/admin.tsx';
import { SecretScreen } from './screens/secret.tsx';
import { SecretsScreen } from './screens/secrets.tsx';
import { SignIn } from './screens/signin.tsx';
import { TokensScreen } from './screens/tokens.tsx';
import type { Session } from './session.ts';

function useRoute(): string[] {
  const read = () =>
    window.location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter((part) => part !== '')
      .map((part) => decodeURIComponent(part));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState('');
  const route = useRoute();

  useEffect(() => {
    api<Session>('GET', '/ui/api/session')
      .then((reply) => setSession(reply.body))
      .catch(() => setSession(null));
    const signedOut = () => setSession(null);
    window.addEventListener('dsv-signed-out', signedOut);
    return () => window.removeEventListener('dsv-signed-out', signedOut);
  }, []);

  if (session === undefined) return <main class="container" aria-busy="true" />;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const signOut = async () => {
    try {
      await api('DELETE', '/ui/api/session');
      setSession(null);
      window.location.hash = '';
    } catch (e) {
      setError(describeError(e));
    }
  };

  const [screen = 'secrets', ...rest] = route;
  const link = (target: string, label: string) => (
    <li>
      <a href={`#/${target}`} aria-current={screen === target ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  let body;
  switch (screen) {
    case 'secret':
      body = <SecretScreen session={session} namespace={rest[0] ?? ''} name={rest[1] ?? ''} />;
      break;
    case 'env':
      body = <EnvScreen session={session} />;
      break;
    case 'cluster':
      body = <ClusterScreen session={session} />;
      break;
    case 'tokens':
      body = session.admin ? <TokensScreen session={session} /> : <Forbidden />;
      break;
    case 'policies':
      body = session.admin ? <PoliciesScreen session={session} /> : <Forbidden />;
      break;
    case 'keys':
      body = session.root ? <KeysScreen /> : <Forbidden />;
      break;
    case 'tenants':
      body = session.root ? <TenantsScreen /> : <Forbidden />;
      break;
    default:
      body = <SecretsScreen session={session} namespace={rest[0] ?? ''} />;
  }
  return (
    <>
      <header class="container top">
        <nav aria-label="Main">
          <ul>
            <li>
              <strong>DSV</strong>
            </li>
            {link('secrets', 'Secrets')}
            {link('env', '.env')}
            {link('cluster', 'Cluster')}
            {session.admin ? link('tokens', 'Tokens') : null}
            {session.admin ? link('policies', 'Policies') : null}
            {session.root ? link('tenants', 'Tenants') : null}
            {session.root ? link('keys', 'Keys') : null}
          </ul>
          <ul>
            <li class="muted" data-testid="whoami">
              {session.root ? 'root' : `tenant ${session.tenant}`} · {session.accessor.slice(0, 8)}
            </li>
            <li>
              <button type="button" class="secondary outline" onClick={() => void signOut()}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
        {error ? <p class="error">{error}</p> : null}
      </header>
      <main class="container">{body}</main>
    </>
  );
}

function Forbidden() {
  return <p class="error">Forbidden (403): your token may not use this screen.</p>;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
