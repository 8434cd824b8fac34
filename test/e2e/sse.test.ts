import { request, Stack } from '../support/stack';

/** GET /v1/executions/{id}/events streams the execution's states as server-sent events until it ends. */
describe('execution events (SSE)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('sse', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('streams the current state, each change, then end', async () => {
    const wf = await stack.deploy({
      name: 'sse',
      max_concurrent_executions: 0,
      steps: [
        { id: 'wait', type: 'wait_for_webhook' },
        { id: 'done', type: 'transform', expression: 'steps.wait.output.ok' },
      ],
    });
    const started = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const id: string = started.body.execution_id;
    const parked = await stack.waitForExecution(id, (e) => e.status === 'waiting');

    const res = await fetch(`${stack.ingressUrl}/v1/executions/${id}/events`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      const deadline = Date.now() + 15_000;
      while (!text.includes(needle) && Date.now() < deadline) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
    };
    await readUntil('"status":"waiting"');
    expect(
      (
        await request(parked.waiting_payload.resume_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"ok":true}',
        })
      ).status,
    ).toBe(202);
    await readUntil('event: end');
    const events = text
      .split('\n\n')
      .filter((block) => block.includes('event: execution'))
      .map(
        (block) =>
          JSON.parse(
            block
              .split('\n')
              .find((l) => l.startsWith('data: '))
              ?.slice(6) ?? 'null',
          ) as { status: string; final_output: unknown },
      );
    expect(events[0]?.status).toBe('waiting');
    expect(events.at(-1)).toMatchObject({ status: 'succeeded', final_output: true });
    expect(text).toContain('event: end\ndata: {"status":"succeeded"}');

    const missing = await request(`${stack.ingressUrl}/v1/executions/00000000-0000-4000-8000-000000000000/events`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(missing.status).toBe(404);
  });
  it('resumes after a disconnect with Last-Event-ID: every step once, nothing twice', async () => {
    const wf = await stack.deploy({
      name: 'sse-reconnect',
      max_concurrent_executions: 0,
      steps: [
        { id: 'one', type: 'transform', expression: '1' },
        { id: 'wait', type: 'wait_for_webhook' },
        { id: 'two', type: 'transform', expression: '2' },
        { id: 'three', type: 'transform', expression: 'steps.wait.output.n' },
      ],
    });
    const started = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const id: string = started.body.execution_id;
    const parked = await stack.waitForExecution(id, (e) => e.status === 'waiting');

    type Event = { id?: string; event?: string; data?: unknown; retry?: string };
    const parse = (text: string): Event[] =>
      text
        .split('\n\n')
        .filter((block) => block.trim() !== '' && !block.startsWith(':'))
        .map((block) => {
          const e: Event = {};
          for (const line of block.split('\n')) {
            const [field, ...rest] = line.split(': ');
            const value = rest.join(': ');
            if (field === 'id') e.id = value;
            else if (field === 'event') e.event = value;
            else if (field === 'data') e.data = JSON.parse(value);
            else if (field?.startsWith('retry')) e.retry = line.slice('retry: '.length);
          }
          return e;
        });
    const open = async (lastEventId?: string) => {
      const controller = new AbortController();
      const res = await fetch(`${stack.ingressUrl}/v1/executions/${id}/events`, {
        headers: { authorization: `Bearer ${stack.apiKey}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (done: (events: Event[]) => boolean) => {
        const deadline = Date.now() + 15_000;
        while (!done(parse(text)) && Date.now() < deadline) {
          const chunk = await reader?.read();
          if (!chunk || chunk.done) break;
          text += decoder.decode(chunk.value, { stream: true });
        }
        return parse(text);
      };
      return { readUntil, close: () => controller.abort() };
    };

    // First connection: everything up to the park, then the client goes away.
    const first = await open();
    const before = await first.readUntil((events) =>
      events.some((e) => e.event === 'execution' && (e.data as { status: string }).status === 'waiting'),
    );
    first.close();
    expect(before[0]?.retry).toBe('2000');
    const seenBefore = before.filter((e) => e.id !== undefined);
    expect(seenBefore.filter((e) => e.event === 'step').map((e) => (e.data as { step_id: string }).step_id)).toEqual(['one']);
    const lastId = seenBefore.at(-1)?.id;
    expect(lastId).toMatch(/^\d+\.1$/);

    // While disconnected the execution finishes.
    const resumed = await request(parked.waiting_payload.resume_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n": 3}',
    });
    expect(resumed.status).toBe(202);
    await stack.waitForExecution(id);

    // Reconnect: only what was missed, then end.
    const second = await open(lastId);
    const after = await second.readUntil((events) => events.some((e) => e.event === 'end'));
    const seenAfter = after.filter((e) => e.id !== undefined);
    expect(seenAfter.filter((e) => e.event === 'step').map((e) => (e.data as { step_id: string }).step_id)).toEqual([
      'wait',
      'two',
      'three',
    ]);
    expect(seenAfter.at(-1)).toMatchObject({ event: 'execution', data: { status: 'succeeded', final_output: 3 } });
    expect(after.at(-1)).toMatchObject({ event: 'end', data: { status: 'succeeded' } });

    const union = [...seenBefore, ...seenAfter];
    expect(new Set(union.map((e) => e.id)).size).toBe(union.length); // no duplicate event
    const steps = union.filter((e) => e.event === 'step').map((e) => e.data as { seq: number; step_id: string });
    expect(steps.map((s) => s.seq)).toEqual([1, 2, 3, 4]);
    expect(steps.map((s) => s.step_id)).toEqual(['one', 'wait', 'two', 'three']);

    // Reconnecting once more with the final id sends nothing new, just the end.
    const third = await open(seenAfter.at(-1)?.id);
    const rest = await third.readUntil((events) => events.some((e) => e.event === 'end'));
    expect(rest.filter((e) => e.id !== undefined)).toEqual([]);
  });
});
