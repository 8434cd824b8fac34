import { useState } from 'react';
import { api } from '../api';
import { CopyButton, ErrorNote, Section, time, useAction, useLoad } from '../ui';

interface Secret {
  id: string;
  method: string;
  fingerprint: string;
  created_at: string;
}

/** The webhook's auth secrets by fingerprint: add (a second one = rotation), revoke; a generated secret is shown once. */
export function TriggerSecrets({ id }: { id: string }) {
  const { data, error, setData } = useLoad(() => api<{ secrets: Secret[] }>('GET', `/v1/workflows/${id}/trigger/secrets`), [id]);
  const action = useAction();
  const [method, setMethod] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const add = () =>
    action.run(async () => {
      const r = await api<{ secret?: string; secrets: Secret[] }>('POST', `/v1/workflows/${id}/trigger/secrets`, {
        body: method ? { method } : {},
      });
      setShown(r.secret ?? null);
      setData({ secrets: r.secrets });
    });
  const revoke = (secretId: string) =>
    action.run(async () => {
      setData(await api<{ secrets: Secret[] }>('DELETE', `/v1/workflows/${id}/trigger/secrets/${secretId}`));
    });
  return (
    <Section title="Webhook secrets">
      <ErrorNote error={error} />
      {data && data.secrets.length === 0 && <p>The webhook has no auth method with secrets (trigger.webhook.auth).</p>}
      {data && data.secrets.length > 0 && (
        <ul className="plain">
          {data.secrets.map((s) => (
            <li key={s.id}>
              <code>{s.fingerprint}</code> {s.method} · {time(s.created_at)}{' '}
              <button type="button" className="danger" disabled={action.busy} onClick={() => void revoke(s.id)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <label htmlFor="secret-method">Method (when there are several)</label>
        <input id="secret-method" value={method} onChange={(e) => setMethod(e.target.value)} placeholder="hmac" />
        <button type="button" disabled={action.busy} onClick={() => void add()}>
          Add / rotate
        </button>
      </div>
      {shown && (
        <p role="status">
          New secret (shown once): <code>{shown}</code> <CopyButton text={shown} label="Copy the new secret" />
        </p>
      )}
      <ErrorNote error={action.error} />
    </Section>
  );
}
