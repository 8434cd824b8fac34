import { createParser } from 'eventsource-parser';
import { apiErrorOf, FlowgateApiError } from './errors';
import type { Execution, StepExecution } from './schemas';

/**
 * Follows `GET /v1/executions/{id}/events` (server-sent events) until `event: end`: each finished
 * step attempt (`step`), each new state of the execution (`execution`). A dropped stream is resumed
 * with `Last-Event-ID` (the server then sends only what was missed), a few times at most.
 */
export interface FollowOptions {
  baseUrl: string;
  apiKey?: string;
  executionId: string;
  onStep?: (step: StepExecution & { seq: number }) => void;
  onExecution?: (execution: Execution) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Reconnections after a dropped stream before giving up (default 5). */
  reconnects?: number;
}

/** Resolves with the status the execution ended in. */
export async function followExecution(options: FollowOptions): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/executions/${encodeURIComponent(options.executionId)}/events`;
  let lastEventId: string | undefined;
  let ended: string | undefined;
  const parser = createParser({
    onEvent(event) {
      if (event.id) lastEventId = event.id;
      const data: unknown = JSON.parse(event.data);
      if (event.event === 'step') options.onStep?.(data as StepExecution & { seq: number });
      else if (event.event === 'execution') options.onExecution?.(data as Execution);
      else if (event.event === 'end') ended = (data as { status: string }).status;
    },
  });
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    try {
      const response = await doFetch(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
      if (!response.ok) {
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the status speaks
        }
        throw apiErrorOf(response.status, body);
      }
      if (!response.body) throw new FlowgateApiError(response.status, 'invalid_response', 'The event stream has no body');
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
        if (ended !== undefined) return ended;
      }
      parser.reset({ consume: true });
      if (ended !== undefined) return ended;
    } catch (err) {
      if (err instanceof FlowgateApiError || options.signal?.aborted) throw err;
      if (attempt >= (options.reconnects ?? 5))
        throw new FlowgateApiError(0, 'network_error', `The event stream broke: ${(err as Error).message}`);
    }
    if (attempt >= (options.reconnects ?? 5))
      throw new FlowgateApiError(0, 'network_error', 'The event stream ended before the execution did');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
