import { useState, type FormEvent } from 'react';
import { api, ApiFailure, withQuery, type Page } from '../api';
import { Link, navigate } from '../router';
import type { Workflow } from '../types';
import { DefinitionEditor } from './definition-editor';
import { ErrorNote, Section, time, useLoad } from '../ui';

const STARTER = JSON.stringify(
  { name: 'my-workflow', steps: [{ id: 'hello', type: 'transform', expression: '{"hello": trigger.body}' }] },
  null,
  2,
);

/** Workflows: search by name (the pages loaded) or by webhook token / URL (GET /v1/triggers), and create one. */
export function WorkflowsPage() {
  const [cursor, setCursor] = useState('');
  const [items, setItems] = useState<Workflow[]>([]);
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<{ error?: unknown; workflow?: Workflow } | null>(null);
  const { data, error } = useLoad(async () => {
    const page = await api<Page<Workflow>>('GET', withQuery('/v1/workflows', { limit: '50', cursor }));
    setItems((prev) => (cursor ? [...prev, ...page.data] : page.data));
    return page;
  }, [cursor]);

  const isToken = /^(wh_|https?:\/\/)/.test(search.trim());
  const lookup = async (e: FormEvent) => {
    e.preventDefault();
    if (!isToken) return;
    try {
      const r = await api<{ workflow: Workflow }>('GET', withQuery('/v1/triggers', { token: search.trim() }));
      setFound({ workflow: r.workflow });
    } catch (err) {
      setFound({ error: err });
    }
  };
  const shown = isToken ? [] : items.filter((w) => w.name.toLowerCase().includes(search.trim().toLowerCase()));
  const create = async (text: string, contentType: string) => {
    const created = await api<Workflow>('POST', '/v1/workflows', { raw: text, contentType });
    navigate(`/workflows/${created.id}`);
  };

  return (
    <>
      <h1>Workflows</h1>
      <form className="card search" role="search" onSubmit={(e) => void lookup(e)}>
        <label htmlFor="wf-search">Search by name, webhook token or URL</label>
        <div className="row">
          <input
            id="wf-search"
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setFound(null);
            }}
            placeholder="orders or wh_…"
          />
          {isToken && <button type="submit">Find</button>}
        </div>
        {found?.error !== undefined && (
          <ErrorNote
            error={found.error instanceof ApiFailure && found.error.status === 404 ? 'No workflow has this webhook' : found.error}
          />
        )}
        {found?.workflow && (
          <p>
            Found: <Link to={`/workflows/${found.workflow.id}`}>{found.workflow.name}</Link>
          </p>
        )}
      </form>
      <ErrorNote error={error} />
      {!isToken && (
        <div className="card">
          {shown.length === 0 ? (
            <p>{data ? 'No workflows.' : 'Loading…'}</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Published</th>
                    <th scope="col">Production webhook</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((w) => (
                    <tr key={w.id}>
                      <td>
                        <Link to={`/workflows/${w.id}`}>{w.name}</Link>
                        <div className="muted mono">{w.id}</div>
                      </td>
                      <td>{w.published_version === null ? 'draft only' : `v${w.published_version}`}</td>
                      <td>{w.triggers.production ? (w.triggers.production.enabled ? 'enabled' : 'disabled') : '—'}</td>
                      <td>{time(w.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {data?.next_cursor && (
            <button type="button" className="secondary" onClick={() => setCursor(data.next_cursor ?? '')}>
              Load more
            </button>
          )}
        </div>
      )}
      <Section title="New workflow">
        <DefinitionEditor initial={STARTER} submitLabel="Create" onSubmit={create} />
      </Section>
    </>
  );
}
