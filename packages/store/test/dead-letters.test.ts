import {
  deadLetterApiId,
  deadLetterIdOf,
  deadLetterViewers,
  deadLetterWorkspaceOf,
  findVisibleDeadLetter,
  listDeadLetters,
  markDeadLetterRetried,
  NO_WORKSPACE,
  recordDeadLetter,
} from '../src/dead-letters';
import type { Collections } from '../src/store';
import { deleteOwnedBatch } from '../src/workspaces';
import { testDatabase } from './test-db';

/** Dead letters: whose they are, who sees them, pages, retry marks and workspace deletion, on the real MongoDB-wire server. */
describe('dead letters', () => {
  const database = testDatabase('store_dead_letters');
  let store: Collections;

  beforeAll(async () => {
    await database.open();
    store = database.store;
  });

  afterAll(() => database.close());

  const entry = (seq: number, subject: string, data: string, reason = 'max_deliveries') => ({
    consumer: 'execution',
    streamSequence: seq,
    subject,
    data,
    reason,
    deliveryCount: 3,
  });

  it('takes the workspace from the body, else the subject, else none', () => {
    expect(deadLetterWorkspaceOf('fg.cmd.start.ws_subject', '{"workspace_id":"ws_body"}')).toBe('ws_body');
    expect(deadLetterWorkspaceOf('fg.cmd.start.ws_subject', '{not json')).toBe('ws_subject');
    expect(deadLetterWorkspaceOf('fg.cmd.start.ws_subject', '{"workspace_id":"a.b"}')).toBe('ws_subject');
    expect(deadLetterWorkspaceOf('fg.evt.execution.ws_e.failed', '{"workspace_id":42}')).toBe('ws_e');
    expect(deadLetterWorkspaceOf('fg.cmd.start', '{not json')).toBe(NO_WORKSPACE);
    expect(deadLetterWorkspaceOf('fg.cmd.start._none', '{"workspace_id":"_none"}')).toBe(NO_WORKSPACE);
  });

  it('maps ids to a URL-safe form and back, and refuses anything else', () => {
    expect(deadLetterApiId('execution:42')).toBe('dl_execution_42');
    expect(deadLetterIdOf('dl_execution_42')).toBe('execution:42');
    expect(deadLetterIdOf('dl_my_consumer-2_7')).toBe('my_consumer-2:7');
    expect(deadLetterApiId('my_consumer-2:7')).toBe('dl_my_consumer-2_7');
    for (const bad of ['execution:42', 'dl_execution', 'dl__1', 'dl_exe:cution_1', 'dl_execution_1x'])
      expect(deadLetterIdOf(bad)).toBeNull();
  });

  it('records the workspace, lists newest first per workspace, shows unattributed ones to operators only', async () => {
    await recordDeadLetter(store.deadLetters, entry(1, 'fg.cmd.start.ws_a', '{"workspace_id":"ws_a","execution_id":"e1"}'));
    await recordDeadLetter(store.deadLetters, entry(2, 'fg.cmd.start.ws_b', '{not json', 'malformed_json'));
    await recordDeadLetter(store.deadLetters, entry(3, 'fg.cmd.start', '{not json', 'malformed_json'));
    await recordDeadLetter(store.deadLetters, entry(4, 'fg.cmd.timer.ws_a', '{"workspace_id":"ws_a"}', 'unknown_execution'));
    // recorded again (a redelivery of the same message): still one
    await recordDeadLetter(store.deadLetters, entry(4, 'fg.cmd.timer.ws_a', '{"workspace_id":"ws_a"}', 'unknown_execution'));
    // a document from before workspace_id
    await store.deadLetters.insertOne({
      _id: 'callback:9',
      consumer: 'callback',
      subject: 'fg.evt.execution.ws_a.failed',
      data: '{}',
      reason: 'invalid_message',
      delivery_count: 1,
      created_at: new Date(Date.now() + 60_000),
    });

    const ids = async (q: Parameters<typeof listDeadLetters>[1], limit = 10) =>
      (await listDeadLetters(store.deadLetters, q, limit)).map((d) => d._id);
    expect(await ids({ workspaces: deadLetterViewers('ws_a', false) })).toEqual(['execution:4', 'execution:1']);
    expect(await ids({ workspaces: deadLetterViewers('ws_b', false) })).toEqual(['execution:2']);
    expect(await ids({ workspaces: deadLetterViewers('ws_c', true) })).toEqual(['callback:9', 'execution:3']);
    expect(await ids({ workspaces: ['ws_a'], reasons: ['max_deliveries'] })).toEqual(['execution:1']);
    expect(await ids({ workspaces: deadLetterViewers('ws_a', true), consumer: 'callback' })).toEqual(['callback:9']);
    const [newest] = await listDeadLetters(store.deadLetters, { workspaces: ['ws_a'] }, 1);
    if (!newest) throw new Error('no page');
    expect(await ids({ workspaces: ['ws_a'], before: { at: newest.created_at, id: newest._id } })).toEqual(['execution:1']);

    expect(await findVisibleDeadLetter(store.deadLetters, ['ws_a'], 'execution:1')).toMatchObject({
      workspace_id: 'ws_a',
      retried_at: null,
    });
    expect(await findVisibleDeadLetter(store.deadLetters, ['ws_b'], 'execution:1')).toBeNull();
    expect(await findVisibleDeadLetter(store.deadLetters, ['ws_a'], 'callback:9')).toBeNull();
    expect(await findVisibleDeadLetter(store.deadLetters, deadLetterViewers('ws_a', true), 'callback:9')).toMatchObject({
      reason: 'invalid_message',
    });
  });

  it('marks a retry with its time and key', async () => {
    const at = new Date('2030-01-01T00:00:00Z');
    await markDeadLetterRetried(store.deadLetters, 'execution:1', 'key_x', at);
    expect(await findVisibleDeadLetter(store.deadLetters, ['ws_a'], 'execution:1')).toMatchObject({ retried_at: at, retried_by: 'key_x' });
  });

  it("goes with its workspace's deletion", async () => {
    expect(await deleteOwnedBatch(store, 'deadLetters', 'ws_a', 100)).toBe(2);
    expect((await store.deadLetters.find({}).toArray()).map((d) => d._id).sort()).toEqual(['callback:9', 'execution:2', 'execution:3']);
  });
});
