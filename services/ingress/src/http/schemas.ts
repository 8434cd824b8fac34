import { ENVIRONMENTS, httpMethodSchema } from '@flowgate/core';
import { z } from 'zod';

/**
 * Schemas the routes share: resource ids, pagination, HTTP methods, dates, the error body. Each id
 * is written once here; a route's path parameter, filter and response field use the same one.
 */
const WORKFLOW_ID = /^wf_[A-Za-z0-9]{8,64}$/;
export const workflowId = z.string().regex(WORKFLOW_ID, 'must be a workflow id (wf_…)');
export const executionId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be an execution id (a UUID)');
export const deliveryId = z
  .string()
  .regex(/^[0-9a-f-]{36}\.execution\.(succeeded|failed|approval_required(\.\d+)?)$/, 'must be a delivery id')
  .describe('the delivery id, also its webhook-id');
export const apiKeyId = z.string().regex(/^key_[A-Za-z0-9_-]{1,128}$/, 'must be an API key id (key_…)');
export const sourceId = z.string().regex(/^src_[A-Za-z0-9]{8,64}$/, 'must be a source id (src_…)');
export const deadLetterId = z
  .string()
  .regex(/^dl_[A-Za-z0-9_-]{1,128}_\d{1,20}$/, 'must be a dead letter id (dl_<consumer>_<stream sequence>)');
export const waitToken = z.string().regex(/^wt_[A-Za-z0-9_-]{32,64}$/, 'must be a wait token (wt_…)');

export const httpMethod = httpMethodSchema;
export const environment = z.enum(ENVIRONMENTS);
export const dateTime = z.iso.datetime({ offset: true });
export const nullableDateTime = dateTime.nullable();

/** Cursor pagination of every list route: `limit` (1–100, default 20) and the `next_cursor` of the previous page (http/paging.ts). */
export const pagination = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
};
export const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** A comma-separated query filter: `?status=failed,cancelled`. */
export const commaList = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((v) => v.split(','))
    .pipe(z.array(z.enum(values)));

/** The one error shape of DESIGN.md. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z
        .record(z.string(), z.unknown())
        .optional()
        .describe(
          'Validation failures: {"issues": [{"path", "message", "code"}]}; other errors name their own facts (required_scope, quota, …)',
        ),
    }),
  })
  .meta({ id: 'Error' });

/** A documented error response of a route. */
/** The body of a route that takes no input: nothing, or an empty JSON object; any field is refused (400 naming it). */
export const noBody = z.object({}).strict();

export const failure = (description: string) => ({ description, schema: errorBody });
