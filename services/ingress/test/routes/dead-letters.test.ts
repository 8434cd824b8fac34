import { recordDeadLetter } from '@flowgate/store';
import { routeAppPerSuite } from '../support/route-app';

/** `/v1/dead-letters…` in-process: dead letters recorded as the consumers record them, re-published to the run's real JetStream. */
const EXECUTION_ID = '11111111-2222-4333-8444-555555555555';

describe('dead letter routes', () => {
  const app = routeAppPerSuite('dead-letter-routes');
  const OTHER = 'ws_otherdeadletters';
  let otherKey = '';
  let operatorKey = '';
  let readKey = '';
  let startSubject = '';
  const start = () => ({
    type: 'start',
    execution_id: EXECUTION_ID,
    workspace_id: app().workspaceId,
    workflow_id: 'wf_aaaaaaaaaaaaaaaa',
    workflow_version: 1,
    trigger_input: {
      method: 'POST',
      path: '/hooks/x',
      query: { sig: 'q' },
      headers: { authorization: 'Bearer secret-a', 'x-api-key': 'secret-k', 'content-type': 'application/json' },
      body: { order: 7 },
    },
    accepted_at: '2030-01-01T00:00:00.000Z',
  });

  beforeAll(async () => {
    otherKey = await app().apiKey(['admin'], OTHER);
    operatorKey = await app().apiKey(['admin', 'operator']);
    readKey = await app().apiKey(['executions:read']);
    startSubject = app().subjects.command('start', app().workspaceId);
    // a few ms apart: newest first is the order of recording
    const record = async (seq: number, subject: string, data: string, reason: string, consumer = 'execution') => {
      await recordDeadLetter(app().store.deadLetters, { consumer, streamSequence: seq, subject, data, reason, deliveryCount: 1 });
      await new Promise((r) => setTimeout(r, 5));
    };
    await record(11, startSubject, JSON.stringify(start()), 'max_deliveries');
    await record(12, `${app().subjects.prefix}.cmd.start`, '{"authorization": "Bearer x', 'malformed_json');
    await record(13, app().subjects.command('start', OTHER), JSON.stringify({ ...start(), workspace_id: OTHER }), 'unknown_workflow');
    await record(14, app().subjects.executionEvent(app().workspaceId, 'failed'), '{"execution_id": 1}', 'invalid_message', 'callback');
  });

  const ids = (body: { data: { id: string }[] }) => body.data.map((d) => d.id);

  it("lists the key's workspace's dead letters, newest first, with what, why and when", async () => {
    const res = await app().call('GET', '/v1/dead-letters');
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(['dl_callback_14', 'dl_execution_11']);
    expect(res.body.data[1]).toEqual({
      id: 'dl_execution_11',
      workspace_id: app().workspaceId,
      consumer: 'execution',
      subject: startSubject,
      kind: 'start',
      execution_id: EXECUTION_ID,
      reason: 'max_deliveries',
      delivery_count: 1,
      size_bytes: JSON.stringify(start()).length,
      created_at: expect.any(String),
      retried_at: null,
      retried_by: null,
      status_url: 'http://ingress.test/v1/dead-letters/dl_execution_11',
    });
    expect(res.body.data[0]).toMatchObject({ kind: 'execution_event', execution_id: null, reason: 'invalid_message' });
    expect(ids((await app().call('GET', '/v1/dead-letters', { key: otherKey })).body)).toEqual(['dl_execution_13']);
    expect(ids((await app().call('GET', '/v1/dead-letters', { key: readKey })).body)).toEqual(['dl_callback_14', 'dl_execution_11']);
  });

  it('shows dead letters of no workspace to operator keys only', async () => {
    const res = await app().call('GET', '/v1/dead-letters', { key: operatorKey });
    expect(ids(res.body)).toEqual(['dl_callback_14', 'dl_execution_12', 'dl_execution_11']);
    expect(res.body.data[1]).toMatchObject({ workspace_id: '_none', kind: 'start', reason: 'malformed_json' });
    const one = await app().call('GET', '/v1/dead-letters/dl_execution_12', { key: operatorKey });
    expect(one.body).toMatchObject({ id: 'dl_execution_12', command: null, size_bytes: 27 });
    expect((await app().call('GET', '/v1/dead-letters/dl_execution_12')).body.error.code).toBe('dead_letter_not_found');
  });

  it('pages with a cursor and filters by consumer and reason', async () => {
    const first = await app().call('GET', '/v1/dead-letters?limit=1');
    expect(ids(first.body)).toEqual(['dl_callback_14']);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await app().call('GET', `/v1/dead-letters?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect([ids(second.body), second.body.next_cursor]).toEqual([['dl_execution_11'], null]);
    expect(ids((await app().call('GET', '/v1/dead-letters?consumer=execution')).body)).toEqual(['dl_execution_11']);
    expect(ids((await app().call('GET', '/v1/dead-letters?reason=invalid_message,malformed_json')).body)).toEqual(['dl_callback_14']);
  });

  it.each([
    ['consumer=scheduler', 'consumer', 'invalid_value'],
    ['reason=Not-A-Reason', 'reason[0]', 'invalid_format'],
    ['limit=101', 'limit', 'too_big'],
    ['workspace_id=_none', 'workspace_id', 'unrecognized_keys'],
  ])('answers ?%s with 400 and the issue at %s', async (query, path, code) => {
    const res = await app().call('GET', `/v1/dead-letters?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues).toEqual([{ path, message: expect.any(String), code }]);
  });

  it('reads one with its command parsed and credentials redacted', async () => {
    const res = await app().call('GET', '/v1/dead-letters/dl_execution_11');
    expect(res.status).toBe(200);
    expect(res.body.command.trigger_input).toEqual({
      method: 'POST',
      path: '/hooks/x',
      query: { sig: 'q' },
      headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', 'content-type': 'application/json' },
      body: { order: 7 },
    });
    expect(res.text).not.toContain('secret-');
  });

  it("answers another workspace's ids, unknown ids and ids of no dead-letter form 404 alike", async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/retry'],
    ] as const) {
      for (const id of ['dl_execution_13', 'dl_execution_99', 'execution:11', 'dl_execution', 'nope']) {
        const res = await app().call(method, `/v1/dead-letters/${encodeURIComponent(id)}${suffix}`);
        expect([id, suffix, res.status, res.body.error.code]).toEqual([id, suffix, 404, 'dead_letter_not_found']);
      }
    }
    expect((await app().call('GET', '/v1/dead-letters/dl_execution_11', { key: otherKey })).status).toBe(404);
  });

  it('retries once: re-publishes the original command to its subject with a new message id, then 409', async () => {
    expect((await app().call('POST', '/v1/dead-letters/dl_execution_11/retry', { key: readKey })).status).toBe(403);
    const res = await app().call('POST', '/v1/dead-letters/dl_execution_11/retry');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: 'dl_execution_11',
      retried_at: expect.any(String),
      retried_by: expect.stringMatching(/^key_/),
      message_id: 'dead-letter-retry:execution:11',
    });
    const msg = await app().jsm.streams.getMessage(app().subjects.commandsStream, { last_by_subj: startSubject });
    expect(msg?.header.get('Nats-Msg-Id')).toBe('dead-letter-retry:execution:11');
    expect(msg?.json()).toEqual(start());

    const again = await app().call('POST', '/v1/dead-letters/dl_execution_11/retry');
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', details: { retried_at: res.body.retried_at } });
    expect((await app().call('GET', '/v1/dead-letters/dl_execution_11')).body).toMatchObject({
      retried_at: res.body.retried_at,
      retried_by: res.body.retried_by,
    });
  });

  it('refuses to retry a body that is not JSON', async () => {
    const res = await app().call('POST', '/v1/dead-letters/dl_execution_12/retry', { key: operatorKey });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/not JSON/);
  });
});
