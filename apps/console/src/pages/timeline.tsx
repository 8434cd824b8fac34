import type { StepExecution } from '../types';
import { Json, Status, duration, time } from '../ui';

/** The step executions in order: one row per attempt, its duration, and its input / output / error. */
export function Timeline({ steps }: { steps: StepExecution[] }) {
  if (steps.length === 0) return <p>No step has run yet.</p>;
  return (
    <ol className="timeline" aria-label="Steps">
      {steps.map((s, i) => (
        <li key={`${s.step_id}-${s.attempt}-${i}`} className={`step step-${s.status}`} data-step={s.step_id}>
          <div className="step-head">
            <strong className="mono">{s.step_id}</strong>
            <span className="muted">{s.type}</span>
            <span className="muted">attempt {s.attempt}</span>
            <Status status={s.status} />
            <span className="muted">
              {time(s.started_at)} · {duration(s.started_at, s.finished_at)}
            </span>
          </div>
          {s.error && (
            <p className="error-text">
              {s.error.code}: {s.error.message}
            </p>
          )}
          <details>
            <summary>Input and output</summary>
            <div className="io">
              <div>
                <h3>Input</h3>
                <Json value={s.input} label={`Input of ${s.step_id}`} />
              </div>
              <div>
                <h3>Output</h3>
                <Json value={s.output} label={`Output of ${s.step_id}`} />
              </div>
            </div>
          </details>
        </li>
      ))}
    </ol>
  );
}
