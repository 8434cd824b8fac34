import { ApiError, triggerInputSchema, type Execution__Output } from '@flowgate/contracts';
import { triggerInputJsonOf, type Collections } from '@flowgate/store';
import { EXECUTION_STATUSES, parseEventId, planEvents, TERMINAL_STATUSES, type ExecutionStatus } from '@flowgate/core';
import { z } from 'zod';
import { Router, type Request } from 'express';
import { workspaceOf } from '../auth';
import type { ExecutionClient } from '../execution-client';
import type { ExecutionStarter } from '../starter';
import { executionView } from '../views';

/** `/v1/executions` (list), `/{id}`, `/{id}/cancel` (ingress → gRPC → execution) and `/{id}/replay`. */
const listQuery = z
  .object({
    workflow_id: z
      .string()
      .regex(/^wf_[A-Za-z0-9]{8,64}$/, 'must be a workflow id')
      .optional(),
    status: z
      .string()
      .transform((v) => v.split(','))
      .pipe(z.array(z.enum(EXECUTION_STATUSES)))
      .optional(),
    created_after: z.iso.datetime({ offset: true }).optional(),
    created_before: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(512).optional(),
  })
  .strict();

/** An SSE stream ends after an hour at most; clients reconnect. */
const SSE_MAX_MS = 3_600_000;
/** The reconnection delay suggested to SSE clients (`retry:`). */
const SSE_RETRY_MS = 2_000;
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function executionRoutes(deps: { executions: ExecutionClient; starter: ExecutionStarter; store: Collections }): Router {
  const router = Router();
  const executionId = (req: Request): string => {
    const id = String(req.params.id);
    if (!EXECUTION_ID.test(id)) throw new ApiError('execution_not_found', `Execution ${id} not found`);
    return id;
  };
  const statusUrl = (id: string) => deps.starter.statusUrl(id);

  router.get('/v1/executions', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ parameter: String(i.path[0] ?? ''), message: i.message }));
      throw new ApiError('invalid_request', `Invalid query: ${errors.map((e) => `${e.parameter}: ${e.message}`).join('; ')}`, { errors });
    }
    const q = parsed.data;
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

  router.get('/v1/executions/:id', async (req, res) => {
    const id = executionId(req);
    res.json(executionView(await deps.executions.get(workspaceOf(req), id), statusUrl(id)));
  });

  /**
   * Server-sent events: each finished step attempt (`event: step`), the execution's state now and
   * every change (`event: execution`) until it ends (`event: end`), with a comment line every 15 s to
   * keep proxies from closing an idle stream. Event ids are cursors (core's event-stream.ts): a client
   * reconnecting with `Last-Event-ID` gets only what it missed, from the persisted state.
   */
  router.get('/v1/executions/:id/events', async (req, res) => {
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

  /** A new execution with the same trigger input, on the latest published version, linked by replay_of. */
  router.post('/v1/executions/:id/replay', async (req, res) => {
    const workspaceId = workspaceOf(req);
    const original = await deps.executions.get(workspaceId, executionId(req));
    const workflow = await deps.store.workflows.findOne({ _id: original.workflowId, workspace_id: workspaceId });
    if (!workflow) throw new ApiError('workflow_not_found', `Workflow ${original.workflowId} not found`);
    // A large input is stored out of line; the execution's view holds only its stub.
    const stored = await deps.store.executions.findOne(
      { _id: original.id, workspace_id: workspaceId },
      { projection: { trigger_input_ref: 1 } },
    );
    const inputJson = await triggerInputJsonOf(deps.store.payloads, {
      trigger_input_json: original.triggerInputJson,
      trigger_input_ref: stored?.trigger_input_ref ?? null,
    });
    const triggerInput = triggerInputSchema.parse(JSON.parse(inputJson));
    const { executionId: id, statusUrl: url } = await deps.starter.start(workflow, triggerInput, original.id);
    res.status(202).json({ execution_id: id, status: 'queued', status_url: url, replay_of: original.id });
  });

  router.post('/v1/executions/:id/cancel', async (req, res) => {
    const id = executionId(req);
    res.json(executionView(await deps.executions.cancel(workspaceOf(req), id), statusUrl(id)));
  });
  return router;
}
