import { ApiError, messageIds, type RedeliverRequest } from '@flowgate/contracts';
import { decodeCursor, encodeCursor } from '@flowgate/core';
import { publishJson } from '@flowgate/kit';
import { findOwnedDelivery, listDeliveries, type DeliveryDoc, type DeliveryListQuery } from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { invalidRequest } from '../http/validation-issues';
import { deliveryPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { commaList, failure, noBody, page, pagination } from '../http/schemas';
import { delivery, DELIVERY_EVENTS, DELIVERY_STATUSES, deliveryWithAttempts, redeliveryQueued } from '../schemas/deliveries';
import type { PublishDeps } from '../publish-deps';

/**
 * The callback delivery log: `GET /v1/deliveries` (filters, newest first, cursor pagination),
 * `GET /v1/deliveries/{id}` (with every attempt) and `POST /v1/deliveries/{id}/redeliver`, which
 * publishes a redeliver request the callback service turns into a fresh attempt cycle with the same
 * `webhook-id` (the service resets the delivery itself, so it is never pending without a message).
 */
export type DeliveryDeps = PublishDeps;

export const deliverySpecs = {
  list: route({
    method: 'get',
    path: '/v1/deliveries',
    summary: 'The callback delivery log, newest first, with cursor pagination (attempts: see /v1/deliveries/{id})',
    security: { apiKey: 'executions:read' },
    query: z
      .object({
        execution_id: z.string().max(64).optional(),
        workflow_id: z.string().max(80).optional(),
        status: commaList(DELIVERY_STATUSES).optional().describe('comma-separated: pending, succeeded, failed'),
        event: commaList(DELIVERY_EVENTS)
          .optional()
          .describe('comma-separated: execution.succeeded, execution.failed, execution.approval_required'),
        ...pagination,
      })
      .strict(),
    responses: { '200': { description: 'A page of deliveries', schema: page(delivery) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/deliveries/{id}',
    summary: 'One delivery with its signed payload and every attempt',
    security: { apiKey: 'executions:read' },
    ...deliveryPath,
    responses: { '200': { description: 'Delivery', schema: deliveryWithAttempts }, '404': failure('delivery_not_found') },
  }),
  redeliver: route({
    method: 'post',
    path: '/v1/deliveries/{id}/redeliver',
    body: noBody,
    summary: 'Start a fresh attempt cycle (full retry schedule) for a succeeded or failed delivery, with the same webhook-id and payload',
    security: { apiKey: 'executions:write' },
    ...deliveryPath,
    responses: {
      '202': { description: 'Redelivery queued', schema: redeliveryQueued },
      '404': failure('delivery_not_found'),
      '409': failure('delivery_pending: the delivery is still being attempted'),
    },
  }),
};

function summary(d: Omit<DeliveryDoc, 'payload_json'>, statusUrl: string) {
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

export function deliveryRoutes(table: RouteTable, deps: DeliveryDeps): void {
  const statusUrl = (id: string) => `${deps.publicUrl}/v1/deliveries/${id}`;

  const find = async (req: { params: { id: string } }): Promise<DeliveryDoc> => {
    const id = req.params.id;
    const doc = await findOwnedDelivery(deps.store.deliveries, workspaceOf(req), id);
    if (!doc) throw new ApiError('delivery_not_found', `Delivery ${id} not found`);
    return doc;
  };

  table.mount(deliverySpecs.list, async (req, res) => {
    const q = req.query;
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (cursor === null)
      throw invalidRequest('Invalid query', [{ path: 'cursor', message: 'not a cursor from next_cursor', code: 'custom' }]);
    const query: DeliveryListQuery = {
      workspaceId: workspaceOf(req),
      executionId: q.execution_id,
      workflowId: q.workflow_id,
      statuses: q.status,
      events: q.event,
      before: cursor ? { at: new Date(cursor.at), id: cursor.id } : undefined,
    };
    const docs = await listDeliveries(deps.store.deliveries, query, q.limit + 1);
    const page = docs.slice(0, q.limit);
    const last = page[page.length - 1];
    res.json({
      data: page.map((d) => summary(d, statusUrl(d._id))),
      next_cursor: docs.length > q.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last._id }) : null,
    });
  });

  table.mount(deliverySpecs.get, async (req, res) => {
    const doc = await find(req);
    res.json({
      ...summary(doc, statusUrl(doc._id)),
      payload: doc.payload_json === undefined ? null : (JSON.parse(doc.payload_json) as unknown),
      attempts: doc.attempts.map(attemptView),
    });
  });

  table.mount(deliverySpecs.redeliver, async (req, res) => {
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
}
