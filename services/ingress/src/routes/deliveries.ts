import { ApiError, messageIds, type RedeliverRequest } from '@flowgate/contracts';
import { decodeCursor, encodeCursor } from '@flowgate/core';
import { publishJson } from '@flowgate/kit';
import type { DeliveryDoc } from '@flowgate/store';
import { Router, type Request } from 'express';
import type { Filter } from 'mongodb';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import type { PublishDeps } from '../publish-deps';

/**
 * The callback delivery log: `GET /v1/deliveries` (filters, newest first, cursor pagination),
 * `GET /v1/deliveries/{id}` (with every attempt) and `POST /v1/deliveries/{id}/redeliver`, which
 * publishes a redeliver request the callback service turns into a fresh attempt cycle with the same
 * `webhook-id` (the service resets the delivery itself, so it is never pending without a message).
 */
export type DeliveryDeps = PublishDeps;

const STATUSES = ['pending', 'succeeded', 'failed'] as const;
const EVENTS = ['execution.succeeded', 'execution.failed', 'execution.approval_required'] as const;
const DELIVERY_ID = /^[0-9a-f-]{36}\.execution\.(succeeded|failed|approval_required(\.\d+)?)$/;
const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((v) => v.split(','))
    .pipe(z.array(z.enum(values)));

const listQuery = z
  .object({
    execution_id: z.string().max(64).optional(),
    workflow_id: z.string().max(80).optional(),
    status: list(STATUSES).optional(),
    event: list(EVENTS).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(512).optional(),
  })
  .strict();

function summary(d: DeliveryDoc, statusUrl: string) {
  const last = d.attempts[d.attempts.length - 1];
  return {
    id: d._id,
    webhook_id: d._id,
    execution_id: d.execution_id,
    workflow_id: d.workflow_id ?? null,
    event: d.event,
    url: d.url,
    status: d.status,
    cycle: d.cycle ?? 1,
    attempt_count: d.attempts.length,
    last_attempt: last ? attemptView(last) : null,
    next_attempt_at: d.status === 'pending' ? (d.next_attempt_at?.toISOString() ?? null) : null,
    created_at: d.created_at.toISOString(),
    updated_at: d.updated_at.toISOString(),
    status_url: statusUrl,
  };
}

function attemptView(a: DeliveryDoc['attempts'][number]) {
  return {
    cycle: a.cycle ?? 1,
    attempt: a.attempt ?? null,
    at: a.at.toISOString(),
    status_code: a.status_code,
    latency_ms: a.latency_ms,
    error: a.error,
    error_code: a.error_code ?? null,
    response_body: a.response_body,
  };
}

export function deliveryRoutes(deps: DeliveryDeps): Router {
  const router = Router();
  const statusUrl = (id: string) => `${deps.publicUrl}/v1/deliveries/${id}`;

  const find = async (req: Request): Promise<DeliveryDoc> => {
    const id = String(req.params.id);
    const doc = DELIVERY_ID.test(id) ? await deps.store.deliveries.findOne({ _id: id, workspace_id: workspaceOf(req) }) : null;
    if (!doc) throw new ApiError('delivery_not_found', `Delivery ${id} not found`);
    return doc;
  };

  router.get('/v1/deliveries', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ parameter: String(i.path[0] ?? ''), message: i.message }));
      throw new ApiError('invalid_request', `Invalid query: ${errors.map((e) => `${e.parameter}: ${e.message}`).join('; ')}`, { errors });
    }
    const q = parsed.data;
    const and: Filter<DeliveryDoc>[] = [{ workspace_id: workspaceOf(req) }];
    if (q.execution_id) and.push({ execution_id: q.execution_id });
    if (q.workflow_id) and.push({ workflow_id: q.workflow_id });
    if (q.status) and.push({ status: { $in: q.status } });
    if (q.event) and.push({ event: { $in: q.event } });
    if (q.cursor) {
      const cursor = decodeCursor(q.cursor);
      if (!cursor) throw new ApiError('invalid_request', 'Invalid query: cursor: not a cursor from next_cursor');
      const at = new Date(cursor.at);
      and.push({ $or: [{ created_at: { $lt: at } }, { created_at: at, _id: { $lt: cursor.id } }] });
    }
    const docs = await deps.store.deliveries
      .find({ $and: and }, { projection: { payload_json: 0 } })
      .sort({ created_at: -1, _id: -1 })
      .limit(q.limit + 1)
      .toArray();
    const page = docs.slice(0, q.limit);
    const last = page[page.length - 1];
    res.json({
      data: page.map((d) => summary(d, statusUrl(d._id))),
      next_cursor: docs.length > q.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last._id }) : null,
    });
  });

  router.get('/v1/deliveries/:id', async (req, res) => {
    const doc = await find(req);
    res.json({
      ...summary(doc, statusUrl(doc._id)),
      payload: doc.payload_json === undefined ? null : (JSON.parse(doc.payload_json) as unknown),
      attempts: doc.attempts.map(attemptView),
    });
  });

  router.post('/v1/deliveries/:id/redeliver', async (req, res) => {
    const doc = await find(req);
    if (doc.status === 'pending')
      throw new ApiError('delivery_pending', `Delivery ${doc._id} is still being attempted; redeliver it once it succeeded or failed`);
    if (doc.payload_json === undefined) throw new ApiError('conflict', `Delivery ${doc._id} predates redelivery support`);
    const cycle = doc.cycle ?? 1;
    const request: RedeliverRequest = {
      type: 'redeliver',
      workspace_id: doc.workspace_id,
      delivery_id: doc._id,
      after_cycle: cycle,
      requested_at: new Date().toISOString(),
    };
    try {
      const subject = deps.subjects.deliveryRequest(doc.workspace_id, 'redeliver');
      await publishJson(deps.js, subject, request, messageIds.redeliver(doc._id, cycle), deps.publishTimeoutMs);
    } catch (err) {
      deps.logger.warn({ err, delivery_id: doc._id }, 'redeliver request not acknowledged');
      throw new ApiError('dependency_unavailable', 'Could not queue the redelivery; nothing was changed, retry later');
    }
    res.status(202).json({ id: doc._id, webhook_id: doc._id, status: 'pending', cycle: cycle + 1, status_url: statusUrl(doc._id) });
  });

  return router;
}
