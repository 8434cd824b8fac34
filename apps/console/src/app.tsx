import { useEffect, useState } from 'react';
import { setUnauthorizedHandler } from './api';
import { Link, match, navigate, useLocation } from './router';
import { session } from './session';
import { DeliveriesPage } from './pages/deliveries';
import { ExecutionPage } from './pages/execution';
import { ExecutionsPage } from './pages/executions';
import { SettingsPage } from './pages/settings';
import { SignInPage } from './pages/sign-in';
import { WorkflowPage } from './pages/workflow';
import { WorkflowsPage } from './pages/workflows';

const NAV = [
  { to: '/workflows', label: 'Workflows' },
  { to: '/executions', label: 'Executions' },
  { to: '/deliveries', label: 'Deliveries' },
  { to: '/settings', label: 'Settings' },
];

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const loc = useLocation();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      session.signOut();
      setSignedIn(false);
    });
  }, []);

  if (!signedIn) return <SignInPage onSignedIn={() => setSignedIn(true)} />;

  const signOut = () => {
    session.signOut();
    setSignedIn(false);
    navigate('/', { replace: true });
  };
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/workflows" className="brand">
          Flowgate
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={loc.path.startsWith(n.to) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">{route(loc.path, loc.query)}</main>
    </>
  );
}

function route(path: string, query: URLSearchParams) {
  let p: Record<string, string> | null;
  if ((p = match('/workflows/:id', path))) return <WorkflowPage key={p.id} id={p.id ?? ''} />;
  if (match('/workflows', path) || path === '/') return <WorkflowsPage />;
  if ((p = match('/executions/:id', path))) return <ExecutionPage key={p.id} id={p.id ?? ''} />;
  if (match('/executions', path)) return <ExecutionsPage query={query} />;
  if (match('/deliveries', path)) return <DeliveriesPage query={query} />;
  if (match('/settings', path)) return <SettingsPage />;
  return (
    <section className="card">
      <h1>Not found</h1>
      <p>
        No console page at {path}. <Link to="/workflows">Workflows</Link>
      </p>
    </section>
  );
}
