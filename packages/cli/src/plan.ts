import { canonicalJson } from './canonical';
import { CliError } from './exit-codes';

/**
 * `apply`'s plan (pure): each local definition against the remote workflow of the same name.
 * create — no workflow has that name; update — the draft differs from the file; unchanged — equal.
 * Publish when the definition changed (create, update), or when equal but never published. The API
 * shows the draft, not the published version's definition: a draft changed elsewhere and left
 * unpublished reads as "unchanged" (ADR 0028).
 */
export interface PlanInput {
  name: string;
  file: string;
  normalized: unknown;
}

export interface RemoteWorkflow {
  id: string;
  name: string;
  definition: unknown;
  published_version: number | null;
}

export type PlanAction = 'create' | 'update' | 'unchanged';

export interface PlanItem {
  name: string;
  file: string;
  action: PlanAction;
  /** The workflow's id (absent for create). */
  workflowId?: string;
  /** Publish after the write; `version` is the one it would become. */
  publish: boolean;
  version: number | null;
}

export function planApply(local: readonly PlanInput[], remote: readonly RemoteWorkflow[]): PlanItem[] {
  const byName = new Map<string, RemoteWorkflow[]>();
  for (const w of remote) byName.set(w.name, [...(byName.get(w.name) ?? []), w]);
  return local.map((def): PlanItem => {
    const matches = byName.get(def.name) ?? [];
    if (matches.length > 1)
      throw new CliError(
        'ambiguous_workflow_name',
        `${matches.length} workflows are named "${def.name}" (${matches.map((m) => m.id).join(', ')})`,
      );
    const existing = matches[0];
    if (!existing) return { name: def.name, file: def.file, action: 'create', publish: true, version: 1 };
    const changed = canonicalJson(def.normalized) !== canonicalJson(existing.definition);
    const publish = changed || existing.published_version === null;
    return {
      name: def.name,
      file: def.file,
      action: changed ? 'update' : 'unchanged',
      workflowId: existing.id,
      publish,
      version: publish ? (existing.published_version ?? 0) + 1 : existing.published_version,
    };
  });
}

const SIGN: Record<PlanAction, string> = { create: '+', update: '~', unchanged: '=' };

export function renderPlan(items: readonly PlanItem[]): string {
  const count = (action: PlanAction) => items.filter((i) => i.action === action).length;
  const publishes = items.filter((i) => i.publish).length;
  const width = Math.max(0, ...items.map((i) => i.name.length));
  const lines = items.map((i) => {
    const what = `${SIGN[i.action]} ${i.action.padEnd(9)} ${i.name.padEnd(width)}`;
    const where = i.workflowId ? `${i.file}, ${i.workflowId}` : i.file;
    return `  ${what}  (${where})${i.publish ? `  → publish v${i.version}` : ''}`;
  });
  return [
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${publishes} to publish`,
    ...lines,
  ].join('\n');
}
