import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Receiver } from '../support/receiver';
import { Stack } from '../support/stack';

/**
 * Every sync webhook gets its answer under load (`pnpm bench`'s sync scenario, shorter): 16 in
 * flight on the sync URL of a 1-step http workflow, each answered 200 with the step's result well
 * within its sync timeout, and no execution left live once all are answered. An executor can run a
 * start to its end before the ingress makes it live (just after the command's ack); that late write
 * once brought the ended execution back as queued for good, and its caller never got an answer.
 */
describe('sync webhooks under load', () => {
  const REQUESTS = 1_500;
  const IN_FLIGHT = 16;
  /** Far below the trigger's sync timeout (50 s): an unanswered request shows as a timeout here. */
  const ANSWER_WITHIN_MS = 10_000;
  let stack: Stack;
  let downstream: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    stack = await Stack.start('sync-answers', {
      services: ['ingress', 'execution'],
      env: { ingress: { LOG_LEVEL: 'info' }, execution: { LOG_LEVEL: 'info' } },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  });

  it(`answers each of ${REQUESTS} sync requests at ${IN_FLIGHT} in flight, leaving nothing live`, async () => {
    const wf = await stack.deploy({
      name: 'sync-answers',
      max_concurrent_executions: 0,
      steps: [{ id: 's1', type: 'http', request: { method: 'POST', url: downstream.url('/s1'), body: { n: '{{trigger.body.n}}' } } }],
    });
    downstream.requests.length = 0;
    const outcomes = new Map<string, number>();
    const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const n = next++;
        try {
          const res = await fetch(wf.sync, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ n }),
            signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
          });
          const body = await res.text();
          count(res.status === 200 && body.includes('"ok":true') ? 'answered' : `${res.status} ${body.slice(0, 80)}`);
        } catch (err) {
          count(err instanceof Error && err.name === 'TimeoutError' ? 'unanswered' : String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(Object.fromEntries(outcomes)).toEqual({ answered: REQUESTS });

    // Every execution ended and left the live bucket (none brought back as queued).
    const nc = await connect({ servers: stack.natsUrl });
    try {
      const kv = await new Kvm(nc).open(stack.subjects.liveExecutionsBucket);
      const live: string[] = [];
      const deadline = Date.now() + 5_000;
      do {
        live.length = 0;
        for await (const key of await kv.keys()) if ((await kv.get(key))?.operation === 'PUT') live.push(key);
        if (live.length > 0) await new Promise((r) => setTimeout(r, 200));
      } while (live.length > 0 && Date.now() < deadline);
      expect(live).toEqual([]);
    } finally {
      await nc.close();
    }
  });
});
