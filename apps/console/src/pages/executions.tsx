import { useState, type FormEvent } from 'react';
import { api, withQuery, type Page } from '../api';
import { Link, navigate } from '../router';
import type { Execution } from '../types';
import { ErrorNote, Status, duration, time, useLoad } from '../ui';

const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const FILTERS = ['workflow_id', 'status', 'created_after', 'created_before'] as const;

/** Executions, newest first: filters and the cursor live in the URL; "Newer" walks back the cursors seen. */
export function ExecutionsPage({ query }: { query: URLSearchParams }) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const cursor = query.get('cursor') ?? '';
  const [cursors, setCursors] = useState<string[]>([]);
  const key = query.toString();
  const { data, error } = useLoad(
    () =>
      api<Page<Execution>>(
        'GET',
        withQuery('/v1/executions', {
          ...filters,
          created_after: toIso(filters.created_after),
          created_before: toIso(filters.created_before),
          cursor,
          limit: '25',
        }),
      ),
    [key],
  );
  const go = (next: Record<string, string>) => navigate(withQuery('/executions', next));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setCursors([]);
    go(Object.fromEntries(FILTERS.map((f) => [f, textOf(form.get(f))])));
  };
  return (
    <>
      <h1>Executions</h1>
      <form className="card filters" onSubmit={submit} aria-label="Filters" key={key}>
        <div>
          <label htmlFor="f-workflow">Workflow id</label>
          <input id="f-workflow" name="workflow_id" defaultValue={filters.workflow_id} placeholder="wf_…" />
        </div>
        <div>
          <label htmlFor="f-status">Status</label>
          <select id="f-status" name="status" defaultValue={filters.status}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-after">Created after</label>
          <input id="f-after" name="created_after" type="datetime-local" defaultValue={filters.created_after} />
        </div>
        <div>
          <label htmlFor="f-before">Created before</label>
          <input id="f-before" name="created_before" type="datetime-local" defaultValue={filters.created_before} />
        </div>
        <button type="submit">Apply</button>
      </form>
      <ErrorNote error={error} />
      {data && (
        <div className="card">
          {data.data.length === 0 ? (
            <p>No executions match.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Execution</th>
                    <th scope="col">Status</th>
                    <th scope="col">Workflow</th>
                    <th scope="col">Created</th>
                    <th scope="col">Duration</th>
                  </tr>
                </thead>
                <tbody>
                  {data.data.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <Link to={`/executions/${e.id}`} className="mono">
                          {e.id}
                        </Link>
                        {e.test_run && <span className="tag">test</span>}
                        {e.replay_of && <span className="tag">replay</span>}
                      </td>
                      <td>
                        <Status status={e.status} />
                      </td>
                      <td>
                        <Link to={`/workflows/${e.workflow_id}`} className="mono">
                          {e.workflow_id}
                        </Link>{' '}
                        v{e.workflow_version} · {e.environment}
                      </td>
                      <td>{time(e.created_at)}</td>
                      <td>{duration(e.started_at, e.finished_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="pager">
            <button
              type="button"
              className="secondary"
              disabled={cursor === ''}
              onClick={() => {
                const previous = cursors.slice(0, -1);
                setCursors(previous);
                go({ ...filters, cursor: previous[previous.length - 1] ?? '' });
              }}
            >
              Newer
            </button>
            <button
              type="button"
              className="secondary"
              disabled={!data.next_cursor}
              onClick={() => {
                const next = data.next_cursor ?? '';
                setCursors([...cursors, next]);
                go({ ...filters, cursor: next });
              }}
            >
              Older
            </button>
          </div>
        </div>
      )}
    </>
  );
}

const textOf = (v: FormDataEntryValue | null): string => (typeof v === 'string' ? v : '');

/** A datetime-local value (local time) as the API's ISO date-time. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
