import { api, ApiFailure } from '../api';
import { ErrorNote, Section, time, useAction, useLoad } from '../ui';

interface Schedule {
  cron?: string;
  timezone?: string;
  paused: boolean;
  next_fires: string[];
  last_fire_at: string | null;
}

/** The published cron schedule with its next fire times; pause / resume. */
export function SchedulePanel({ id }: { id: string }) {
  const { data, error, setData } = useLoad(
    () =>
      api<Schedule>('GET', `/v1/workflows/${id}/schedule`).catch((e: unknown) => {
        if (e instanceof ApiFailure && e.status === 404) return null;
        throw e;
      }),
    [id],
  );
  const action = useAction();
  const toggle = (what: 'pause' | 'resume') =>
    action.run(async () => {
      setData(await api<Schedule>('POST', `/v1/workflows/${id}/schedule/${what}`));
    });
  return (
    <Section title="Schedule">
      <ErrorNote error={error} />
      {data === null && <p>No published schedule (trigger.schedule).</p>}
      {data && (
        <>
          <p>
            <code>{data.cron}</code> {data.timezone ?? ''} · {data.paused ? 'paused' : 'active'} · last fire {time(data.last_fire_at)}
          </p>
          {data.next_fires.length > 0 && (
            <ol aria-label="Next fires">
              {data.next_fires.map((f) => (
                <li key={f}>{time(f)}</li>
              ))}
            </ol>
          )}
          <button type="button" className="secondary" disabled={action.busy} onClick={() => void toggle(data.paused ? 'resume' : 'pause')}>
            {data.paused ? 'Resume' : 'Pause'}
          </button>
        </>
      )}
      <ErrorNote error={action.error} />
    </Section>
  );
}
