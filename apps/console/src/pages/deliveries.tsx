import { useState } from 'react';
import { api, withQuery, type Page } from '../api';
import { Link, navigate } from '../router';
import { ErrorNote, Status, time, useAction, useLoad } from '../ui';

interface Delivery {
  id: string;
  execution_id: string;
  event: string;
  url: string;
  status: string;
  cycle: number;
  attempt_count: number;
  last_attempt: { status_code?: number | null; error?: string | null } | null;
  created_at: string;
}

/** The callback delivery log (filter by status or execution), cursor paging, redeliver. */
export function DeliveriesPage({ query }: { query: URLSearchParams }) {
  const status = query.get('status') ?? '';
  const executionId = query.get('execution_id') ?? '';
  const [cursor, setCursor] = useState('');
  const { data, error, reload } = useLoad(
    () => api<Page<Delivery>>('GET', withQuery('/v1/deliveries', { status, execution_id: executionId, cursor, limit: '25' })),
    [status, executionId, cursor],
  );
  const action = useAction();
  const [queued, setQueued] = useState<string | null>(null);
  const redeliver = (id: string) =>
    action.run(async () => {
      const r = await api<{ id: string; cycle: number }>('POST', `/v1/deliveries/${id}/redeliver`);
      // The callback service picks the request up asynchronously: show it queued, then the log again.
      setQueued(`Redelivery of ${r.id} queued: cycle ${r.cycle}`);
      reload();
    });
  return (
    <>
      <h1>Deliveries</h1>
      <div className="card filters">
        <div>
          <label htmlFor="d-status">Status</label>
          <select
            id="d-status"
            value={status}
            onChange={(e) => {
              setCursor('');
              navigate(withQuery('/deliveries', { status: e.target.value, execution_id: executionId }));
            }}
          >
            <option value="">any</option>
            <option>pending</option>
            <option>succeeded</option>
            <option>failed</option>
          </select>
        </div>
      </div>
      <ErrorNote error={error ?? action.error} />
      {queued && <p role="status">{queued}</p>}
      {data && (
        <div className="card">
          {data.data.length === 0 ? (
            <p>No deliveries.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">URL</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.data.map((d) => (
                    <tr key={d.id}>
                      <td>
                        {d.event}
                        <div>
                          <Link to={`/executions/${d.execution_id}`} className="mono">
                            {d.execution_id}
                          </Link>
                        </div>
                      </td>
                      <td>
                        <Status status={d.status} />
                      </td>
                      <td className="url">
                        <code>{d.url}</code>
                      </td>
                      <td>
                        {d.attempt_count} (cycle {d.cycle}){d.last_attempt?.status_code ? ` · last ${d.last_attempt.status_code}` : ''}
                      </td>
                      <td>{time(d.created_at)}</td>
                      <td>
                        {d.status !== 'pending' && (
                          <button type="button" className="secondary" disabled={action.busy} onClick={() => void redeliver(d.id)}>
                            Redeliver
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="pager">
            <button type="button" className="secondary" disabled={cursor === ''} onClick={() => setCursor('')}>
              Newest
            </button>
            <button type="button" className="secondary" disabled={!data.next_cursor} onClick={() => setCursor(data.next_cursor ?? '')}>
              Older
            </button>
          </div>
        </div>
      )}
    </>
  );
}
