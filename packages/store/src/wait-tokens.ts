import type { Collection } from 'mongodb';
import type { WaitTokenDoc } from './documents';

/** Wait tokens (`_id` = SHA-256 of the token) of parked executions: resume and approval URLs find their execution by them. */
export async function createWaitToken(waitTokens: Collection<WaitTokenDoc>, doc: WaitTokenDoc): Promise<void> {
  await waitTokens.insertOne(doc);
}

/** Every wait token of an execution (it resumed or ended). */
export async function deleteWaitTokensOf(waitTokens: Collection<WaitTokenDoc>, executionId: string): Promise<void> {
  await waitTokens.deleteMany({ execution_id: executionId });
}

/** The wait token with this hash (by `_id`: the token is the credential, whichever workspace it belongs to). */
export function findWaitToken(waitTokens: Collection<WaitTokenDoc>, tokenHash: string): Promise<WaitTokenDoc | null> {
  return waitTokens.findOne({ _id: tokenHash });
}
