import { MongoClient, type Db } from 'mongodb';

/** Connects to MongoDB (or a MongoDB-wire server such as FerretDB); the database comes from the URL path. */
export async function connectMongo(url: string, appName: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(url, { appName, serverSelectionTimeoutMS: 5_000, connectTimeoutMS: 5_000, retryWrites: false });
  await client.connect();
  return { client, db: client.db() };
}

export function mongoReady(db: Db): () => Promise<boolean> {
  return async () => {
    const res = await db.command({ ping: 1 }, { timeoutMS: 1_000 });
    return res.ok === 1;
  };
}
