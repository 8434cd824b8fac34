import { CONFIG_WORKSPACE, configChangedSchema, type Subjects } from '@flowgate/contracts';
import { EgressAllowList, validateCidrs, type Logger, type NatsConnection } from '@flowgate/kit';
import { workspaceRunSettings, type Collections, type WorkspaceStatus } from '@flowgate/store';

/**
 * A workspace's egress allow-list (`workspaces.egress_allow_cidrs`, set by the operator) and its
 * status, cached in memory for `ttlMs` so http steps and starts don't read MongoDB each time. A
 * change applies at once when its `workspace_changed` config event arrives (`drop`), else within
 * `ttlMs` (FLOWGATE_WORKSPACE_CACHE_MS). Concurrent reads of one workspace share one query. Entries
 * that are not valid CIDRs (the API refuses them; only a direct database edit can store one) are
 * ignored with a warning rather than failing every execution.
 */
interface RunSettings {
  list: EgressAllowList;
  status: WorkspaceStatus;
}

export class WorkspaceEgressCache {
  private readonly cache = new Map<string, { expires: number; settings: Promise<RunSettings> }>();

  constructor(
    private readonly store: Pick<Collections, 'workspaces'>,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async allowListOf(workspaceId: string): Promise<EgressAllowList> {
    return (await this.settingsOf(workspaceId)).list;
  }

  /** Whether the workspace is being deleted or deleted: its start commands run nothing. */
  async isDeleted(workspaceId: string): Promise<boolean> {
    const { status } = await this.settingsOf(workspaceId);
    return status === 'deleting' || status === 'deleted';
  }

  /** Forgets a workspace (its `workspace_changed` event arrived). */
  drop(workspaceId: string): void {
    this.cache.delete(workspaceId);
  }

  /** Forgets every workspace (events may have been missed). */
  clear(): void {
    this.cache.clear();
  }

  private settingsOf(workspaceId: string): Promise<RunSettings> {
    const now = this.now();
    const hit = this.cache.get(workspaceId);
    if (hit && hit.expires > now) return hit.settings;
    const settings = this.load(workspaceId);
    if (this.ttlMs > 0) {
      this.cache.set(workspaceId, { expires: now + this.ttlMs, settings });
      // A failed read is not cached: the next step reads again.
      settings.catch(() => {
        if (this.cache.get(workspaceId)?.settings === settings) this.cache.delete(workspaceId);
      });
    }
    return settings;
  }

  private async load(workspaceId: string): Promise<RunSettings> {
    const { egress: stored, status } = await workspaceRunSettings(this.store.workspaces, workspaceId);
    const entries = Array.isArray(stored) ? stored.filter((e): e is string => typeof e === 'string') : [];
    const problems = validateCidrs(entries);
    if (problems.length > 0) this.logger.warn({ workspace_id: workspaceId, problems }, 'ignoring invalid egress_allow_cidrs entries');
    const bad = new Set(problems.map((p) => p.entry));
    return { list: EgressAllowList.parse(entries.filter((e) => !bad.has(e))), status };
  }
}

/**
 * Drops a workspace from the cache when its `workspace_changed` config event arrives (core NATS:
 * every executor gets every event); on a disconnect every entry goes, since events may be missed.
 */
export function followWorkspaceChanges(
  nc: NatsConnection,
  subjects: Subjects,
  cache: Pick<WorkspaceEgressCache, 'drop' | 'clear'>,
  logger: Logger,
): { stop(): void } {
  const sub = nc.subscribe(subjects.configEvent(CONFIG_WORKSPACE), {
    callback: (err, msg) => {
      if (err) return cache.clear();
      try {
        const event = configChangedSchema.safeParse(msg.json());
        if (event.success) cache.drop(event.data.workspace_id);
        else cache.clear();
      } catch {
        logger.warn({ subject: msg.subject }, 'unreadable workspace config event; workspace cache dropped');
        cache.clear();
      }
    },
  });
  void (async () => {
    for await (const status of nc.status()) if (status.type === 'disconnect' || status.type === 'reconnect') cache.clear();
  })().catch(() => undefined);
  return { stop: () => sub.unsubscribe() };
}
