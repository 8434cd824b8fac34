import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { request, sleep, Stack } from '../support/stack';

/** Commands that can never succeed end in a dead-letter record and a metric, not a redelivery loop. */
describe('poison messages', () => {
  let stack: Stack;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await Stack.start('poison', { services: ['ingress', 'execution'] });
    nc = await connect({ servers: stack.natsUrl });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  const deadLetters = async () => (await stack.db()).collection('dead_letters').find({}).toArray();

  it('dead-letters malformed JSON, schema-invalid commands and commands for unknown workflows, once each', async () => {
    const js = jetstream(nc);
    const subject = `${stack.prefix}.cmd.start.default`;
    await js.publish(subject, '{not json', { msgID: randomUUID() });
    await js.publish(subject, JSON.stringify({ type: 'start', execution_id: 42 }), { msgID: randomUUID() });
    const ghost = randomUUID();
    await js.publish(
      subject,
      JSON.stringify({
        type: 'start',
        execution_id: ghost,
        workspace_id: 'default',
        workflow_id: 'wf_doesnotexist',
        workflow_version: 1,
        trigger_input: { method: 'POST', path: '/', query: {}, headers: {}, body: null },
        accepted_at: new Date().toISOString(),
      }),
      { msgID: ghost },
    );

    const deadline = Date.now() + 15_000;
    while ((await deadLetters()).length < 3 && Date.now() < deadline) await sleep(100);
    await sleep(1_000); // a redelivery loop would add more records or deliveries by now
    const records = await deadLetters();
    expect(records.map((r) => r.reason).sort()).toEqual(['invalid_message', 'malformed_json', 'unknown_workflow']);
    expect(records.every((r) => r.delivery_count === 1)).toBe(true);
    // Each is the subject's workspace's (the body names none it could read, or the same one), listed to its key.
    expect(records.map((r) => r.workspace_id)).toEqual(['default', 'default', 'default']);
    const listed = await stack.api('GET', '/v1/dead-letters');
    expect(listed.body.data.map((d: { reason: string }) => d.reason).sort()).toEqual([
      'invalid_message',
      'malformed_json',
      'unknown_workflow',
    ]);

    const ghostExecution = await stack.api('GET', `/v1/executions/${ghost}`);
    expect(ghostExecution.body).toMatchObject({ status: 'failed', error: { code: 'workflow_not_found' } });

    const metrics = (await request(`${stack.opsUrl('execution')}/metrics`)).text;
    for (const reason of ['malformed_json', 'invalid_message', 'unknown_workflow'])
      expect(metrics).toMatch(new RegExp(`flowgate_dead_letters_total\\{[^}]*reason="${reason}"[^}]*\\} 1`));

    // the service still works
    const wf = await stack.deploy({ name: 'after-poison', steps: [{ id: 't', type: 'transform', expression: '1' }] });
    const res = await request(wf.async, { method: 'POST' });
    expect((await stack.waitForExecution(res.body.execution_id)).status).toBe('succeeded');
  });
});
