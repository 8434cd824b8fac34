import { unwrap, type FlowgateClient, type Workflow } from '@flowgate/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Context } from '../context';
import { readDefinitions, type LocalDefinition } from '../definitions';
import { planApply, renderPlan, type PlanItem } from '../plan';
import { allWorkflows, type DefinitionInput } from '../remote';
import { renderTable } from '../table';

/** `apply -f`, `export`, `get workflows`: workflows as files in git, and the list. */
export interface ApplyOptions {
  filename: string[];
  dryRun?: boolean;
}

async function write(client: FlowgateClient, item: PlanItem, def: LocalDefinition): Promise<Workflow> {
  const body = def.source as DefinitionInput;
  if (item.action === 'create') return unwrap(client.POST('/v1/workflows', { body }));
  const id = item.workflowId ?? '';
  if (item.action === 'update') return unwrap(client.PUT('/v1/workflows/{id}', { params: { path: { id } }, body }));
  return unwrap(client.GET('/v1/workflows/{id}', { params: { path: { id } } }));
}

export async function apply(ctx: Context, options: ApplyOptions): Promise<void> {
  const local = readDefinitions(options.filename);
  const client = ctx.client();
  ctx.out.progress(`Reading ${ctx.target.url} …`);
  const plan = planApply(local, await allWorkflows(client));
  ctx.out.progress(renderPlan(plan));
  if (options.dryRun) {
    ctx.out.result('Dry run: nothing changed', { dry_run: true, plan });
    return;
  }
  const results: { name: string; action: string; id: string; published_version: number | null }[] = [];
  for (const [index, item] of plan.entries()) {
    const def = local[index];
    if (!def) continue;
    if (item.action !== 'unchanged') ctx.out.progress(`${item.action === 'create' ? 'Creating' : 'Updating'} ${item.name} …`);
    let workflow = await write(client, item, def);
    if (item.publish) {
      ctx.out.progress(`Publishing ${item.name} …`);
      await unwrap(client.POST('/v1/workflows/{id}/publish', { params: { path: { id: workflow.id } }, body: {} }));
      workflow = await unwrap(client.GET('/v1/workflows/{id}', { params: { path: { id: workflow.id } } }));
    }
    results.push({ name: item.name, action: item.action, id: workflow.id, published_version: workflow.published_version });
  }
  const text = results
    .map((r) => `${r.name}: ${r.action}${r.published_version === null ? '' : `, published v${r.published_version}`} (${r.id})`)
    .join('\n');
  ctx.out.result(text || 'Nothing to apply', { plan, results });
}

export interface ExportOptions {
  dir?: string;
}

/** The draft definitions as YAML: to stdout (one document each, `---` between), or one file per workflow in --dir. */
export async function exportWorkflows(ctx: Context, names: string[], options: ExportOptions): Promise<void> {
  const all = await allWorkflows(ctx.client());
  const chosen = names.length ? all.filter((w) => names.includes(w.name) || names.includes(w.id)) : all;
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true });
    const files = chosen.map((w) => {
      const file = join(options.dir ?? '.', `${w.name.replace(/[^A-Za-z0-9._-]/g, '_')}.yaml`);
      writeFileSync(file, stringify(w.definition));
      return file;
    });
    ctx.out.result(files.map((f) => `wrote ${f}`).join('\n') || 'No workflows', { files });
    return;
  }
  ctx.out.result(
    chosen.map((w) => stringify(w.definition)).join('---\n'),
    chosen.map((w) => w.definition),
  );
}

export async function getWorkflows(ctx: Context): Promise<void> {
  const all = await allWorkflows(ctx.client());
  const rows = all.map((w) => [
    w.id,
    w.name,
    w.published_version === null ? '-' : `v${w.published_version}`,
    w.triggers.production?.async ?? '-',
    w.updated_at,
  ]);
  ctx.out.result(renderTable(['ID', 'NAME', 'PUBLISHED', 'PRODUCTION WEBHOOK', 'UPDATED'], rows), all);
}
