import { readFileSync } from 'node:fs';
import { apiErrorOf, followExecution, unwrap, type Execution } from '@flowgate/client';
import type { Context } from '../context';
import { CliError, EXIT, usageError } from '../exit-codes';
import { findWorkflow } from '../remote';
import { renderTable } from '../table';
import { renderTimeline, stepLine } from '../timeline';

/** `get executions`, `describe execution`, `logs -f`, `fire`, `replay`, `cancel`. */
const endCode = (status: string) => (status === 'succeeded' ? EXIT.ok : EXIT.executionFailed);

export interface ListOptions {
  workflow?: string;
  status?: string;
  limit?: string;
}

export async function getExecutions(ctx: Context, options: ListOptions): Promise<void> {
  const client = ctx.client();
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw usageError('--limit must be a whole number from 1 to 100');
  const workflowId = options.workflow ? (await findWorkflow(client, options.workflow)).id : undefined;
  const page = await unwrap(
    client.GET('/v1/executions', {
      params: {
        query: { limit, ...(workflowId ? { workflow_id: workflowId } : {}), ...(options.status ? { status: options.status } : {}) },
      },
    }),
  );
  const rows = page.data.map((e) => [e.id, e.workflow_id, `v${e.workflow_version}`, e.status, e.created_at ?? '-', e.finished_at ?? '-']);
  ctx.out.result(renderTable(['ID', 'WORKFLOW', 'VERSION', 'STATUS', 'CREATED', 'FINISHED'], rows), page.data);
}

async function execution(ctx: Context, id: string): Promise<Execution> {
  return unwrap(ctx.client().GET('/v1/executions/{id}', { params: { path: { id } } }));
}

export async function describeExecution(ctx: Context, id: string): Promise<void> {
  const e = await execution(ctx, id);
  ctx.out.result(renderTimeline(e), e);
}

/** Follows the execution's event stream, a line per finished step and status change, until it ends; exit 3 unless it succeeded. */
export async function follow(ctx: Context, id: string): Promise<number> {
  let origin: string | null = null;
  let lastStatus = '';
  let last: Execution | undefined;
  const status = await followExecution({
    baseUrl: ctx.target.url,
    apiKey: ctx.target.apiKey,
    executionId: id,
    onExecution: (e) => {
      last = e;
      origin = e.started_at ?? e.created_at;
      if (e.status === lastStatus) return;
      lastStatus = e.status;
      const waiting =
        e.status === 'waiting' && e.waiting_reason
          ? ` (${e.waiting_reason}${e.waiting_expires_at ? ` until ${e.waiting_expires_at}` : ''})`
          : '';
      ctx.out.line(`${new Date().toISOString()}  execution ${e.status}${waiting}`, { event: 'execution', status: e.status, execution: e });
    },
    onStep: (step) => ctx.out.line(stepLine(step, origin, new Date()).trimStart(), { event: 'step', step }),
  });
  const error = last?.error ? `: ${last.error.code}: ${last.error.message}` : '';
  ctx.out.line(`Execution ${id} ended ${status}${error}`, { event: 'end', status });
  return endCode(status);
}

export interface FireOptions {
  sync?: boolean;
  data?: string;
  header?: string[];
}

/** `--data @file` (a file's content), `--data '<json>'`, or none (`{}`). */
export function bodyOf(data: string | undefined): string {
  if (data === undefined) return '{}';
  if (!data.startsWith('@')) return data;
  try {
    return readFileSync(data.slice(1), 'utf8');
  } catch (err) {
    throw new CliError('file_not_found', `--data ${data}: ${(err as Error).message}`);
  }
}

/** POSTs to the workflow's production webhook; `--sync` then follows the execution until it ends (exit 3 unless succeeded). */
export async function fire(ctx: Context, ref: string, options: FireOptions): Promise<number> {
  const body = bodyOf(options.data);
  const workflow = await findWorkflow(ctx.client(), ref);
  const url = workflow.triggers.production?.async;
  if (!url || workflow.published_version === null)
    throw new CliError('workflow_not_published', `Workflow ${workflow.name} has no published version: run flowgate apply first`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const h of options.header ?? []) {
    const at = h.indexOf(':');
    if (at <= 0) throw usageError(`--header must be "Name: value", not "${h}"`);
    headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  let answer: Response;
  try {
    answer = await fetch(url, { method: 'POST', headers, body });
  } catch (err) {
    throw new CliError('network_error', `No answer from ${new URL(url).origin}: ${(err as Error).message}`);
  }
  const text = await answer.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  if (!answer.ok) throw apiErrorOf(answer.status, parsed);
  const accepted = parsed as { execution_id?: string; status?: string };
  if (!accepted.execution_id) {
    ctx.out.result(text, parsed);
    return EXIT.ok;
  }
  if (!options.sync) {
    ctx.out.result(`Execution ${accepted.execution_id} ${accepted.status ?? 'queued'}`, parsed);
    return EXIT.ok;
  }
  ctx.out.progress(`Execution ${accepted.execution_id} ${accepted.status ?? 'queued'}; following it until it ends …`);
  let steps = 0;
  const status = await followExecution({
    baseUrl: ctx.target.url,
    apiKey: ctx.target.apiKey,
    executionId: accepted.execution_id,
    onStep: (step) => ctx.out.progress(`  step ${++steps}: ${step.step_id} ${step.status}`),
  });
  const done = await execution(ctx, accepted.execution_id);
  const output = done.final_output === undefined || done.final_output === null ? '' : JSON.stringify(done.final_output, null, 2);
  const error = done.error ? `\nerror ${done.error.code}: ${done.error.message}` : '';
  ctx.out.result(`Execution ${done.id} ${status}${output ? `\n${output}` : ''}${error}`, done);
  return endCode(status);
}

export interface ReplayOptions {
  fromStep?: string;
}

export async function replay(ctx: Context, id: string, options: ReplayOptions): Promise<void> {
  const started = await unwrap(
    ctx.client().POST('/v1/executions/{id}/replay', {
      params: { path: { id } },
      body: options.fromStep ? { from_step: options.fromStep } : {},
    }),
  );
  ctx.out.result(`Replay ${started.execution_id} of ${id} ${started.status}`, started);
}

export async function cancel(ctx: Context, id: string): Promise<void> {
  const e = await unwrap(ctx.client().POST('/v1/executions/{id}/cancel', { params: { path: { id } } }));
  ctx.out.result(`Execution ${e.id} ${e.status}`, e);
}
