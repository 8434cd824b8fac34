import { useState } from 'react';
import { api, type Page } from '../api';
import { CopyButton, ErrorNote, Json, Section, time, useAction, useLoad } from '../ui';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
const SCOPES = ['admin', 'workflows:read', 'workflows:write', 'executions:read', 'executions:write'];

/** Workspace settings (admin scope): the workspace, API keys, quotas, egress allow-list, callback secret. */
export function SettingsPage() {
  const workspace = useLoad(() => api<{ id: string; name: string; status: string }>('GET', '/v1/workspace'), []);
  return (
    <>
      <h1>Workspace settings</h1>
      <ErrorNote error={workspace.error} />
      {workspace.data && (
        <p>
          <strong>{workspace.data.name}</strong> <span className="mono muted">{workspace.data.id}</span> · {workspace.data.status}
        </p>
      )}
      <ApiKeys />
      <Quotas />
      <Egress />
      <CallbackSecret />
    </>
  );
}

function ApiKeys() {
  const { data, error, reload } = useLoad(() => api<Page<ApiKey>>('GET', '/v1/api-keys?limit=100'), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState('executions:read');
  const [minted, setMinted] = useState<string | null>(null);
  const action = useAction();
  const create = () =>
    action.run(async () => {
      const r = await api<{ key: string }>('POST', '/v1/api-keys', { body: { name, scopes: [scope] } });
      setMinted(r.key);
      setName('');
      reload();
    });
  const revoke = (id: string) =>
    action.run(async () => {
      await api('DELETE', `/v1/api-keys/${id}`);
      reload();
    });
  return (
    <Section title="API keys">
      <ErrorNote error={error} />
      {data && (
        <ul className="plain">
          {data.data.map((k) => (
            <li key={k.id}>
              <strong>{k.name}</strong> <code>{k.prefix}…</code> {k.scopes.join(', ')} · created {time(k.created_at)} · last used{' '}
              {time(k.last_used_at)}{' '}
              {k.revoked_at ? (
                <span className="tag off">revoked</span>
              ) : (
                <button type="button" className="danger" disabled={action.busy} onClick={() => void revoke(k.id)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <label htmlFor="key-name">Name</label>
        <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="key-scope">Scope</label>
        <select id="key-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
          {SCOPES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <button type="button" disabled={action.busy || name.trim() === ''} onClick={() => void create()}>
          Create key
        </button>
      </div>
      {minted && (
        <p role="status">
          New key (shown once): <code>{minted}</code> <CopyButton text={minted} label="Copy the new key" />
        </p>
      )}
      <ErrorNote error={action.error} />
    </Section>
  );
}

function Quotas() {
  const { data, error } = useLoad(() => api<unknown>('GET', '/v1/workspace/quotas'), []);
  return (
    <Section title="Quotas">
      <ErrorNote error={error} />
      {data !== undefined && <Json value={data} label="Quotas and usage" />}
    </Section>
  );
}

function Egress() {
  const { data, error, setData } = useLoad(() => api<{ allow_cidrs: string[] }>('GET', '/v1/workspace/egress'), []);
  const [text, setText] = useState<string | null>(null);
  const action = useAction();
  const value = text ?? data?.allow_cidrs.join('\n') ?? '';
  const save = () =>
    action.run(async () => {
      const allow_cidrs = value
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      setData(await api<{ allow_cidrs: string[] }>('PUT', '/v1/workspace/egress', { body: { allow_cidrs } }));
      setText(null);
    });
  return (
    <Section title="Egress allow-list">
      <ErrorNote error={error} />
      <label htmlFor="egress">Non-public CIDRs http steps may reach (one a line)</label>
      <textarea id="egress" className="mono" rows={3} value={value} onChange={(e) => setText(e.target.value)} />
      <div className="actions">
        <button type="button" disabled={action.busy} onClick={() => void save()}>
          Save
        </button>
      </div>
      <ErrorNote error={action.error} />
    </Section>
  );
}

interface CallbackSecrets {
  secrets: { id: string; current: boolean; source: string; created_at: string | null; expires_at: string | null }[];
}

function CallbackSecret() {
  const { data, error, setData } = useLoad(() => api<CallbackSecrets>('GET', '/v1/callback-secret'), []);
  const [minted, setMinted] = useState<string | null>(null);
  const action = useAction();
  const rotate = () =>
    action.run(async () => {
      const r = await api<CallbackSecrets & { secret: string }>('POST', '/v1/callback-secret/rotate', { body: {} });
      setMinted(r.secret);
      setData({ secrets: r.secrets });
    });
  return (
    <Section title="Callback signing secret">
      <ErrorNote error={error} />
      {data && (
        <ul className="plain">
          {data.secrets.map((s) => (
            <li key={s.id}>
              <code>{s.id}</code> {s.current ? 'current' : 'previous'} · {s.source} · created {time(s.created_at)}
              {s.expires_at ? ` · expires ${time(s.expires_at)}` : ''}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="secondary" disabled={action.busy} onClick={() => void rotate()}>
        Rotate (previous stays valid one day)
      </button>
      {minted && (
        <p role="status">
          New secret (shown once): <code>{minted}</code> <CopyButton text={minted} label="Copy the new callback secret" />
        </p>
      )}
      <ErrorNote error={action.error} />
    </Section>
  );
}
