import { z } from 'zod';
import { dateTime, deadLetterId, nullableDateTime } from '../http/schemas';

/** Response bodies of `/v1/dead-letters…`: messages a consumer gave up on. */
const deadLetterFields = {
  id: deadLetterId.describe('dl_<consumer>_<stream sequence>'),
  workspace_id: z.string().describe('the message\'s workspace; "_none" when it names none (seen by operator keys only)'),
  consumer: z
    .string()
    .describe('the durable consumer that gave up: execution (commands) or callback (execution events, delivery requests)'),
  subject: z.string(),
  kind: z.string().nullable().describe('start, resume, timer, cancel, execution_event, redeliver (from the subject)'),
  execution_id: z.string().nullable(),
  reason: z.string().describe('malformed_json, invalid_message, max_deliveries, unknown_workflow, workspace_deleted, …'),
  delivery_count: z.number().int(),
  size_bytes: z.number().int().describe('the message body, in bytes'),
  created_at: dateTime,
  retried_at: nullableDateTime,
  retried_by: z.string().nullable().describe('the API key that retried it'),
  status_url: z.string(),
};
export const deadLetter = z.object(deadLetterFields).meta({ id: 'DeadLetter' });
export const deadLetterWithCommand = z
  .object({
    ...deadLetterFields,
    command: z
      .unknown()
      .describe(
        'the message body parsed, every credential-like key (authorization, cookie, *token*, *secret*, *signature*, api keys, …) and a trigger input\'s raw body "[redacted]"; null when the body is not JSON',
      ),
  })
  .meta({ id: 'DeadLetterWithCommand' });
export const deadLetterRetried = z
  .object({ ...deadLetterFields, message_id: z.string().describe('the JetStream message id of the re-published message') })
  .meta({ id: 'DeadLetterRetried' });
