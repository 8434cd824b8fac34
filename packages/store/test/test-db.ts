import { MongoClient, type Db } from 'mongodb';
import { collections, type Collections } from '../src/store';

/**
 * A database of its own on the run's MongoDB-wire server (FerretDB by default) for one test file:
 * open it in `beforeAll`, close it (dropping the database) in `afterAll`.
 */
export function testDatabase(name: string) {
  let client: MongoClient | undefined;
  let db: Db | undefined;
  let store: Collections | undefined;
  return {
    async open(): Promise<void> {
      client = await new MongoClient(process.env.FLOWGATE_TEST_MONGO_URL ?? '').connect();
      db = client.db(`${name}_${Date.now()}`);
      store = collections(db);
    },
    async close(): Promise<void> {
      await db?.dropDatabase().catch(() => undefined);
      await client?.close();
    },
    get store(): Collections {
      if (!store) throw new Error('testDatabase: open() it first');
      return store;
    },
  };
}
