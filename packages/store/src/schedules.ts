import type { Collection } from 'mongodb';
import type { ScheduleDoc } from './documents';
import { findOwned } from './owned';

/** Cron schedules (`_id` = the workflow id), owned and fired by the scheduler. */

/** Unpaused schedules whose next fire is due by `now`. */
export function dueSchedules(schedules: Collection<ScheduleDoc>, now: Date, limit: number): Promise<ScheduleDoc[]> {
  return schedules
    .find({ paused: false, next_fire_at: { $lte: now } })
    .limit(limit)
    .toArray();
}

/** A workflow's schedule, whichever workspace holds it (the caller refuses another workspace's). */
export function findSchedule(schedules: Collection<ScheduleDoc>, workflowId: string): Promise<ScheduleDoc | null> {
  return schedules.findOne({ _id: workflowId });
}

/** A workspace's schedule of a workflow (read by `_id`, the owner checked in code). */
export function findOwnedSchedule(
  schedules: Collection<ScheduleDoc>,
  workspaceId: string,
  workflowId: string,
): Promise<ScheduleDoc | null> {
  return findOwned(schedules, workspaceId, workflowId);
}

export async function putSchedule(schedules: Collection<ScheduleDoc>, doc: ScheduleDoc): Promise<void> {
  const { _id, ...rest } = doc;
  await schedules.replaceOne({ _id }, rest, { upsert: true });
}

export async function deleteSchedule(schedules: Collection<ScheduleDoc>, workflowId: string): Promise<void> {
  await schedules.deleteOne({ _id: workflowId });
}

/** Deletes a workspace's schedule (read by `_id`, the owner checked in code, deleted by `_id`); true if there was one. */
export async function deleteOwnedSchedule(schedules: Collection<ScheduleDoc>, workspaceId: string, workflowId: string): Promise<boolean> {
  if (!(await findOwned(schedules, workspaceId, workflowId, { projection: { _id: 1 } }))) return false;
  const result = await schedules.deleteOne({ _id: workflowId });
  return result.deletedCount === 1;
}

/** Moves a schedule on from the fire it was due for (a concurrent change of `next_fire_at` wins). */
export async function advanceSchedule(
  schedules: Collection<ScheduleDoc>,
  schedule: Pick<ScheduleDoc, '_id' | 'next_fire_at'>,
  set: Partial<Pick<ScheduleDoc, 'next_fire_at' | 'last_fire_at' | 'updated_at'>>,
): Promise<void> {
  await schedules.updateOne({ _id: schedule._id, next_fire_at: schedule.next_fire_at }, { $set: set });
}
