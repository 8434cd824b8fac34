import { connect, type Socket } from 'node:net';
import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Hostile input against the running ingress: each case gets its documented 4xx in the one error
 * shape, leaks no internals, creates no execution or workflow, and the service keeps answering
 * with bounded memory. (Concurrent duplicate deliveries: test/e2e/idempotency.test.ts.)
 */
const MIB = 1024 * 1024;
const MAX_DEPTH = 32;
const MAX_HEADERS = 50;
const MAX_HEADER_BYTES = 8 * 1024;
const REQUEST_TIMEOUT_MS = 2_000;

describe('hostile input', () => {
  let stack: Stack;
  let hook: { id: string; async: string; sync: string };
  let token: string;

  beforeAll(async () => {
    stack = await Stack.start('hostile-input', {
      services: ['ingress', 'execution'],
      env: {
        ingress: {
          FLOWGATE_MAX_BODY_BYTES: String(16 * MIB),
          FLOWGATE_MAX_JSON_DEPTH: String(MAX_DEPTH),
          FLOWGATE_MAX_HEADER_COUNT: String(MAX_HEADERS),
          FLOWGATE_MAX_HEADER_BYTES: String(MAX_HEADER_BYTES),
          FLOWGATE_HEADERS_TIMEOUT_MS: '1500',
          FLOWGATE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        },
      },
    });
    hook = await stack.deploy({
      name: 'measure',
      trigger: { webhook: { sync_timeout_s: 60 } },
      steps: [{ id: 'size', type: 'transform', expression: '{"count": $count(trigger.body.items), "tail": trigger.body.tail}' }],
    });
    token = new URL(hook.async).pathname.split('/')[2] ?? '';
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const counts = async () => {
    const db = await stack.db();
    return {
      executions: await (await stack.settledDb()).collection('executions').countDocuments(),
      workflows: await db.collection('workflows').countDocuments(),
    };
  };

  const expectError = (res: { status: number; body: any; text: string }, status: number, code: string) => {
    expect({ status: res.status, body: res.body }).toEqual({
      status,
      body: { error: expect.objectContaining({ code, message: expect.any(String) }) },
    });
    expect(res.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+|\.js:\d+|Mongo|stack/i);
  };

  /** After every hostile case: still ready, still accepting a normal webhook. */
  const expectHealthy = async () => {
    expect((await fetch(`${stack.opsUrl('ingress')}/readyz`)).status).toBe(200);
    const ok = await request(hook.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":"ok"}' });
    expect(ok.status).toBe(202);
  };

  /** Runs hostile requests; asserts nothing was created by them, then that the service is healthy. */
  const refusedWithoutEffect = async (run: () => Promise<void>) => {
    const before = await counts();
    await run();
    expect(await counts()).toEqual(before);
    await expectHealthy();
  };

  const json = (body: string | Uint8Array, extra: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra },
    body,
  });

  it('refuses JSON nested 10 000 levels deep, on webhooks and on the API, naming the limit', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    await refusedWithoutEffect(async () => {
      for (const body of [deep, deepObject]) {
        for (const url of [hook.async, hook.sync]) {
          const res = await request(url, json(body));
          expectError(res, 400, 'invalid_json');
          expect(res.body.error.message).toContain(String(MAX_DEPTH));
        }
        expectError(await stack.api('POST', '/v1/workflows', body), 400, 'invalid_json');
        expectError(await stack.api('PATCH', `/v1/workflows/${hook.id}/context`, body), 400, 'invalid_json');
      }
      // One past the limit is refused, brackets inside strings do not count.
      expectError(await request(hook.async, json('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1))), 400, 'invalid_json');
    });
    const atLimit = await request(
      hook.async,
      json(`{"data":"${'['.repeat(500)}","n":${'['.repeat(MAX_DEPTH - 1)}${']'.repeat(MAX_DEPTH - 1)}}`),
    );
    expect(atLimit.status).toBe(202);
  });

  it.each([
    ['truncated', '{"data": "x"'],
    ['trailing garbage', '{"data": "x"} {'],
    ['a broken unicode escape', '{"data": "\\ud800\\u"}'],
    ['NaN', '{"data": NaN}'],
  ])('refuses malformed JSON (%s) with 400 invalid_json', async (_name, body) => {
    await refusedWithoutEffect(async () => {
      expectError(await request(hook.async, json(body)), 400, 'invalid_json');
      expectError(await stack.api('POST', '/v1/workflows', body), 400, 'invalid_json');
    });
  });

  it('refuses invalid UTF-8 in JSON and text bodies with 400', async () => {
    const invalid = Buffer.concat([Buffer.from('{"data":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]);
    await refusedWithoutEffect(async () => {
      expectError(await request(hook.async, json(invalid)), 400, 'invalid_request');
      expectError(
        await request(hook.async, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: invalid }),
        400,
        'invalid_request',
      );
      expectError(
        await request(hook.async, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: invalid }),
        400,
        'invalid_request',
      );
      const api = await request(`${stack.ingressUrl}/v1/workflows`, json(invalid, { authorization: `Bearer ${stack.apiKey}` }));
      expectError(api, 400, 'invalid_request');
    });
    // Binary under a binary type is data, not an error: it travels as base64.
    const binary = await request(hook.async, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: invalid });
    expect(binary.status).toBe(202);
  });

  it('answers wrong or missing content types on the API with 415', async () => {
    await refusedWithoutEffect(async () => {
      const definition = JSON.stringify({ name: 'x', steps: [{ id: 'a', type: 'transform', expression: '1' }] });
      for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded'])
        expectError(await stack.api('POST', '/v1/workflows', definition, { 'content-type': type }), 415, 'unsupported_media_type');
      const untyped = await request(`${stack.ingressUrl}/v1/workflows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.apiKey}` },
        body: new Uint8Array(Buffer.from(definition)),
      });
      expectError(untyped, 415, 'unsupported_media_type');
    });
  });

  it('refuses 20 MB bodies with 413, declared or streamed, and keeps its memory bounded', async () => {
    const rss = async () => {
      const text = await (await fetch(`${stack.opsUrl('ingress')}/metrics`)).text();
      const line = /^flowgate_process_resident_memory_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text);
      if (!line?.[1]) throw new Error('no flowgate_process_resident_memory_bytes in /metrics');
      return Number(line[1]);
    };
    const huge = new Uint8Array(20 * 1000 * 1000).fill(0x61);
    const streamed = (): RequestInit & { duplex: 'half' } => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(huge.subarray(i * 1_000_000, (i + 1) * 1_000_000));
          controller.close();
        },
      }),
    });
    const before = await rss();
    await refusedWithoutEffect(async () => {
      for (let round = 0; round < 4; round++) {
        const results = await Promise.all([
          ...Array.from({ length: 3 }, () => request(hook.async, json(huge))),
          ...Array.from({ length: 2 }, () => request(hook.sync, streamed())),
        ]);
        for (const res of results) expectError(res, 413, 'payload_too_large');
      }
      expectError(await request(`${stack.ingressUrl}/resume/wt_${'a'.repeat(40)}`, json(huge)), 413, 'payload_too_large');
      expectError(
        await request(`${stack.ingressUrl}/v1/workflows`, json(huge, { authorization: `Bearer ${stack.apiKey}` })),
        413,
        'payload_too_large',
      );
    });
    const after = await rss();
    // 20 bodies of 20 MB went by: none was kept (a buffered one alone would be 20 MB, the burst 400 MB).
    expect(after - before).toBeLessThan(96 * MIB);
  });

  it('answers too many headers and too large a header block with 431', async () => {
    await refusedWithoutEffect(async () => {
      const many: Record<string, string> = { 'content-type': 'application/json' };
      for (let i = 0; i < MAX_HEADERS + 5; i++) many[`x-flood-${i}`] = String(i);
      expectError(await request(hook.async, { method: 'POST', headers: many, body: '{}' }), 431, 'headers_too_large');
      expectError(await stack.api('GET', '/v1/workflows', undefined, many), 431, 'headers_too_large');
      const big = await request(hook.async, { method: 'POST', headers: { 'x-big': 'b'.repeat(MAX_HEADER_BYTES + 100) }, body: '{}' });
      expectError(big, 431, 'headers_too_large');
    });
    // Below the limits passes.
    const some: Record<string, string> = { 'content-type': 'application/json' };
    for (let i = 0; i < MAX_HEADERS - 20; i++) some[`x-some-${i}`] = String(i);
    expect((await request(hook.async, { method: 'POST', headers: some, body: '{"data":"x"}' })).status).toBe(202);
  });

  it('cuts off slow uploads and slow headers with 408, while answering everyone else', async () => {
    const { port } = new URL(stack.ingressUrl);
    const slow = (head: string, body: string) =>
      new Promise<{ text: string; ms: number }>((resolve, reject) => {
        const started = Date.now();
        const socket: Socket = connect(Number(port), '127.0.0.1', () => socket.write(head + body));
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
        socket.on('error', reject);
        socket.on('close', () => resolve({ text, ms: Date.now() - started }));
        // A trickle that never completes the request.
        const trickle = setInterval(() => socket.writable && socket.write('a'), 300);
        socket.on('close', () => clearInterval(trickle));
        setTimeout(() => socket.destroy(new Error('not cut off after 15 s')), 15_000);
      });
    const before = await counts();
    {
      const body = slow(
        `POST /hooks/${token} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
        '{"data":"',
      );
      const headers = slow(`POST /hooks/${token} HTTP/1.1\r\nHost: x\r\nX-Slow: `, '');
      // Meanwhile the ingress serves others without delay.
      await sleep(300);
      const t0 = Date.now();
      const others = await request(hook.async, json('{"data":"meanwhile"}'));
      expect(others.status).toBe(202);
      expect(Date.now() - t0).toBeLessThan(1_000);
      for (const cut of await Promise.all([body, headers])) {
        expect(cut.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 4_000);
        if (cut.text) {
          expect(cut.text).toMatch(/^HTTP\/1\.1 408 /);
          expect(cut.text).toContain('"code":"request_timeout"');
        }
      }
      expect((await body).text).toMatch(/^HTTP\/1\.1 408 /);
    }
    // Only the one from the meanwhile request was created.
    expect(await counts()).toEqual({ ...before, executions: before.executions + 1 });
    await expectHealthy();
  });

  it.each([
    ['/hooks/..%2F..%2Fetc%2Fpasswd', 'webhook_not_found'],
    ['/hooks/../../etc/passwd', 'not_found'],
    ['/hooks/wh_%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00', 'webhook_not_found'],
    ['/hooks/%7B%22%24gt%22%3A%22%22%7D/sync', 'webhook_not_found'],
    ['/hooks/wh_%2e%2e%2f%2e%2e%2fxxxxxxxxxxxxxxxx', 'webhook_not_found'],
    ['/resume/%7B%22%24ne%22%3Anull%7D', 'wait_not_found'],
    ['/approvals/..%2F..%2F/approve', 'wait_not_found'],
  ])('answers path traversal and operator injection in ids (%s) with 404 %s', async (path, code) => {
    await refusedWithoutEffect(async () => {
      expectError(await request(`${stack.ingressUrl}${path}`, json('{"data":"x"}')), 404, code);
    });
  });

  it.each([
    '/v1/executions?status[$gt]=',
    '/v1/executions?status[$ne]=queued',
    '/v1/executions?workflow_id[$regex]=.*',
    '/v1/executions?workflow_id={"$gt":""}',
    '/v1/executions?status=queued&status=running',
    '/v1/executions?cursor[$gt]=',
    '/v1/executions?limit=1e9',
    '/v1/triggers?token[$ne]=x',
    '/v1/triggers?token={"$gt":""}',
  ])('answers operator injection in query strings (%s) with 400', async (path) => {
    await refusedWithoutEffect(async () => {
      expectError(await stack.api('GET', path), 400, 'invalid_request');
    });
  });

  it('treats operators in JSON bodies as data: 422 for definitions, nothing written', async () => {
    await refusedWithoutEffect(async () => {
      const res = await stack.api('POST', '/v1/workflows', { name: { $gt: '' }, steps: [{ id: { $ne: null }, type: 'transform' }] });
      expectError(res, 422, 'invalid_workflow_definition');
      const patch = await stack.api('PATCH', `/v1/workflows/${hook.id}/context`, { $set: { a: 'b' }, key: { $gt: '' } });
      expect(patch.status).toBe(400);
    });
    const context = await stack.api('GET', `/v1/workflows/${hook.id}/context`);
    expect({ status: context.status, body: context.body }).toEqual({ status: 200, body: {} });
  });

  it('carries a 10 MiB body through to a transform step (stored out of line) and replays it', async () => {
    // 10 MiB of JSON: 82 000 items of 128 bytes, and a marker after them.
    const body = JSON.stringify({ items: Array.from({ length: 82_000 }, (_, i) => String(i).padEnd(128, 'x')), tail: 'end' });
    expect(body.length).toBeGreaterThan(10 * MIB);
    const res: ApiResponse = await request(hook.async, json(body));
    expect(res.status).toBe(202);
    const id = String(res.body.execution_id);
    const done = await stack.waitForExecution(id, undefined, 60_000);
    expect(done).toMatchObject({ status: 'succeeded', final_output: { count: 82_000, tail: 'end' } });
    // The command and the execution document carried a reference, the body lives in `payloads`.
    const db = await stack.settledDb();
    const doc = await db.collection('executions').findOne({ _id: id as never });
    expect(doc?.trigger_input_ref).toBe(id);
    expect(String(doc?.trigger_input_json).length).toBeLessThan(64 * 1024);
    const chunks = await db.collection('payloads').find({ payload_id: id }).toArray();
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(chunks.every((c) => (c.data as { length: () => number }).length() <= 2 * MIB)).toBe(true);

    const replay = await stack.api('POST', `/v1/executions/${id}/replay`);
    expect(replay.status).toBe(202);
    const again = await stack.waitForExecution(String(replay.body.execution_id), undefined, 60_000);
    expect(again).toMatchObject({ status: 'succeeded', final_output: { count: 82_000, tail: 'end' } });
  });
});
