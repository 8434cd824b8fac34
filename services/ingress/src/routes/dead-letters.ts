import { ApiError, messageKindOfSubject } from '@flowgate/contracts';
import { deadLetterCommandView, decodeCursor, encodeCursor } from '@flowgate/core';
import { publishJson } from '@flowgate/kit';
import {
  deadLetterApiId,
  deadLetterIdOf,
  deadLetterViewers,
  findVisibleDeadLetter,
  listDeadLetters,
  markDeadLetterRetried,
  NO_WORKSPACE,
  type DeadLetterDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { apiKeyIdOf, callerHolds, workspaceOf } from '../auth';
import { deadLetterPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, noBody, page, pagination } from '../http/schemas';
import { invalidRequest } from '../http/validation-issues';
import type { PublishDeps } from '../publish-deps';
import { deadLetter, deadLetterRetried, deadLetterWithCommand } from '../schemas/dead-letters';

/**
 * Messages a consumer gave up on (packages/kit consumeDurable): `GET /v1/dead-letters` (newest
 * first, cursor pagination), `GET /v1/dead-letters/{id}` (with the message parsed and redacted) and
 * `POST /v1/dead-letters/{id}/retry`, which re-publishes the message to its subject once. A key sees
 * its workspace's dead letters; an operator key also those of no workspace (`_none`).
 */
const CONSUMERS = ['execution', 'callback'] as const;
const REASONS = [
  'malformed_json',
  'invalid_message',
  'max_deliveries',
  'unknown_workflow',
  'workspace_deleted',
  'unknown_execution',
] as const;

export const deadLetterSpecs = {
  list: route({
    method: 'get',
    path: '/v1/dead-letters',
    summary: 'Messages given up on (dead letters), newest first, with cursor pagination (the message body: see /v1/dead-letters/{id})',
    security: { apiKey: 'executions:read' },
    query: z
      .object({
        consumer: z.enum(CONSUMERS).optional(),
        reason: z
          .string()
          .transform((v) => v.split(','))
          .pipe(z.array(z.string().regex(/^[a-z_]{1,64}$/)))
          .optional()
          .describe(`comma-separated reasons (${REASONS.join(', ')}, …)`),
        ...pagination,
      })
      .strict(),
    responses: { '200': { description: 'A page of dead letters', schema: page(deadLetter) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/dead-letters/{id}',
    summary: 'One dead letter with its message parsed, credentials redacted',
    security: { apiKey: 'executions:read' },
    ...deadLetterPath,
    responses: { '200': { description: 'Dead letter', schema: deadLetterWithCommand }, '404': failure('dead_letter_not_found') },
  }),
  retry: route({
    method: 'post',
    path: '/v1/dead-letters/{id}/retry',
    summary: 'Re-publish the dead-lettered message to its subject (once)',
    security: { apiKey: 'executions:write' },
    ...deadLetterPath,
    body: noBody,
    hint: 'Body must be empty or {}',
    responses: {
      '202': { description: 'Re-published; the consumer receives it as a new message', schema: deadLetterRetried },
      '404': failure('dead_letter_not_found'),
      '409': failure('conflict: retried already (details.retried_at), or the body is not JSON (it would be dead-lettered again)'),
      '503': failure('dependency_unavailable: JetStream did not take the message; nothing was changed'),
    },
  }),
};

export function deadLetterRoutes(table: RouteTable, deps: PublishDeps): void {
  const statusUrl = (apiId: string) => `${deps.publicUrl}/v1/dead-letters/${apiId}`;
  const viewers = (req: object) => deadLetterViewers(workspaceOf(req), callerHolds(req, 'operator'));

  const summary = (d: DeadLetterDoc) => {
    const id = deadLetterApiId(d._id);
    return {
      id,
      workspace_id: d.workspace_id ?? NO_WORKSPACE,
      consumer: d.consumer,
      subject: d.subject,
      kind: messageKindOfSubject(d.subject),
      execution_id: deadLetterCommandView(d.data).execution_id,
      reason: d.reason,
      delivery_count: d.delivery_count,
      size_bytes: Buffer.byteLength(d.data),
      created_at: d.created_at.toISOString(),
      retried_at: d.retried_at?.toISOString() ?? null,
      retried_by: d.retried_by ?? null,
      status_url: statusUrl(id),
    };
  };

  const find = async (req: { params: { id: string } }): Promise<DeadLetterDoc> => {
    const apiId = req.params.id;
    const id = deadLetterIdOf(apiId);
    const doc = id ? await findVisibleDeadLetter(deps.store.deadLetters, viewers(req), id) : null;
    if (!doc) throw new ApiError('dead_letter_not_found', `Dead letter ${apiId} not found`);
    return doc;
  };

  table.mount(deadLetterSpecs.list, async (req, res) => {
    const q = req.query;
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (cursor === null)
      throw invalidRequest('Invalid query', [{ path: 'cursor', message: 'not a cursor from next_cursor', code: 'custom' }]);
    const docs = await listDeadLetters(
      deps.store.deadLetters,
      {
        workspaces: viewers(req),
        consumer: q.consumer,
        reasons: q.reason,
        before: cursor ? { at: new Date(cursor.at), id: cursor.id } : undefined,
      },
      q.limit + 1,
    );
    const items = docs.slice(0, q.limit);
    const last = items[items.length - 1];
    res.json({
      data: items.map(summary),
      next_cursor: docs.length > q.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last._id }) : null,
    });
  });

  table.mount(deadLetterSpecs.get, async (req, res) => {
    const doc = await find(req);
    res.json({ ...summary(doc), command: deadLetterCommandView(doc.data).command });
  });

  table.mount(deadLetterSpecs.retry, async (req, res) => {
    const doc = await find(req);
    if (doc.retried_at)
      throw new ApiError('conflict', `Dead letter ${deadLetterApiId(doc._id)} was retried already`, {
        retried_at: doc.retried_at.toISOString(),
      });
    let body: unknown;
    try {
      body = JSON.parse(doc.data);
    } catch {
      throw new ApiError('conflict', `Dead letter ${deadLetterApiId(doc._id)} is not JSON: it would be dead-lettered again`);
    }
    // One message id per dead letter: two concurrent retries publish one message (JetStream de-duplication).
    const messageId = `dead-letter-retry:${doc._id}`;
    try {
      await publishJson(deps.js, doc.subject, body, messageId, deps.publishTimeoutMs);
    } catch (err) {
      deps.logger.warn({ err, dead_letter_id: doc._id }, 'dead letter retry not acknowledged');
      throw new ApiError('dependency_unavailable', 'Could not re-publish the message; nothing was changed, retry later');
    }
    const at = new Date();
    const keyId = apiKeyIdOf(req);
    await markDeadLetterRetried(deps.store.deadLetters, doc._id, keyId, at);
    res.status(202).json({ ...summary({ ...doc, retried_at: at, retried_by: keyId }), message_id: messageId });
  });
}
