import { MongoServerError, type Collection, type Document, type OptionalUnlessRequiredId } from 'mongodb';

/**
 * Inserts a document unless one with its `_id` exists; returns whether it inserted. Used instead of
 * `updateOne(..., { $setOnInsert }, { upsert: true })`, which FerretDB 1.24 applies lossily (it
 * drops empty arrays), so "create once" behaves the same on MongoDB and FerretDB.
 */
export async function insertIfAbsent<T extends Document>(collection: Collection<T>, doc: OptionalUnlessRequiredId<T>): Promise<boolean> {
  try {
    await collection.insertOne(doc);
    return true;
  } catch (err) {
    if (err instanceof MongoServerError && err.code === 11000) return false;
    throw err;
  }
}
