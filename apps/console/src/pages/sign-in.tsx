import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { session } from '../session';
import { ErrorNote } from '../ui';

/** Sign in with an API key: checked against /v1/workflows, then kept in sessionStorage only. */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('GET', '/v1/workflows?limit=1', { key: key.trim() });
      session.signIn(key.trim());
      onSignedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="sign-in">
      <form className="card" onSubmit={(e) => void submit(e)}>
        <h1>Flowgate console</h1>
        <p>Sign in with an API key of your workspace. It is kept for this browser tab only (session storage).</p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
