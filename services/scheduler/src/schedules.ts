import type { DeleteScheduleResponse, Schedule, UpsertScheduleRequest__Output } from '@flowgate/contracts';
import { nextFireTime, scheduleSchema, type ScheduleSpec } from '@flowgate/core';
import { grpc, GrpcStatusError } from '@flowgate/kit';
import { deleteOwnedSchedule, findSchedule, putSchedule, type Collections, type ScheduleDoc } from '@flowgate/store';

/**
 * The SchedulerService's schedule RPCs: the scheduler owns the `schedules` collection; the ingress
 * calls UpsertSchedule on publish (and to pause / resume) and DeleteSchedule when a published
 * version has no schedule. The leader's ScheduleFirer fires what is stored here.
 */

const ID = /^[A-Za-z0-9_-]{1,128}$/;

function ids(req: { workspaceId: string; workflowId: string }): { workspaceId: string; workflowId: string } {
  if (!ID.test(req.workspaceId) || !ID.test(req.workflowId))
    throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'workspace_id and workflow_id are required');
  return req;
}

function specOf(doc: ScheduleDoc): ScheduleSpec {
  return { cron: doc.cron, timezone: doc.timezone, overlap: doc.overlap, missed: doc.missed };
}

export function scheduleMessage(doc: ScheduleDoc): Schedule {
  return {
    workspaceId: doc.workspace_id,
    workflowId: doc._id,
    ...specOf(doc),
    paused: doc.paused,
    nextFireAt: doc.paused ? '' : (doc.next_fire_at?.toISOString() ?? ''),
    lastFireAt: doc.last_fire_at?.toISOString() ?? '',
  };
}

/** Validates the pattern, zone and policies with the definition's own schema. */
function parseSpec(req: UpsertScheduleRequest__Output): ScheduleSpec {
  const parsed = scheduleSchema.safeParse({
    cron: req.cron,
    timezone: req.timezone || undefined,
    overlap: req.overlap || undefined,
    missed: req.missed || undefined,
  });
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'schedule'}: ${i.message}`).join('; ');
    throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, detail);
  }
  return parsed.data;
}

export async function upsertSchedule(store: Collections, req: UpsertScheduleRequest__Output, now: Date): Promise<Schedule> {
  const { workspaceId, workflowId } = ids(req);
  const existing = await findSchedule(store.schedules, workflowId);
  if (existing && existing.workspace_id !== workspaceId) throw new GrpcStatusError(grpc.status.NOT_FOUND, 'schedule not found');
  const keepSpec = req.cron === '' && req.pause !== 'PAUSE_CHANGE_KEEP';
  if (keepSpec && !existing) throw new GrpcStatusError(grpc.status.NOT_FOUND, 'this workflow has no schedule');
  const spec = keepSpec && existing ? specOf(existing) : parseSpec(req);
  const paused = req.pause === 'PAUSE_CHANGE_PAUSE' ? true : req.pause === 'PAUSE_CHANGE_RESUME' ? false : (existing?.paused ?? false);
  // A resume counts from now (fires that fell in the pause are not run); so does a new pattern.
  const keepNext = keepSpec && req.pause === 'PAUSE_CHANGE_PAUSE' && existing;
  const doc: Omit<ScheduleDoc, '_id'> = {
    workspace_id: workspaceId,
    ...spec,
    paused,
    next_fire_at: keepNext ? existing.next_fire_at : nextFireTime(spec, now),
    last_fire_at: existing?.last_fire_at ?? null,
    updated_at: now,
  };
  await putSchedule(store.schedules, { _id: workflowId, ...doc });
  return scheduleMessage({ _id: workflowId, ...doc });
}

export async function deleteSchedule(
  store: Collections,
  req: { workspaceId: string; workflowId: string },
): Promise<DeleteScheduleResponse> {
  const { workspaceId, workflowId } = ids(req);
  return { deleted: await deleteOwnedSchedule(store.schedules, workspaceId, workflowId) };
}
