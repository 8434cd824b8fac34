import { ApiError } from '@flowgate/contracts';
import { createLogger } from '@flowgate/kit';
import { collections, findWorkspace, insertWorkspace, markWorkspaceDeleting, type Collections } from '@flowgate/store';
import { MongoClient, type Db } from 'mongodb';
import { WorkspaceDeletions } from '../src/workspace-deletion';

/**
 * The background deletion of a workspace against the run's real MongoDB-wire server, with the live
 * executions and the execution service's Cancel faked behind the job's own interface.
 */
describe('workspace deletion', () => {
  let client: MongoClient;
  let db: Db;
  let store: Collections;
  beforeAll(async () => {
    client = await new MongoClient(process.env.FLOWGATE_TEST_MONGO_URL ?? '').connect();
    db = client.db(`ws_deletion_${Date.now()}`);
    store = collections(db);
  });
  afterAll(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  const logger = createLogger('deletion-test', 'silent');
  const now = new Date();
  const seed = async (workspaceId: string) => {
    await insertWorkspace(store.workspaces, { _id: workspaceId, name: workspaceId, created_at: now, status: 'active' });
    for (let i = 0; i < 3; i++)
      await store.workflows.insertOne({
        _id: `wf_${workspaceId}_${i}`,
        workspace_id: workspaceId,
        name: `w${i}`,
        draft_json: '{}',
        published_version: null,
        created_at: now,
        updated_at: now,
      });
    await store.apiKeys.insertOne({
      _id: `key_${workspaceId}`,
      workspace_id: workspaceId,
      name: 'k',
      key_hash: `hash_${workspaceId}`,
      key_prefix: 'fgk_',
      created_at: now,
      revoked_at: null,
    });
  };

  it('cancels what is live first, removes the documents only once nothing is, then leaves a tombstone', async () => {
    await seed('ws_doomed');
    await seed('ws_kept');
    await markWorkspaceDeleting(store.workspaces, 'ws_doomed', now);
    const live = new Set(['e1', 'e2', 'e3']);
    const cancelled: string[] = [];
    let leading = false;
    const job = new WorkspaceDeletions({
      store,
      live: { liveIds: (ws: string, limit: number) => Promise.resolve(ws === 'ws_doomed' ? [...live].slice(0, limit) : []) },
      cancel: (ws: string, id: string) => {
        cancelled.push(`${ws}/${id}`);
        // e3 ended by itself meanwhile: the execution service no longer knows it.
        if (id === 'e3') return Promise.reject(new ApiError('execution_not_found', 'Execution not found'));
        return Promise.resolve({});
      },
      logger,
      leading: () => leading,
      batch: 2,
      intervalMs: 60_000,
    });

    await job.pass(); // not the lease holder: nothing happens
    expect(cancelled).toEqual([]);

    leading = true;
    await job.pass();
    expect(cancelled).toEqual(['ws_doomed/e1', 'ws_doomed/e2', 'ws_doomed/e3']);
    // Executions still live: their last writes could land after a delete, so nothing is removed yet.
    expect(await store.workflows.countDocuments({ workspace_id: 'ws_doomed' })).toBe(3);
    expect(await findWorkspace(store.workspaces, 'ws_doomed')).toMatchObject({ status: 'deleting', deletion: { cancelled: 2 } });

    live.clear(); // they ended
    await job.pass();
    expect(await store.workflows.countDocuments({ workspace_id: 'ws_doomed' })).toBe(0);
    expect(await store.apiKeys.countDocuments({ workspace_id: 'ws_doomed' })).toBe(0);
    expect(await findWorkspace(store.workspaces, 'ws_doomed')).toMatchObject({
      status: 'deleted',
      deletion: { finished_at: expect.any(Date), removed: { workflows: 3, apiKeys: 1 }, cancelled: 2 },
    });
    // Another workspace's documents are untouched, and a finished deletion is not run again.
    expect(await store.workflows.countDocuments({ workspace_id: 'ws_kept' })).toBe(3);
    await job.pass();
    expect(await findWorkspace(store.workspaces, 'ws_doomed')).toMatchObject({ deletion: { removed: { workflows: 3 } } });
  });

  it('a pass that dies mid-way leaves the rest to the next one, which counts only what it removed', async () => {
    await seed('ws_crash');
    await markWorkspaceDeleting(store.workspaces, 'ws_crash', now);
    let failAfter = 1;
    const failing: Collections = {
      ...store,
      workflows: new Proxy(store.workflows, {
        get(target, prop, receiver) {
          if (prop === 'deleteMany' && failAfter-- <= 0) return () => Promise.reject(new Error('connection reset'));
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
    };
    const deps = { live: { liveIds: () => Promise.resolve([]) }, cancel: () => Promise.resolve({}), logger, batch: 2, intervalMs: 60_000 };
    await expect(new WorkspaceDeletions({ ...deps, store: failing }).pass()).rejects.toThrow('connection reset');
    expect(await store.workflows.countDocuments({ workspace_id: 'ws_crash' })).toBe(1);
    expect(await findWorkspace(store.workspaces, 'ws_crash')).toMatchObject({
      status: 'deleting',
      deletion: { removed: { workflows: 2 } },
    });

    await new WorkspaceDeletions({ ...deps, store }).pass();
    expect(await findWorkspace(store.workspaces, 'ws_crash')).toMatchObject({
      status: 'deleted',
      deletion: { removed: { workflows: 3, apiKeys: 1 } },
    });
  });
});
