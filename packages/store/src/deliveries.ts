import type { Collection, Filter } from 'mongodb';
import type { DeliveryAttempt, DeliveryDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import { findOwned } from './owned';

/**
 * Callback deliveries (the callback service's state; ADR 0006). A delivery moves by updates guarded
 * on its cycle, so a message of an earlier cycle never changes a later one.
 */

/** The delivery while still in `cycle` (documents of older versions have no cycle: their first). */
const ofCycle = (id: string, cycle: number): Filter<DeliveryDoc> =>
  cycle === 1 ? { _id: id, $or: [{ cycle: 1 }, { cycle: { $exists: false } }] } : { _id: id, cycle };

/** Creates the delivery of an execution event once (a redelivered event finds it there). */
export function createDelivery(deliveries: Collection<DeliveryDoc>, doc: DeliveryDoc): Promise<boolean> {
  return insertIfAbsent(deliveries, doc);
}

export function findDelivery(deliveries: Collection<DeliveryDoc>, id: string): Promise<DeliveryDoc | null> {
  return deliveries.findOne({ _id: id });
}

/** A workspace's delivery (read by `_id`, the owner checked in code). */
export function findOwnedDelivery(deliveries: Collection<DeliveryDoc>, workspaceId: string, id: string): Promise<DeliveryDoc | null> {
  return findOwned(deliveries, workspaceId, id);
}

/** Starts the next cycle of a delivery still at `doc`'s cycle and status, driven by the message `driverSeq`. */
export async function startDeliveryCycle(
  deliveries: Collection<DeliveryDoc>,
  doc: DeliveryDoc,
  driverSeq: number,
  now: Date,
): Promise<void> {
  const cycle = doc.cycle ?? 1;
  await deliveries.updateOne(
    { ...ofCycle(doc._id, cycle), status: doc.status },
    {
      $set: { status: 'pending', cycle: cycle + 1, driver_seq: driverSeq, next_attempt_at: now, attempt_started_at: null, updated_at: now },
    },
  );
}

/** Marks an attempt of `cycle` as on the wire (a crash leaves it behind: recorded as interrupted next time). */
export async function markAttemptStarted(deliveries: Collection<DeliveryDoc>, id: string, cycle: number, now: Date): Promise<void> {
  await deliveries.updateOne(ofCycle(id, cycle), { $set: { attempt_started_at: now } });
}

/** Appends an attempt (if any) to a delivery still in `cycle` and sets what moves it on. */
export async function recordDeliveryAttempt(
  deliveries: Collection<DeliveryDoc>,
  id: string,
  cycle: number,
  attempt: DeliveryAttempt | null,
  set: Partial<DeliveryDoc>,
): Promise<void> {
  await deliveries.updateOne(ofCycle(id, cycle), attempt ? { $push: { attempts: attempt }, $set: set } : { $set: set });
}

/** A page of a workspace's deliveries, newest first (`before`: the cursor, the last one of the previous page). */
export interface DeliveryListQuery {
  workspaceId: string;
  executionId?: string;
  workflowId?: string;
  statuses?: DeliveryDoc['status'][];
  events?: DeliveryDoc['event'][];
  before?: { at: Date; id: string };
}

/** Deliveries matching `q`, newest first, without their payloads (`GET /v1/deliveries/{id}` has it). */
export function listDeliveries(
  deliveries: Collection<DeliveryDoc>,
  q: DeliveryListQuery,
  limit: number,
): Promise<Omit<DeliveryDoc, 'payload_json'>[]> {
  const and: Filter<DeliveryDoc>[] = [{ workspace_id: q.workspaceId }];
  if (q.executionId) and.push({ execution_id: q.executionId });
  if (q.workflowId) and.push({ workflow_id: q.workflowId });
  if (q.statuses) and.push({ status: { $in: q.statuses } });
  if (q.events) and.push({ event: { $in: q.events } });
  if (q.before) and.push({ $or: [{ created_at: { $lt: q.before.at } }, { created_at: q.before.at, _id: { $lt: q.before.id } }] });
  return deliveries
    .find({ $and: and }, { projection: { payload_json: 0 } })
    .sort({ created_at: -1, _id: -1 })
    .limit(limit)
    .toArray();
}
