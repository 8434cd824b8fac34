import { workspaceOfSubject } from '@flowgate/contracts';
import type { Collection, Filter } from 'mongodb';
import type { DeadLetterDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';

/**
 * The workspace of a dead letter that names none (unreadable body, subject without a workspace
 * token): no workspace has this id (workspace ids never start with `_`), so only an operator key
 * sees these (ingress routes/dead-letters.ts). Documents recorded before `workspace_id` read as this too.
 */
export const NO_WORKSPACE = '_none';

const WORKSPACE_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Whose a message is: its body's `workspace_id` (when JSON and a workspace token), else its subject's, else NO_WORKSPACE. */
export function deadLetterWorkspaceOf(subject: string, data: string): string {
  try {
    const body: unknown = JSON.parse(data);
    if (typeof body === 'object' && body !== null && 'workspace_id' in body) {
      const ws = body.workspace_id;
      if (typeof ws === 'string' && WORKSPACE_TOKEN.test(ws) && ws !== NO_WORKSPACE) return ws;
    }
  } catch {
    // not JSON: the subject decides
  }
  const fromSubject = workspaceOfSubject(subject);
  return fromSubject && fromSubject !== NO_WORKSPACE ? fromSubject : NO_WORKSPACE;
}

/** Records a message given up on; keyed by consumer and stream sequence, so repeating it is harmless. */
export async function recordDeadLetter(
  deadLetters: Collection<DeadLetterDoc>,
  entry: { consumer: string; streamSequence: number; subject: string; data: string; reason: string; deliveryCount: number },
): Promise<void> {
  await insertIfAbsent(deadLetters, {
    _id: `${entry.consumer}:${entry.streamSequence}`,
    workspace_id: deadLetterWorkspaceOf(entry.subject, entry.data),
    consumer: entry.consumer,
    subject: entry.subject,
    data: entry.data,
    reason: entry.reason,
    delivery_count: entry.deliveryCount,
    created_at: new Date(),
    retried_at: null,
    retried_by: null,
  });
}

/**
 * The API's id of a dead letter: `dl_<consumer>_<stream sequence>` (the `_id` `<consumer>:<seq>` has a
 * `:`; durable names are `[A-Za-z0-9_-]`, so the sequence is what follows the last `_`).
 */
export function deadLetterApiId(id: string): string {
  const at = id.lastIndexOf(':');
  return `dl_${id.slice(0, at)}_${id.slice(at + 1)}`;
}

/** The `_id` an API id names, or null if it is not one. */
export function deadLetterIdOf(apiId: string): string | null {
  const m = /^dl_([A-Za-z0-9_-]{1,128})_(\d{1,20})$/.exec(apiId);
  return m ? `${m[1]}:${m[2]}` : null;
}

/** The workspaces whose dead letters a caller sees: its own, and an operator the unattributed ones too. */
export function deadLetterViewers(workspaceId: string, operator: boolean): string[] {
  return operator ? [workspaceId, NO_WORKSPACE] : [workspaceId];
}

function visibleTo(workspaces: readonly string[]): Filter<DeadLetterDoc> {
  const filter: Filter<DeadLetterDoc> = { workspace_id: { $in: [...workspaces] } };
  return workspaces.includes(NO_WORKSPACE) ? { $or: [filter, { workspace_id: { $exists: false } }] } : filter;
}

/** One dead letter if one of `workspaces` owns it (read by `_id`, then the owner check): null otherwise. */
export async function findVisibleDeadLetter(
  deadLetters: Collection<DeadLetterDoc>,
  workspaces: readonly string[],
  id: string,
): Promise<DeadLetterDoc | null> {
  const doc = await deadLetters.findOne({ _id: id });
  return doc && workspaces.includes(doc.workspace_id ?? NO_WORKSPACE) ? doc : null;
}

/** A page of dead letters, newest first (`before`: the cursor, the last one of the previous page). */
export interface DeadLetterListQuery {
  workspaces: readonly string[];
  consumer?: string;
  reasons?: readonly string[];
  before?: { at: Date; id: string };
}

export function listDeadLetters(deadLetters: Collection<DeadLetterDoc>, q: DeadLetterListQuery, limit: number): Promise<DeadLetterDoc[]> {
  const and: Filter<DeadLetterDoc>[] = [visibleTo(q.workspaces)];
  if (q.consumer) and.push({ consumer: q.consumer });
  if (q.reasons && q.reasons.length > 0) and.push({ reason: { $in: [...q.reasons] } });
  if (q.before) and.push({ $or: [{ created_at: { $lt: q.before.at } }, { created_at: q.before.at, _id: { $lt: q.before.id } }] });
  return deadLetters.find({ $and: and }).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
}

/** Marks a dead letter re-published (by `_id`: the route checked the owner and that it was not retried). */
export async function markDeadLetterRetried(deadLetters: Collection<DeadLetterDoc>, id: string, keyId: string, at: Date): Promise<void> {
  await deadLetters.updateOne({ _id: id }, { $set: { retried_at: at, retried_by: keyId } });
}
