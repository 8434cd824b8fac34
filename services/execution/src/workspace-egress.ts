import { EgressAllowList, validateCidrs, type Logger } from '@flowgate/kit';
import { workspaceEgressEntries, type Collections } from '@flowgate/store';

/**
 * A workspace's egress allow-list (`workspaces.egress_allow_cidrs`, set with PUT
 * /v1/workspace/egress), cached in memory for `ttlMs` so http steps don't read MongoDB each time.
 * A change therefore applies within `ttlMs` (FLOWGATE_WORKSPACE_CACHE_MS). Concurrent reads of one
 * workspace share one query. Entries that are not valid CIDRs (the API refuses them; only a direct
 * database edit can store one) are ignored with a warning rather than failing every execution.
 */
export class WorkspaceEgressCache {
  private readonly cache = new Map<string, { expires: number; list: Promise<EgressAllowList> }>();

  constructor(
    private readonly store: Pick<Collections, 'workspaces'>,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async allowListOf(workspaceId: string): Promise<EgressAllowList> {
    const now = this.now();
    const hit = this.cache.get(workspaceId);
    if (hit && hit.expires > now) return hit.list;
    const list = this.load(workspaceId);
    if (this.ttlMs > 0) {
      this.cache.set(workspaceId, { expires: now + this.ttlMs, list });
      // A failed read is not cached: the next step reads again.
      list.catch(() => {
        if (this.cache.get(workspaceId)?.list === list) this.cache.delete(workspaceId);
      });
    }
    return list;
  }

  private async load(workspaceId: string): Promise<EgressAllowList> {
    const stored = await workspaceEgressEntries(this.store.workspaces, workspaceId);
    const entries = Array.isArray(stored) ? stored.filter((e): e is string => typeof e === 'string') : [];
    const problems = validateCidrs(entries);
    if (problems.length > 0) this.logger.warn({ workspace_id: workspaceId, problems }, 'ignoring invalid egress_allow_cidrs entries');
    const bad = new Set(problems.map((p) => p.entry));
    return EgressAllowList.parse(entries.filter((e) => !bad.has(e)));
  }
}
