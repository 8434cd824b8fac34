import { randomBytes } from 'node:crypto';
import { INLINE_TRIGGER_INPUT_MAX_BYTES } from '@flowgate/contracts';
import { request, Stack } from '../support/stack';

/**
 * An execution whose trigger input was too large to travel inline (stored out of line in
 * `payloads`): GET /v1/executions/{id} says so (`trigger_input_ref`) and where it is
 * (`trigger_input_url`), and that URL serves the body byte for byte with its content type — JSON
 * and binary alike. A small input is whole inline; its URL serves it too.
 */
describe('large trigger inputs', () => {
  let stack: Stack;
  let hook: { id: string; async: string };

  beforeAll(async () => {
    stack = await Stack.start('large-trigger-input', { services: ['ingress', 'execution'] });
    hook = await stack.deploy({
      name: 'large-input',
      max_concurrent_executions: 0,
      steps: [{ id: 'size', type: 'transform', expression: '{"raw": $length(trigger.raw)}' }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The input URL's answer as bytes (fetch, authorized with the bootstrap key). */
  const fetchInput = async (url: string, key = stack.apiKey) => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  const start = async (body: string | Buffer, contentType: string): Promise<string> => {
    const res = await request(hook.async, { method: 'POST', headers: { 'content-type': contentType }, body });
    expect(res.status).toBe(202);
    return String(res.body.execution_id);
  };

  it('a JSON body above the inline limit: trigger_input_ref and trigger_input_url, never a bare null', async () => {
    const body = JSON.stringify({ blob: 'x'.repeat(INLINE_TRIGGER_INPUT_MAX_BYTES + 10_000), tail: 'end' });
    const id = await start(body, 'application/json');
    const done = await stack.waitForExecution(id, undefined, 60_000);
    expect(done.status).toBe('succeeded');
    expect(done.trigger_input.body).toBeNull();
    expect(done.trigger_input_ref).toBe(id);
    expect(done.trigger_input_url).toBe(`${stack.ingressUrl}/v1/executions/${id}/input`);

    const served = await fetchInput(done.trigger_input_url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(served.bytes.equals(Buffer.from(body, 'utf8'))).toBe(true);

    // The list shows the same hint.
    const listed = await stack.api('GET', `/v1/executions?workflow_id=${hook.id}&limit=100`);
    expect((listed.body.data as { id: string; trigger_input_ref: string | null }[]).find((e) => e.id === id)?.trigger_input_ref).toBe(id);
  });

  it('a binary body above the inline limit is served byte for byte with its content type', async () => {
    const bytes = randomBytes(INLINE_TRIGGER_INPUT_MAX_BYTES);
    const id = await start(bytes, 'application/octet-stream');
    const done = await stack.waitForExecution(id, undefined, 60_000);
    expect(done.trigger_input_ref).toBe(id);
    const served = await fetchInput(done.trigger_input_url);
    expect([served.status, served.headers.get('content-type')]).toEqual([200, 'application/octet-stream']);
    expect(served.bytes.equals(bytes)).toBe(true);
  });

  it('a small body stays inline (trigger_input_ref null); its URL serves it; another workspace gets 404', async () => {
    const id = await start('{"n": 1}', 'application/json');
    const done = await stack.waitForExecution(id, undefined, 30_000);
    expect(done.trigger_input).toMatchObject({ body: { n: 1 } });
    expect(done.trigger_input_ref).toBeNull();
    const served = await fetchInput(done.trigger_input_url);
    expect([served.status, served.bytes.toString('utf8')]).toEqual([200, '{"n": 1}']);

    const created = await stack.api('POST', '/v1/workspaces', { name: 'stranger' });
    expect(created.status).toBe(201);
    const stranger = await stack.apiKeyForWorkspace(String(created.body.id));
    const refused = await fetchInput(done.trigger_input_url, stranger);
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.bytes.toString('utf8')).error.code).toBe('execution_not_found');
  });
});
