import { createEgressAgent, EgressAllowList, type Logger } from '@flowgate/kit';
import type { Dispatcher } from 'undici';
import type { WorkspaceEgressCache } from './workspace-egress';

/**
 * Which destinations a workspace's http steps may reach: public unicast addresses always, plus the
 * union of FLOWGATE_EGRESS_ALLOW_CIDRS and the workspace's own allow-list. One guarded undici Agent
 * per distinct allow-list (workspaces with the same list share its connection pools); the least
 * recently used agent beyond `maxAgents` is closed gracefully (in-flight requests finish).
 */
export class EgressPolicy {
  private readonly agents = new Map<string, Dispatcher>();
  /** The union with the env list, per workspace list (the cache hands out one instance per TTL): parsed once, not per step. */
  private readonly unions = new WeakMap<EgressAllowList, EgressAllowList>();

  constructor(
    private readonly deps: {
      envAllow: EgressAllowList;
      workspaces: WorkspaceEgressCache;
      logger: Logger;
      maxAgents?: number;
    },
  ) {}

  /** The effective allow-list of a workspace. */
  async allowListFor(workspaceId: string): Promise<EgressAllowList> {
    const own = await this.deps.workspaces.allowListOf(workspaceId);
    let union = this.unions.get(own);
    if (!union) {
      union = EgressAllowList.union(this.deps.envAllow, own);
      this.unions.set(own, union);
    }
    return union;
  }

  /** The guarded dispatcher for a workspace's http steps. */
  async dispatcherFor(workspaceId: string): Promise<Dispatcher> {
    const allow = await this.allowListFor(workspaceId);
    const key = allow.key;
    let agent = this.agents.get(key);
    if (agent) {
      this.agents.delete(key); // re-insert: Map order is recency
    } else {
      agent = createEgressAgent({ allow });
      this.deps.logger.debug({ allow_cidrs: allow.entries }, 'egress agent created');
    }
    this.agents.set(key, agent);
    const max = this.deps.maxAgents ?? 64;
    for (const [oldKey, old] of this.agents) {
      if (this.agents.size <= max) break;
      this.agents.delete(oldKey);
      old.close().catch((err: unknown) => this.deps.logger.warn({ err }, 'closing an egress agent failed'));
    }
    return agent;
  }

  /** Closes every agent (after in-flight requests). */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.allSettled(agents.map((a) => a.close()));
  }
}
