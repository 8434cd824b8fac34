import { randomUUID } from 'node:crypto';
import type { TriggerInput } from '@flowgate/core';
import type { ExecutionDoc, StepExecutionDoc, WorkflowDoc } from '@flowgate/store';
import type { Db } from 'mongodb';
import { round } from './load';

/**
 * The history of the history scenario: `count` finished executions of a 1-step http workflow and
 * their step records, of the shapes in packages/store/src/documents.ts (typed, so a change of shape
 * shows here), inserted with insertMany in batches into `executions` and `step_executions` of a
 * running Flowgate, as if the workflow had run that often over the past week. Filling stops at
 * `maxSeconds`: a store whose inserts slow down as it grows (the services scanning it meanwhile)
 * would otherwise hold up the whole bench; the report then says how many were stored.
 */
export interface HistoryFill {
  /** Asked for. */
  requested: number;
  /** Stored (fewer than requested when the fill ran out of time). */
  executions: number;
  step_executions: number;
  seconds: number;
  docs_per_s: number;
  /** Stopped at maxSeconds before `requested` were stored. */
  capped: boolean;
}

export async function fillHistory(
  db: Db,
  opts: { workflowId: string; stepUrl: string; count: number; maxSeconds: number; batch?: number; log?: (line: string) => void },
): Promise<HistoryFill> {
  const workflow = await db.collection<WorkflowDoc>('workflows').findOne({ _id: opts.workflowId });
  if (!workflow) throw new Error(`workflow ${opts.workflowId} not found`);
  const version = workflow.published_version ?? 1;
  const batch = opts.batch ?? 1_000;
  const executions = db.collection<ExecutionDoc>('executions');
  const steps = db.collection<StepExecutionDoc>('step_executions');
  const weekMs = 7 * 24 * 3600_000;
  const now = Date.now();
  const started = Date.now();
  let nextLog = started + 5_000;
  let stored = 0;
  for (let from = 0; from < opts.count; from += batch) {
    if (Date.now() - started >= opts.maxSeconds * 1000) break;
    const n = Math.min(batch, opts.count - from);
    const execs: ExecutionDoc[] = [];
    const records: StepExecutionDoc[] = [];
    for (let i = 0; i < n; i++) {
      const seq = from + i;
      const id = randomUUID();
      const created = new Date(now - weekMs + Math.floor((seq / opts.count) * weekMs));
      const stepStarted = new Date(created.getTime() + 3);
      const finished = new Date(created.getTime() + 40);
      const input: TriggerInput = {
        method: 'POST',
        path: `/w/${opts.workflowId}`,
        query: {},
        headers: { 'content-type': 'application/json', 'user-agent': 'bench-history', 'content-length': '58' },
        body: { event: 'order.created', order_id: `H-${seq}`, amount: 42.5 },
      };
      const output = { status: 200, headers: { 'content-type': 'application/json' }, body: { ok: true, id: 'd-1' } };
      execs.push({
        _id: id,
        workspace_id: workflow.workspace_id,
        workflow_id: opts.workflowId,
        workflow_version: version,
        status: 'succeeded',
        revision: 4,
        trigger_input_json: JSON.stringify(input),
        trigger_input_ref: null,
        cursor: null,
        attempt: 1,
        step_seq: 1,
        outputs_json: JSON.stringify({ s1: output }),
        order: ['s1'],
        context_json: '{}',
        response_json: null,
        final_output_json: JSON.stringify(output),
        error: null,
        on_success_url: null,
        on_failure_url: null,
        replay_of: null,
        environment: 'production',
        source: 'webhook',
        slot_wait: false,
        created_at: created,
        started_at: stepStarted,
        finished_at: finished,
        updated_at: finished,
      });
      records.push({
        _id: `${id}:1`,
        workspace_id: workflow.workspace_id,
        execution_id: id,
        seq: 1,
        step_id: 's1',
        type: 'http',
        attempt: 1,
        status: 'succeeded',
        input_json: JSON.stringify({ method: 'POST', url: opts.stepUrl, body: { order: `H-${seq}` } }),
        output_json: JSON.stringify(output),
        error: null,
        started_at: stepStarted,
        finished_at: finished,
      });
    }
    await executions.insertMany(execs, { ordered: false });
    await steps.insertMany(records, { ordered: false });
    stored += n;
    if (opts.log && Date.now() >= nextLog) {
      opts.log(`  … ${from + n} of ${opts.count} executions stored`);
      nextLog = Date.now() + 5_000;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    requested: opts.count,
    executions: stored,
    step_executions: stored,
    seconds: round(seconds, 1),
    docs_per_s: round((2 * stored) / Math.max(0.001, seconds), 0),
    capped: stored < opts.count,
  };
}
