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
});
