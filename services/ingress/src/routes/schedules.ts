import { ApiError } from '@flowgate/contracts';
import { nextFireTime, nextFireTimes, type ScheduleSpec, type WorkflowDefinition } from '@flowgate/core';
import type { Collections, ScheduleDoc } from '@flowgate/store';
import { Router, type Request } from 'express';
import { workspaceOf } from '../auth';

/**
 * Cron schedules: publishing a workflow writes (or removes) its schedule document, which the
 * scheduler's leader fires; the API shows the next fire times and pauses / resumes it.
 */

/** Called after a publish: the schedule of the newly published version replaces the old one. */
export async function syncSchedule(store: Collections, workspaceId: string, workflowId: string, def: WorkflowDefinition, now: Date) {
  const spec = def.trigger.schedule;
  if (!spec) {
    await store.schedules.deleteOne({ _id: workflowId, workspace_id: workspaceId });
    return;
  }
  const existing = await store.schedules.findOne({ _id: workflowId });
  await store.schedules.replaceOne(
    { _id: workflowId },
    {
      workspace_id: workspaceId,
      cron: spec.cron,
      timezone: spec.timezone,
      overlap: spec.overlap,
      missed: spec.missed,
      paused: existing?.paused ?? false,
      next_fire_at: nextFireTime(spec, now),
      last_fire_at: existing?.last_fire_at ?? null,
      updated_at: now,
    },
    { upsert: true },
  );
}

export function specOf(doc: ScheduleDoc): ScheduleSpec {
  return { cron: doc.cron, timezone: doc.timezone, overlap: doc.overlap, missed: doc.missed };
}

function scheduleView(doc: ScheduleDoc, now: Date) {
  return {
    ...specOf(doc),
    paused: doc.paused,
    next_fire_at: doc.paused ? null : (doc.next_fire_at?.toISOString() ?? null),
    next_fires: doc.paused ? [] : nextFireTimes(specOf(doc), now, 5).map((d) => d.toISOString()),
    last_fire_at: doc.last_fire_at?.toISOString() ?? null,
  };
}

export function scheduleRoutes(deps: { store: Collections }): Router {
  const router = Router();
  const find = async (req: Request) => {
    const doc = await deps.store.schedules.findOne({ _id: String(req.params.id), workspace_id: workspaceOf(req) });
    if (!doc) throw new ApiError('not_found', 'This workflow has no published schedule');
    return doc;
  };

  router.get('/v1/workflows/:id/schedule', async (req, res) => {
    res.json(scheduleView(await find(req), new Date()));
  });

  router.post('/v1/workflows/:id/schedule/:action', async (req, res) => {
    const action = String(req.params.action);
    if (action !== 'pause' && action !== 'resume') throw new ApiError('not_found', 'Use /schedule/pause or /schedule/resume');
    const doc = await find(req);
    const now = new Date();
    // Resuming counts from now: fires that fell in the pause are not run.
    const changes = action === 'pause' ? { paused: true } : { paused: false, next_fire_at: nextFireTime(specOf(doc), now) };
    const updated = await deps.store.schedules.findOneAndUpdate(
      { _id: doc._id },
      { $set: { ...changes, updated_at: now } },
      { returnDocument: 'after' },
    );
    if (!updated) throw new ApiError('not_found', 'This workflow has no published schedule');
    res.json(scheduleView(updated, now));
  });

  return router;
}
