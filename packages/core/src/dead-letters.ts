import { redactSensitive, REDACTED } from './capture';

/** What the management API shows of a dead-lettered message's body. */
export interface DeadLetterCommandView {
  /** The message parsed and redacted (redactSensitive; a trigger input's `raw` body too), or null if it is not JSON. */
  command: unknown;
  execution_id: string | null;
}

/**
 * The body of a dead letter as the API shows it. A body that is not JSON is withheld (it cannot be
 * redacted); `size_bytes` in the view tells how much there was.
 */
export function deadLetterCommandView(data: string): DeadLetterCommandView {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { command: null, execution_id: null };
  }
  const command = redactSensitive(parsed);
  if (typeof command !== 'object' || command === null || Array.isArray(command)) return { command, execution_id: null };
  const record = command as Record<string, unknown>;
  const input = record.trigger_input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'raw' in input && typeof input.raw === 'string')
    record.trigger_input = { ...input, raw: REDACTED };
  return { command: record, execution_id: typeof record.execution_id === 'string' ? record.execution_id : null };
}
