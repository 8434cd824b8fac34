import { useEffect, useState } from 'react';
import { api, postPublic } from '../api';
import { Link, navigate } from '../router';
import { streamEvents } from '../sse';
import { TERMINAL, type Execution } from '../types';
import { ErrorNote, Json, Section, Status, duration, time, useAction, useLoad } from '../ui';
import { Timeline } from './timeline';
import { WaitingPanel } from './waiting';

/**
 * One execution: its state, the step timeline, inputs and outputs, the waiting state with its
 * actions, cancel and replay; live through GET /v1/executions/{id}/events while it is not finished.
 */
export function ExecutionPage({ id }: { id: string }) {
  const { data, error, setData, reload } = useLoad(() => api<Execution>('GET', `/v1/executions/${id}`), [id]);
  const [live, setLive] = useState<'connecting' | 'live' | 'ended' | 'off'>('off');
  const status = data?.status;
  const finished = status !== undefined && TERMINAL.includes(status);

  useEffect(() => {
    if (status === undefined || finished) return;
    const stop = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      setLive('connecting');
      streamEvents(
        `/v1/executions/${id}/events`,
        (event, payload) => {
          setLive('live');
          if (event === 'execution') setData(payload as Execution);
          if (event === 'end') setLive('ended');
        },
        stop.signal,
      ).then(
        () => {
          if (!stop.signal.aborted) {
            setLive('ended');
            reload();
          }
        },
        () => {
          // Dropped (ingress restart, proxy): reconnect as EventSource would, after its retry delay.
          if (!stop.signal.aborted) retry = setTimeout(connect, 2000);
        },
      );
    };
    connect();
    return () => {
      stop.abort();
      clearTimeout(retry);
      setLive('off');
    };
    // The stream follows one execution while it runs; a new status alone does not reconnect it.
  }, [id, finished, status === undefined]);

  const action = useAction();
  const [fromStep, setFromStep] = useState('');
  if (error) return <ErrorNote error={error} />;
  if (!data) return <p aria-live="polite">Loading…</p>;

  const cancel = () =>
    action.run(async () => {
      setData(await api<Execution>('POST', `/v1/executions/${id}/cancel`));
    });
  const replay = () =>
    action.run(async () => {
      const started = await api<{ execution_id: string }>('POST', `/v1/executions/${id}/replay`, {
        body: fromStep ? { from_step: fromStep } : {},
      });
      navigate(`/executions/${started.execution_id}`);
    });
  const steps = data.step_executions ?? [];
  const stepIds = [...new Set(steps.map((s) => s.step_id))];

  return (
    <>
      <div className="page-head">
        <h1>
          Execution <span className="mono">{data.id}</span>
        </h1>
        <Status status={data.status} />
        <span className={`live live-${live}`} aria-live="polite" data-testid="live">
          {live === 'live' ? '● live' : live === 'connecting' ? 'connecting…' : finished ? 'finished' : ''}
        </span>
      </div>
      <Section title="Summary">
        <dl className="facts">
          <dt>Workflow</dt>
          <dd>
            <Link to={`/workflows/${data.workflow_id}`} className="mono">
              {data.workflow_id}
            </Link>{' '}
            v{data.workflow_version}
          </dd>
          <dt>Environment</dt>
          <dd>
            {data.environment}
            {data.test_run ? ' (test run)' : ''}
          </dd>
          <dt>Created</dt>
          <dd>{time(data.created_at)}</dd>
          <dt>Duration</dt>
          <dd>{duration(data.started_at, data.finished_at)}</dd>
          {data.replay_of && (
            <>
              <dt>Replay of</dt>
              <dd>
                <Link to={`/executions/${data.replay_of}`} className="mono">
                  {data.replay_of}
                </Link>
              </dd>
            </>
          )}
          {data.error && (
            <>
              <dt>Error</dt>
              <dd className="error-text">
                {data.error.code}: {data.error.message}
              </dd>
            </>
          )}
        </dl>
        <div className="actions">
          {!finished && (
            <button type="button" className="danger" disabled={action.busy} onClick={() => void cancel()}>
              Cancel
            </button>
          )}
          <label htmlFor="replay-from">Replay from</label>
          <select id="replay-from" value={fromStep} onChange={(e) => setFromStep(e.target.value)}>
            <option value="">the first step (latest version)</option>
            {stepIds.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <button type="button" disabled={action.busy} onClick={() => void replay()}>
            Replay
          </button>
        </div>
        <ErrorNote error={action.error} />
      </Section>
      {data.status === 'waiting' && <WaitingPanel execution={data} onDone={(e) => (e ? setData(e) : reload())} post={postPublic} />}
      <Section title="Timeline">
        <Timeline steps={steps} />
      </Section>
      <Section title="Trigger input">
        <Json value={data.trigger_input} label="Trigger input" />
      </Section>
      <Section title="Final output">
        <Json value={data.final_output} label="Final output" />
      </Section>
    </>
  );
}
