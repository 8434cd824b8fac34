import type { StepExecutionDoc } from '@flowgate/store';

/** The step attempts with `record` added, or put in place of its earlier version (same `_id`), in sequence order. */
export function withStep(steps: readonly StepExecutionDoc[], record: StepExecutionDoc): StepExecutionDoc[] {
  const out = steps.filter((s) => s._id !== record._id);
  out.push(record);
  return out.sort((a, b) => a.seq - b.seq);
}
