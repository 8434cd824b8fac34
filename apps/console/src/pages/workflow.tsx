import { useState } from 'react';
import { api } from '../api';
import { Link } from '../router';
import type { Execution, Workflow } from '../types';
import { DefinitionEditor } from './definition-editor';
import { Environments } from './environments';
import { ParameterTools } from './parameters';
import { SchedulePanel } from './schedule';
import { TriggerSecrets } from './trigger-secrets';
import { ErrorNote, Json, Section, Status, time, useAction, useLoad } from '../ui';

/** One workflow: its draft (edit, publish), environments, webhook secrets, schedule, parameters and a test run. */
export function WorkflowPage({ id }: { id: string }) {
  const { data, error, setData } = useLoad(() => api<Workflow>('GET', `/v1/workflows/${id}`), [id]);
  const publish = useAction();
  const [published, setPublished] = useState<number | null>(null);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <p aria-live="polite">Loading…</p>;

  const save = async (text: string, contentType: string) => {
    setData(await api<Workflow>('PUT', `/v1/workflows/${id}`, { raw: text, contentType }));
  };
  const doPublish = () =>
    publish.run(async () => {
      const r = await api<{ version: number; workflow: Workflow }>('POST', `/v1/workflows/${id}/publish`);
      setPublished(r.version);
      setData(r.workflow);
    });

  return (
    <>
      <div className="page-head">
        <h1>{data.name}</h1>
        <span className="muted mono">{data.id}</span>
        <span className="tag">{data.published_version === null ? 'not published' : `published v${data.published_version}`}</span>
        {data.archived_at && <span className="tag">archived {time(data.archived_at)}</span>}
      </div>
      <p>
        <Link to={`/executions?workflow_id=${encodeURIComponent(data.id)}`}>Executions of this workflow</Link>
      </p>
      <Section
        title="Definition (draft)"
        actions={
          <button type="button" disabled={publish.busy} onClick={() => void doPublish()}>
            Publish
          </button>
        }
      >
        {published !== null && <p role="status">Published version {published}.</p>}
        <ErrorNote error={publish.error} />
        <DefinitionEditor
          key={data.updated_at}
          initial={JSON.stringify(data.definition, null, 2)}
          submitLabel="Save draft"
          onSubmit={save}
        />
      </Section>
      <Environments workflow={data} onChange={setData} />
      <TestRun id={id} />
      <TriggerSecrets id={id} />
      <SchedulePanel id={id} />
      <ParameterTools id={id} />
    </>
  );
}

/** Runs the draft with a JSON body (POST /v1/workflows/{id}/test) and shows how it ended. */
function TestRun({ id }: { id: string }) {
  const [body, setBody] = useState('{}');
  const [result, setResult] = useState<Execution | { execution_id: string; status: string } | null>(null);
  const action = useAction();
  const run = () =>
    action.run(async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new Error('The test body is not valid JSON');
      }
      setResult(await api('POST', `/v1/workflows/${id}/test`, { body: { body: parsed } }));
    });
  const executionId = result ? ('id' in result ? result.id : result.execution_id) : null;
  return (
    <Section title="Test run">
      <label htmlFor="test-body">Request body (JSON)</label>
      <textarea id="test-body" className="mono" rows={5} value={body} onChange={(e) => setBody(e.target.value)} />
      <div className="actions">
        <button type="button" disabled={action.busy} onClick={() => void run()}>
          {action.busy ? 'Running…' : 'Run the draft'}
        </button>
      </div>
      <ErrorNote error={action.error} />
      {result && executionId && (
        <div>
          <p>
            <Status status={result.status} /> <Link to={`/executions/${executionId}`}>{executionId}</Link>
          </p>
          {'final_output' in result && <Json value={result.final_output} label="Test run output" />}
        </div>
      )}
    </Section>
  );
}
