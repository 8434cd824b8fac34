import { request, Stack } from '../support/stack';

/**
 * The sync answer of a branch whose targets are `respond` steps listed one after the other (the
 * README's shape): the branch lands where it points and a `respond` without `next` ends the run, so
 * `then: big` answers with big's body and the other target never runs. A `respond` with `next`
 * answers and the run goes on; the first `respond` is the answer.
 */
describe('respond ends the sync answer; branches land where they point', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('respond-branches', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The ids of the workflow's `count` runs, once all are listed (listings follow the group commit). */
  const runsOf = async (workflowId: string, count: number): Promise<string[]> => {
    const deadline = Date.now() + 30_000;
    let ids: string[] = [];
    while (ids.length < count && Date.now() < deadline) {
      const list = await stack.api('GET', `/v1/executions?workflow_id=${workflowId}`);
      ids = (list.body.data as { id: string }[]).map((e) => e.id);
      if (ids.length < count) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toHaveLength(count);
    return ids;
  };
  const stepIds = (run: { step_executions: { step_id: string }[] }) => run.step_executions.map((s) => s.step_id);

  /** The steps each of the workflow's `count` runs ran, once they ended. */
  const stepsRun = async (workflowId: string, count: number): Promise<string[][]> => {
    const runs = await Promise.all((await runsOf(workflowId, count)).map((id) => stack.waitForExecution(id)));
    return runs.map(stepIds).sort();
  };

  it('then and else each answer with their own body, and the run ends at the respond it reached', async () => {
    const wf = await stack.deploy({
      name: 'sizes',
      steps: [
        { id: 'check', type: 'branch', when: 'trigger.body.amount > 100', then: 'big', else: 'small' },
        { id: 'big', type: 'respond', status: 201, body: { size: 'big', amount: '{{trigger.body.amount}}' } },
        { id: 'small', type: 'respond', status: 200, body: { size: 'small', amount: '{{trigger.body.amount}}' } },
      ],
    });
    const post = (amount: number) =>
      request(wf.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount }) });
    const big = await post(500);
    expect([big.status, big.body]).toEqual([201, { size: 'big', amount: 500 }]);
    const small = await post(5);
    expect([small.status, small.body]).toEqual([200, { size: 'small', amount: 5 }]);
    expect(await stepsRun(wf.id, 2)).toEqual([
      ['check', 'big'],
      ['check', 'small'],
    ]);
  });

  it('a respond with next answers with its body while the run goes on; a later respond does not change the answer', async () => {
    const wf = await stack.deploy({
      name: 'answer-then-work',
      trigger: { webhook: { response: { mode: 'last_step' } } },
      steps: [
        { id: 'ack', type: 'respond', status: 202, body: { accepted: true }, next: 'work' },
        { id: 'never', type: 'fail', message: 'not on the path' },
        { id: 'work', type: 'transform', expression: '{"worked": true}' },
        { id: 'late', type: 'respond', status: 500, body: { accepted: false } },
      ],
    });
    const res = await request(wf.sync, { method: 'POST' });
    expect([res.status, res.body]).toEqual([202, { accepted: true }]);
    expect(await stepsRun(wf.id, 1)).toEqual([['ack', 'work', 'late']]);
  });

  it('the sync answer comes at the respond: the caller does not wait for the steps after its next', async () => {
    const wf = await stack.deploy({
      name: 'answer-early',
      trigger: { webhook: { sync_timeout_s: 20 } },
      steps: [
        { id: 'ack', type: 'respond', status: 202, body: { queued: '{{trigger.body.id}}' }, next: 'later' },
        { id: 'later', type: 'delay', duration_s: 600 },
        { id: 'done', type: 'transform', expression: '"done"' },
      ],
    });
    const started = Date.now();
    const res = await request(wf.sync, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'o-1' }),
    });
    expect([res.status, res.body]).toEqual([202, { queued: 'o-1' }]);
    expect(Date.now() - started).toBeLessThan(10_000);
    const [id] = await runsOf(wf.id, 1);
    const parked = await stack.waitForExecution(String(id), (e: { status: string }) => e.status === 'waiting');
    expect(stepIds(parked)).toContain('ack');
    expect(stepIds(parked)).not.toContain('done');
  });
});
