import { request, Stack } from '../support/stack';

/** Each inbound content type reaches the workflow as trigger.body (parsed) and trigger.raw (as received). */
describe('webhook content types', () => {
  let stack: Stack;
  let sync: string;
  let workflowId: string;

  beforeAll(async () => {
    stack = await Stack.start('content-types', { services: ['ingress', 'execution'] });
    const wf = await stack.deploy({
      name: 'echo-body',
      max_concurrent_executions: 0,
      steps: [
        { id: 'echo', type: 'transform', expression: '{"body": trigger.body, "raw": trigger.raw, "type": trigger.headers."content-type"}' },
      ],
    });
    sync = wf.sync;
    workflowId = wf.id;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (body: RequestInit['body'], contentType?: string) =>
    request(sync, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body });

  it('parses JSON and URL-encoded forms and keeps the raw body', async () => {
    const json = await post('{"a": [1, {"b": "x"}]}', 'application/json');
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ body: { a: [1, { b: 'x' }] }, raw: '{"a": [1, {"b": "x"}]}' });

    const form = await post('name=Ada&tag=a&tag=b&note=x%20y', 'application/x-www-form-urlencoded');
    expect(form.body).toMatchObject({ body: { name: 'Ada', tag: ['a', 'b'], note: 'x y' }, raw: 'name=Ada&tag=a&tag=b&note=x%20y' });
  });

  it('keeps text, XML and CSV as text', async () => {
    for (const [type, text] of [
      ['text/plain; charset=utf-8', 'hello\nworld'],
      ['application/xml', '<order id="1"><item>x</item></order>'],
      ['text/xml', '<a/>'],
      ['text/csv', 'id,name\n1,"Ada, Countess"\n'],
    ] as const) {
      const res = await post(text, type);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ body: text, raw: text, type });
    }
  });

  it('reads multipart fields and file parts', async () => {
    const form = new FormData();
    form.append('name', 'Ada');
    form.append('tag', 'a');
    form.append('tag', 'b');
    form.append('doc', new Blob([Buffer.from([0, 1, 2, 255])], { type: 'application/octet-stream' }), 'bytes.bin');
    const res = await post(form);
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual({
      name: 'Ada',
      tag: ['a', 'b'],
      doc: { filename: 'bytes.bin', content_type: 'application/octet-stream', base64: Buffer.from([0, 1, 2, 255]).toString('base64') },
    });
    expect(res.body.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(Buffer.from(res.body.raw as string, 'base64').toString('latin1')).toContain('name="doc"; filename="bytes.bin"');
  });

  it('passes anything else as base64 with its type', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff]);
    const res = await post(bytes, 'image/png');
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual({ content_type: 'image/png', base64: bytes.toString('base64') });
    expect(res.body.raw).toBe(bytes.toString('base64'));
  });

  it('refuses a malformed multipart body with 400 and queues nothing', async () => {
    const before = await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: workflowId });
    const missingBoundary = await post('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', 'multipart/form-data');
    expect(missingBoundary.status).toBe(400);
    expect(missingBoundary.body.error.code).toBe('invalid_request');
    const parts = Array.from({ length: 1100 }, (_, i) => `--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join('');
    const tooMany = await post(`${parts}--b--\r\n`, 'multipart/form-data; boundary=b');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/Too many multipart/);
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: workflowId })).toBe(before);
  });
});
