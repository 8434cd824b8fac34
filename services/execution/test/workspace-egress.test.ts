import { createLogger } from '@flowgate/kit';
import { collections, type Collections } from '@flowgate/store';
import { MongoClient, type Db } from 'mongodb';
import { WorkspaceEgressCache } from '../src/workspace-egress';

/** The executor's view of a workspace (egress allow-list, status) against the run's real MongoDB-wire server. */
describe('workspace run settings cache', () => {
  let client: MongoClient;
  let db: Db;
  let store: Collections;
  beforeAll(async () => {
    client = await new MongoClient(process.env.FLOWGATE_TEST_MONGO_URL ?? '').connect();
    db = client.db(`ws_egress_${Date.now()}`);
    store = collections(db);
  });
  afterAll(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('serves the allow-list and status from memory until dropped or expired; a workspace without a document is active', async () => {
    let now = 0;
    const cache = new WorkspaceEgressCache(store, 30_000, createLogger('egress-test', 'silent'), () => now);
    await store.workspaces.insertOne({ _id: 'ws_e', name: 'e', created_at: new Date(), egress_allow_cidrs: ['10.0.0.0/8', 'bogus'] });
    expect((await cache.allowListOf('ws_e')).key).toBe('10.0.0.0/8');
    await expect(cache.isDeleted('ws_e')).resolves.toBe(false);
    await expect(cache.isDeleted('ws_none')).resolves.toBe(false);

    await store.workspaces.updateOne({ _id: 'ws_e' }, { $set: { status: 'deleting', egress_allow_cidrs: [] } });
    await expect(cache.isDeleted('ws_e')).resolves.toBe(false); // cached
    cache.drop('ws_e'); // its workspace_changed event arrived
    await expect(cache.isDeleted('ws_e')).resolves.toBe(true);
    expect((await cache.allowListOf('ws_e')).key).toBe('');

    await store.workspaces.updateOne({ _id: 'ws_e' }, { $set: { status: 'deleted' } });
    now += 30_001; // or it expired
    await expect(cache.isDeleted('ws_e')).resolves.toBe(true);
    await store.workspaces.updateOne({ _id: 'ws_e' }, { $set: { status: 'active' } });
    cache.clear();
    await expect(cache.isDeleted('ws_e')).resolves.toBe(false);
  });
});
