import { randomUUID } from 'node:crypto';
import { messageIds, startCommand } from '@flowgate/contracts';
import { collections, savePayload } from '@flowgate/store';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sleep, Stack } from '../support/stack';

/**
 * Dead letters on the real services: a start command whose offloaded trigger input is missing fails
 * every delivery (FLOWGATE_MAX_DELIVER 2) and is dead-lettered; its workspace's key lists it (credentials
 * redacted), another workspace's key sees nothing of it; once the payload is there a retry re-publishes
 * the command and the execution runs to its end. An unreadable command of no workspace is the operator's.
 */
describe('dead letters', () => {
  let stack: Stack;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await Stack.start('dead-letters', { services: ['ingress', 'execution'], env: { execution: { FLOWGATE_MAX_DELIVER: '2' } } });
    nc = await connect({ servers: stack.natsUrl });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const until = async <T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (done(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await sleep(200);
    }
  };

  it('lists a dead-lettered start to its workspace only, redacted, and a retry runs the execution', async () => {
    const owner = await stack.newWorkspace('dl-owner');
    const other = await stack.newWorkspace('dl-other');
    const created = await stack.api(
      'POST',
      '/v1/workflows?publish=true',
      { name: 'dl-flow', steps: [{ id: 'echo', type: 'transform', expression: '{"order": trigger.body.order}' }] },
      as(owner.key),
    );
    expect(created.status).toBe(201);

    const executionId = randomUUID();
    const ref = `dl-test-${executionId}`;
    const headers = {
      'content-type': 'application/json',
      authorization: 'Bearer s3cr3t-bearer',
      'x-api-key': 's3cr3t-key',
      cookie: 'session=s3cr3t-cookie',
      'x-hub-signature-256': 'sha256=s3cr3t-sig',
    };
    const input = { method: 'POST', path: '/hooks/x', query: {}, headers, body: { order: 7 } };
    const command = startCommand({
      execution_id: executionId,
      workspace_id: owner.id,
      workflow_id: String(created.body.id),
      workflow_version: 1,
      // the body travels by reference, and the payload is not stored (yet): every delivery fails
      trigger_input: { ...input, body: null },
      trigger_input_ref: ref,
      accepted_at: new Date(),
    });
    const subject = stack.subjects.command('start', owner.id);
    await jetstream(nc).publish(subject, JSON.stringify(command), { msgID: messageIds.start(executionId) });

    const listed = await until(
      'the dead letter',
      async () => (await stack.api('GET', '/v1/dead-letters', undefined, as(owner.key))).body,
      (b) => Array.isArray(b.data) && b.data.length > 0,
    );
    expect(listed.data).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^dl_execution_\d+$/),
        workspace_id: owner.id,
        consumer: 'execution',
        subject,
        kind: 'start',
        execution_id: executionId,
        reason: 'max_deliveries',
        delivery_count: 2,
        retried_at: null,
      }),
    ]);
    const id = String(listed.data[0].id);
    const one = await stack.api('GET', `/v1/dead-letters/${id}`, undefined, as(owner.key));
    expect(one.status).toBe(200);
    expect(one.body.command).toMatchObject({
      type: 'start',
      execution_id: executionId,
      trigger_input_ref: ref,
      trigger_input: {
        headers: {
          'content-type': 'application/json',
          authorization: '[redacted]',
          'x-api-key': '[redacted]',
          cookie: '[redacted]',
          'x-hub-signature-256': '[redacted]',
        },
      },
    });
    expect(one.text).not.toContain('s3cr3t');

    // Another workspace (and the operator's own): nothing of it.
    for (const key of [other.key, stack.apiKey]) {
      expect((await stack.api('GET', '/v1/dead-letters', undefined, as(key))).body).toEqual({ data: [], next_cursor: null });
      for (const [method, path] of [
        ['GET', `/v1/dead-letters/${id}`],
        ['POST', `/v1/dead-letters/${id}/retry`],
      ] as const) {
        const res = await stack.api(method, path, undefined, as(key));
        expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'dead_letter_not_found']);
      }
    }
    // Published here straight to JetStream (no ingress made it live) and failing before its first write: nothing of it is stored.
    expect((await stack.api('GET', `/v1/executions/${executionId}`, undefined, as(owner.key))).status).toBe(404);

    // The cause fixed, a retry runs it.
    await savePayload(collections(await stack.db()).payloads, ref, owner.id, JSON.stringify(input), new Date());
    const retried = await stack.api('POST', `/v1/dead-letters/${id}/retry`, undefined, as(owner.key));
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id, retried_at: expect.any(String), retried_by: expect.stringMatching(/^key_/) });
    const ended = await until(
      'the retried execution',
      async () => (await stack.api('GET', `/v1/executions/${executionId}`, undefined, as(owner.key))).body,
      (e) => e.status === 'succeeded' || e.status === 'failed',
    );
    expect([ended.status, ended.final_output]).toEqual(['succeeded', { order: 7 }]);

    const again = await stack.api('POST', `/v1/dead-letters/${id}/retry`, undefined, as(owner.key));
    expect([again.status, again.body.error.code]).toEqual([409, 'conflict']);
    const after = (await stack.api('GET', '/v1/dead-letters', undefined, as(owner.key))).body;
    expect(after.data).toEqual([expect.objectContaining({ id, retried_at: retried.body.retried_at })]);
  });

  it('keeps a command of no workspace for the operator, and does not retry what is not JSON', async () => {
    const tenant = await stack.newWorkspace('dl-tenant');
    const unreadable = '{"authorization": "Bearer s3cr3t';
    await jetstream(nc).publish(`${stack.prefix}.cmd.start`, unreadable, { msgID: randomUUID() });
    const listed = await until(
      'the unattributed dead letter',
      async () => (await stack.api('GET', '/v1/dead-letters?reason=malformed_json')).body,
      (b) => Array.isArray(b.data) && b.data.length > 0,
    );
    expect(listed.data).toEqual([
      expect.objectContaining({ workspace_id: '_none', kind: 'start', reason: 'malformed_json', execution_id: null }),
    ]);
    const id = String(listed.data[0].id);
    const one = await stack.api('GET', `/v1/dead-letters/${id}`);
    expect(one.body).toMatchObject({ command: null, size_bytes: unreadable.length });
    expect(one.text).not.toContain('s3cr3t');
    expect((await stack.api('GET', '/v1/dead-letters', undefined, as(tenant.key))).body.data).toEqual([]);
    expect((await stack.api('GET', `/v1/dead-letters/${id}`, undefined, as(tenant.key))).status).toBe(404);
    const retry = await stack.api('POST', `/v1/dead-letters/${id}/retry`);
    expect([retry.status, retry.body.error.code]).toEqual([409, 'conflict']);
  });
});
