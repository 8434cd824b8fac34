import { randomBytes } from 'node:crypto';
import { ApiError, triggerInputSchema, type Execution__Output } from '@flowgate/contracts';
import {
  bulkJobQuery,
  countExecutions,
  createBulkJob,
  findOwnedBulkJob,
  triggerInputJsonOf,
  type BulkJobDoc,
  type Collections,
} from '@flowgate/store';
import { EXECUTION_STATUSES, parseEventId, planEvents, TERMINAL_STATUSES, type ExecutionStatus } from '@flowgate/core';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { executionPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { commaList, dateTime, failure, noBody, page as pageOf, pagination, workflowId } from '../http/schemas';
import { bulkDryRun, bulkJob, bulkJobId, execution, executionSummary, replayAccepted } from '../schemas/executions';
import type { ConfigChanges } from '../config-cache';
import type { ExecutionClient } from '../execution-client';
import type { ExecutionStarter } from '../starter';
import { executionView } from '../views';
import { receivedBodyOf } from '../trigger-body';
import { replayExecution } from '../replay';

/** `/v1/executions` (list), `/{id}`, `/{id}/cancel` (ingress → gRPC → execution) and `/{id}/replay`. */
const read = { apiKey: 'executions:read' } as const;
const write = { apiKey: 'executions:write' } as const;

export const executionSpecs = {
  bulk: route({
    method: 'post',
    path: '/v1/executions/bulk',
    summary: 'Replay or cancel the executions a filter matches, as a background job (dry_run: only count them)',
    security: write,
    body: z
      .object({
        action: z.enum(['replay', 'cancel']).describe('replay: as POST /v1/executions/{id}/replay (no from_step); cancel: as …/cancel'),
        filter: z
          .object({
            workflow_id: workflowId.optional(),
            status: z.array(z.enum(EXECUTION_STATUSES)).min(1).optional().describe('any of these statuses (absent: any)'),
            created_after: dateTime.optional(),
            created_before: dateTime.optional().describe('at the latest the request time: executions started later are never in it'),
          })
          .strict(),
        dry_run: z.boolean().default(false).describe('only count the executions the filter matches; starts nothing'),
      })
      .strict(),
    responses: {
      '200': { description: 'dry_run: how many executions the filter matches', schema: bulkDryRun },
      '202': { description: 'The job, running (follow it at status_url)', schema: bulkJob },
    },
  }),
  bulkJob: route({
    method: 'get',
    path: '/v1/executions/bulk/{job_id}',
    summary: "A bulk job's progress",
    security: read,
    params: z.object({ job_id: bulkJobId }),
    notFound: { job_id: (id: string) => new ApiError('not_found', `Bulk job ${id} not found`) },
    responses: { '200': { description: 'The job', schema: bulkJob }, '404': failure('not_found') },
  }),
  list: route({
    method: 'get',
    path: '/v1/executions',
    summary: 'List executions, newest first, with cursor pagination',
    security: read,
    query: z
      .object({
        workflow_id: workflowId.optional(),
        status: commaList(EXECUTION_STATUSES).optional().describe('comma-separated statuses'),
        created_after: dateTime.optional(),
        created_before: dateTime.optional(),
        ...pagination,
      })
      .strict(),
    responses: { '200': { description: 'A page of executions (without their step executions)', schema: pageOf(executionSummary) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/executions/{id}',
    security: read,
    ...executionPath,
    responses: { '200': { description: 'Execution', schema: execution }, '404': failure('execution_not_found') },
  }),
  input: route({
    method: 'get',
    path: '/v1/executions/{id}/input',
    summary:
      "The execution's trigger body exactly as received, with its content type (also one stored out of line: trigger_input_ref); " +
      'served as an attachment',
    security: read,
    ...executionPath,
    responses: {
      '200': { description: 'The body, with the Content-Type it was sent with', content: { '*/*': null } },
      '204': { description: 'The request had no body' },
      '404': failure('execution_not_found'),
    },
  }),
  events: route({
    method: 'get',
    path: '/v1/executions/{id}/events',
    summary: 'Server-sent events: finished steps, the execution now and every change until it ends (event: end)',
    security: read,
    ...executionPath,
    headers: [{ name: 'Last-Event-ID', schema: z.string(), description: 'Receive only what came after this event' }],
    responses: {
      '200': {
        description:
          'text/event-stream: `retry: 2000`, then `event: step` (data: a step execution with its `seq`) for each finished step attempt and ' +
          '`event: execution` (data: the Execution) for each new state, until `event: end`. Each `id:` is a cursor; reconnect with ' +
          'Last-Event-ID to receive only what was missed.',
        content: { 'text/event-stream': z.string() },
      },
      '404': failure('execution_not_found'),
    },
  }),
  replay: route({
    method: 'post',
    path: '/v1/executions/{id}/replay',
    summary:
      'Start a new execution with the same trigger input: on the latest published version, or — from_step — on the ' +
      "original's version, beginning at that step with the outputs of the steps the original completed before it carried over",
    security: write,
    ...executionPath,
    body: z
      .object({
        from_step: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe(
            'Begin at this step of the version the original ran; the steps the original completed before its first attempt of it ' +
              'are not run again: their outputs are kept (step_executions with status carried_over)',
          ),
      })
      .strict(),
    responses: {
      '202': { description: 'Accepted (with replay_of, and from_step if given)', schema: replayAccepted },
      '400': failure('invalid_request: from_step names no step of the version the original ran (details.issues[0].path "from_step")'),
      '404': failure('execution_not_found, workflow_not_found or workflow_not_published'),
      '409': failure(
        'conflict: the original never reached from_step (the outputs before it are missing), or the workflow is archived ' +
          '(details.reason = workflow_archived)',
      ),
      '429': failure('A workspace quota is used up (quota_exceeded); Retry-After'),
    },
  }),
  cancel: route({
    method: 'post',
    path: '/v1/executions/{id}/cancel',
    body: noBody,
    summary: 'Cancel a queued, running or waiting execution',
    security: write,
    ...executionPath,
    responses: {
      '200': { description: 'Cancelled', schema: execution },
      '404': failure('execution_not_found'),
      '409': failure('The execution has ended already (conflict)'),
    },
  }),
};

/** An SSE stream ends after an hour at most; clients reconnect. */
const SSE_MAX_MS = 3_600_000;
/** The reconnection delay suggested to SSE clients (`retry:`). */
const SSE_RETRY_MS = 2_000;

/** The API view of a bulk job. */
function bulkJobView(job: BulkJobDoc, statusUrl: string) {
  return {
    id: job._id,
    action: job.action,
    filter: {
      workflow_id: job.filter.workflow_id,
      status: job.filter.statuses,
      created_after: job.filter.created_after?.toISOString() ?? null,
      created_before: job.filter.created_before.toISOString(),
    },
    status: job.status,
    status_url: statusUrl,
    total: job.total,
    processed: job.processed,
    succeeded: job.succeeded,
    skipped: job.skipped,
    failed: job.failed,
    errors: job.errors,
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
    finished_at: job.finished_at?.toISOString() ?? null,
  };
}

export function executionRoutes(
  table: RouteTable,
  deps: {
    executions: ExecutionClient;
    starter: ExecutionStarter;
    store: Collections;
    bulkJobs: { kick(): void };
    configChanges: Pick<ConfigChanges, 'jobsChanged'>;
  },
): void {
  const executionId = (req: { params: { id: string } }): string => req.params.id;
  const statusUrl = (id: string) => deps.starter.statusUrl(id);
  const jobUrl = (id: string) => statusUrl(`bulk/${id}`);

  /** A job document in MongoDB, run in the background (bulk-jobs.ts); a dry run only counts. */
  table.mount(executionSpecs.bulk, async (req, res) => {
    const { action, filter, dry_run: dryRun } = req.body;
    const now = new Date();
    const requestedBefore = filter.created_before ? new Date(filter.created_before) : now;
    const job: BulkJobDoc = {
      _id: `bulk_${randomBytes(16).toString('hex')}`,
      workspace_id: workspaceOf(req),
      action,
      filter: {
        workflow_id: filter.workflow_id ?? null,
        statuses: filter.status ?? [],
        created_after: filter.created_after ? new Date(filter.created_after) : null,
        created_before: requestedBefore < now ? requestedBefore : now,
      },
      status: 'running',
      total: 0,
      processed: 0,
      succeeded: 0,
      skipped: 0,
      failed: 0,
      cursor: null,
      errors: [],
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    const total = await countExecutions(deps.store.executions, bulkJobQuery(job));
    if (dryRun) {
      res.json({ dry_run: true, action, matched: total });
      return;
    }
    await createBulkJob(deps.store.bulkJobs, { ...job, total });
    deps.bulkJobs.kick();
    await deps.configChanges.jobsChanged(job.workspace_id);
    res.status(202).json(bulkJobView({ ...job, total }, jobUrl(job._id)));
  });

  table.mount(executionSpecs.bulkJob, async (req, res) => {
    const job = await findOwnedBulkJob(deps.store.bulkJobs, workspaceOf(req), req.params.job_id);
    if (!job) throw new ApiError('not_found', `Bulk job ${req.params.job_id} not found`);
    res.json(bulkJobView(job, jobUrl(job._id)));
  });

  table.mount(executionSpecs.list, async (req, res) => {
    const q = req.query;
    const page = await deps.executions.list({
      workspaceId: workspaceOf(req),
      workflowId: q.workflow_id ?? '',
      status: q.status ?? [],
      createdAfter: q.created_after ?? '',
      createdBefore: q.created_before ?? '',
      limit: q.limit,
      cursor: q.cursor ?? '',
    });
    res.json({
      data: page.executions.map((e) => {
        const { step_executions: _steps, ...summary } = executionView(e, statusUrl(e.id));
        return summary;
      }),
      next_cursor: page.nextCursor || null,
    });
  });

  table.mount(executionSpecs.get, async (req, res) => {
    const id = executionId(req);
    res.json(executionView(await deps.executions.get(workspaceOf(req), id), statusUrl(id)));
  });

  /**
   * The trigger body as received: from `payloads` when it was stored out of line (the execution's
   * `trigger_input_ref`, read by the execution service from the execution itself), else from the
   * inline input. User content on the API's origin: an attachment, never sniffed, sandboxed.
   */
  table.mount(executionSpecs.input, async (req, res) => {
    const e = await deps.executions.get(workspaceOf(req), executionId(req));
    const json = await triggerInputJsonOf(deps.store.payloads, {
      trigger_input_json: e.triggerInputJson,
      trigger_input_ref: e.triggerInputRef || null,
    });
    const body = receivedBodyOf(triggerInputSchema.parse(JSON.parse(json)));
    if (!body) return res.status(204).end();
    // setHeader, not express's set: the type goes out exactly as it was sent (no charset added).
    res.status(200);
    res.setHeader('content-type', body.contentType);
    res.setHeader('content-disposition', `attachment; filename="${e.id}-input"`);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', "default-src 'none'; sandbox");
    res.end(body.bytes);
  });

  /**
   * Server-sent events: each finished step attempt (`event: step`), the execution's state now and
   * every change (`event: execution`) until it ends (`event: end`), with a comment line every 15 s to
   * keep proxies from closing an idle stream. Event ids are cursors (core's event-stream.ts): a client
   * reconnecting with `Last-Event-ID` gets only what it missed, from the persisted state.
   */
  table.mount(executionSpecs.events, async (req, res) => {
    const id = executionId(req);
    const workspaceId = workspaceOf(req);
    const first = await deps.executions.get(workspaceId, id);
    res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    res.write(`retry: ${SSE_RETRY_MS}\n\n`);
    let cursor = parseEventId(req.get('last-event-id'));
    let lastStatus = '';
    const send = (e: Execution__Output) => {
      lastStatus = e.status;
      const planned = planEvents(
        cursor,
        e.revision,
        e.stepExecutions.map((s) => s.status),
      );
      if (planned.events.length === 0) return;
      cursor = planned.cursor;
      const view = executionView(e, statusUrl(id));
      for (const event of planned.events) {
        const data = event.kind === 'step' ? { seq: event.index + 1, ...view.step_executions[event.index] } : view;
        res.write(`id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(data)}\n\n`);
      }
    };
    send(first);
    if (!TERMINAL_STATUSES.includes(first.status as ExecutionStatus)) {
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      const stop = new AbortController();
      res.on('close', () => stop.abort());
      await deps.executions.follow(workspaceId, id, SSE_MAX_MS, send, stop.signal).catch(() => null);
      clearInterval(ping);
    }
    res.write(`event: end\ndata: ${JSON.stringify({ status: lastStatus })}\n\n`);
    res.end();
  });

  /**
   * A new execution with the same trigger input, linked by replay_of: on the latest published
   * version, or (from_step) on the version the original ran, beginning at that step with the
   * outputs the original completed before it (the executor copies them from the original).
   */
  table.mount(executionSpecs.replay, async (req, res) => {
    const fromStep = req.body.from_step;
    const started = await replayExecution(deps, workspaceOf(req), executionId(req), { fromStep });
    res.status(202).json({
      execution_id: started.executionId,
      status: 'queued',
      status_url: started.statusUrl,
      replay_of: started.replayOf,
      from_step: fromStep ?? null,
    });
  });

  table.mount(executionSpecs.cancel, async (req, res) => {
    const id = executionId(req);
    res.json(executionView(await deps.executions.cancel(workspaceOf(req), id), statusUrl(id)));
  });
}
