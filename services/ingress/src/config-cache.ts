import { randomUUID } from 'node:crypto';
import {
  CONFIG_JOBS,
  CONFIG_SHARE,
  CONFIG_SOURCE,
  CONFIG_WORKFLOW,
  CONFIG_WORKSPACE,
  configChangedSchema,
  type ConfigChanged,
  type Subjects,
} from '@flowgate/contracts';
import type { JetStreamClient, Logger, NatsConnection } from '@flowgate/kit';
import {
  disabledProductionWorkflows,
  findProductionTrigger,
  findShare,
  findSourceByToken,
  findTrigger,
  findWorkflow,
  sourceSubscribers,
  type Collections,
  type ShareDoc,
  type SourceDoc,
  findWorkspace,
  type TriggerDoc,
  type WorkflowDoc,
  type WorkspaceDoc,
} from '@flowgate/store';

/**
 * Webhook configuration served from memory (ADR 0012): every ingress replica keeps the triggers it
 * was asked for (by token hash, also "not found"), the workflows behind them and each workflow's
 * production trigger (it holds every environment's secrets). Published versions and draft
 * snapshots are immutable and cached by RunTargets.
 *
 * Kept current through NATS: every write of a workflow or a trigger calls `ConfigChanges.changed`,
 * which drops this replica's entries at once and publishes `<prefix>.evt.config.workflow`; every
 * replica drops the same entries when the event arrives (well under a second) and reloads them on
 * next use. A lost event cannot leave a replica stale for long: on a NATS disconnect or reconnect
 * (events may have been missed) the whole cache is dropped, and no entry is served older than
 * `maxAgeMs` (FLOWGATE_CONFIG_CACHE_MAX_AGE_MS).
 */
export interface ConfigCacheOptions {
  maxAgeMs: number;
  maxEntries: number;
}

interface Entry<T> {
  value: Promise<T>;
  loadedAt: number;
}

/** A bounded map of promises with a max age; the oldest entries go first when it is full. */
class AgedMap<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly opts: ConfigCacheOptions,
    private readonly now: () => number,
  ) {}

  /** The cached value, else `load()` (one load per key at a time; a failed load is not kept). */
  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.loadedAt < this.opts.maxAgeMs) return hit.value;
    if (hit) this.entries.delete(key);
    if (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const entry: Entry<T> = { value: load(), loadedAt: this.now() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  delete(key: string): void {
    // A load in flight when the change arrived resolves for the requests already waiting on it
    // (they raced the write) but is no longer cached: the next request reads the new state.
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Where a miss reads from: MongoDB (`storeConfigSource`), or a fake in unit tests. */
export interface ConfigSource {
  trigger(id: string): Promise<TriggerDoc | null>;
  workflow(id: string): Promise<WorkflowDoc | null>;
  /** The workflow's production trigger (any workspace check is the cache's). */
  productionTrigger(workflow: WorkflowDoc): Promise<TriggerDoc | null>;
  /** An event source by the hash of its URL token. */
  source(tokenHash: string): Promise<SourceDoc | null>;
  /** A source's fan-out candidates: published workflows naming it, and which of them have their production webhook disabled. */
  subscribers(workspaceId: string, sourceId: string): Promise<Subscribers>;
  /** A workspace by id (its status and webhook settings). */
  workspace(id: string): Promise<WorkspaceDoc | null>;
  /** A share of a workflow with another workspace (ADR 0017), by its id. */
  share(id: string): Promise<ShareDoc | null>;
}

export interface Subscribers {
  /** Oldest first. */
  workflows: WorkflowDoc[];
  disabled: ReadonlySet<string>;
}

/** Subscribers started by one fan-out request, at most. */
export const MAX_SUBSCRIBERS = 1_000;

/**
 * MongoDB reads by `_id` alone (no scan on any server); the production trigger of a workflow made
 * before ADR 0012 (no `production_trigger_id`) by filter, a scan on FerretDB once per max age.
 */
export function storeConfigSource(store: Collections): ConfigSource {
  return {
    trigger: (id) => findTrigger(store.triggers, id),
    workflow: (id) => findWorkflow(store.workflows, id),
    productionTrigger: (workflow) => findProductionTrigger(store.triggers, workflow),
    source: (tokenHash) => findSourceByToken(store.sources, tokenHash),
    subscribers: async (workspaceId, sourceId) => {
      const workflows = await sourceSubscribers(store.workflows, workspaceId, sourceId, MAX_SUBSCRIBERS);
      // Fan-out runs the latest published version: the production webhook's switch decides.
      const disabled = await disabledProductionWorkflows(
        store.triggers,
        workspaceId,
        workflows.map((w) => w._id),
      );
      return { workflows, disabled };
    },
    workspace: (id) => findWorkspace(store.workspaces, id),
    share: (id) => findShare(store.shares, id),
  };
}

export class ConfigCache {
  private readonly triggers: AgedMap<TriggerDoc | null>;
  private readonly workflows: AgedMap<WorkflowDoc | null>;
  private readonly productionTriggers: AgedMap<TriggerDoc | null>;
  private readonly sources: AgedMap<SourceDoc | null>;
  private readonly workspaces: AgedMap<WorkspaceDoc | null>;
  private readonly shares: AgedMap<ShareDoc | null>;
  /** Keyed `<workspace>:<source>`. */
  private readonly subscriberLists: AgedMap<Subscribers>;
  /** Token hashes cached per workflow, to drop them all when the workflow changes. */
  private readonly triggersOf = new Map<string, Set<string>>();
  /** Subscriber list keys per workspace: any workflow change of the workspace drops them. */
  private readonly listsOf = new Map<string, Set<string>>();

  constructor(
    private readonly reads: ConfigSource,
    opts: ConfigCacheOptions,
    now: () => number = Date.now,
  ) {
    this.triggers = new AgedMap(opts, now);
    this.workflows = new AgedMap(opts, now);
    this.productionTriggers = new AgedMap(opts, now);
    this.sources = new AgedMap(opts, now);
    this.workspaces = new AgedMap(opts, now);
    this.shares = new AgedMap(opts, now);
    this.subscriberLists = new AgedMap(opts, now);
  }

  /** An event source by the hash of its URL token, or null. */
  source(tokenHash: string): Promise<SourceDoc | null> {
    return this.sources.get(tokenHash, () => this.reads.source(tokenHash));
  }

  /** A workspace (status, anti-enumeration), or null. */
  workspace(id: string): Promise<WorkspaceDoc | null> {
    return this.workspaces.get(id, () => this.reads.workspace(id));
  }

  /** Drops a workspace's state (suspended, reactivated, deleted, settings changed). */
  dropWorkspace(id: string): void {
    this.workspaces.delete(id);
  }

  /** A share (the receiver's webhook of a shared workflow names it), or null. */
  share(id: string): Promise<ShareDoc | null> {
    return this.shares.get(id, () => this.reads.share(id));
  }

  /** Drops a share and the receiver's trigger (created: it may be held as "not found"; revoked: its URL answers 404 from now on). */
  dropShare(id: string, triggerIds: readonly string[] = []): void {
    this.shares.delete(id);
    for (const t of triggerIds) this.triggers.delete(t);
  }

  /** The fan-out candidates of a source. */
  subscribers(workspaceId: string, sourceId: string): Promise<Subscribers> {
    const key = `${workspaceId}:${sourceId}`;
    return this.subscriberLists.get(key, () => {
      indexed(this.listsOf, workspaceId, key);
      return this.reads.subscribers(workspaceId, sourceId);
    });
  }

  /** Drops a source (created: it may be held as "not found"; deleted: its URL answers 404 from now on; auth or secrets changed). */
  dropSource(workspaceId: string, sourceId: string, tokenHash: string): void {
    this.sources.delete(tokenHash);
    this.subscriberLists.delete(`${workspaceId}:${sourceId}`);
  }

  /** The trigger of a webhook token (by its hash, the trigger's `_id`), or null. */
  trigger(tokenHash: string): Promise<TriggerDoc | null> {
    return this.triggers.get(tokenHash, async () => {
      const doc = await this.reads.trigger(tokenHash);
      if (doc) this.remember(doc.workflow_id, doc._id);
      return doc;
    });
  }

  /** A workflow by `_id`; the caller checks the workspace. */
  workflow(id: string): Promise<WorkflowDoc | null> {
    return this.workflows.get(id, () => this.reads.workflow(id));
  }

  /** The workflow's production trigger (it holds the secrets of every environment's webhook), or null. */
  productionTrigger(workflow: WorkflowDoc): Promise<TriggerDoc | null> {
    return this.productionTriggers.get(workflow._id, async () => {
      const doc = await this.reads.productionTrigger(workflow);
      const own = doc?.workspace_id === workflow.workspace_id && doc.workflow_id === workflow._id ? doc : null;
      if (own) this.remember(workflow._id, own._id);
      return own;
    });
  }

  /** Drops what is cached of a workflow, its triggers, the given token hashes and the workspace's subscriber lists. */
  drop(workflowId: string, triggerIds: readonly string[] = [], workspaceId?: string): void {
    if (workspaceId !== undefined) {
      for (const key of this.listsOf.get(workspaceId) ?? []) this.subscriberLists.delete(key);
      this.listsOf.delete(workspaceId);
    }
    this.workflows.delete(workflowId);
    this.productionTriggers.delete(workflowId);
    for (const id of this.triggersOf.get(workflowId) ?? []) this.triggers.delete(id);
    this.triggersOf.delete(workflowId);
    for (const id of triggerIds) this.triggers.delete(id);
  }

  clear(): void {
    this.triggers.clear();
    this.workflows.clear();
    this.productionTriggers.clear();
    this.sources.clear();
    this.workspaces.clear();
    this.shares.clear();
    this.subscriberLists.clear();
    this.triggersOf.clear();
    this.listsOf.clear();
  }

  get size(): number {
    return (
      this.triggers.size +
      this.workflows.size +
      this.productionTriggers.size +
      this.sources.size +
      this.workspaces.size +
      this.shares.size +
      this.subscriberLists.size
    );
  }

  private remember(workflowId: string, triggerId: string): void {
    indexed(this.triggersOf, workflowId, triggerId);
  }
}

/** Adds `value` to the set under `key`; past 100,000 keys the index starts over (a stale id only costs a no-op delete). */
function indexed(index: Map<string, Set<string>>, key: string, value: string): void {
  let values = index.get(key);
  if (!values) {
    if (index.size >= 100_000) index.clear();
    values = new Set();
    index.set(key, values);
  }
  values.add(value);
}

/**
 * Announces configuration writes: drops this replica's cache synchronously (so its next request
 * sees the write), then publishes the event through JetStream (acknowledged; it also lands in the
 * events stream) for the other replicas. A publish that fails is logged: the write stands, and the
 * other replicas pick it up within the cache's max age.
 */
export class ConfigChanges {
  readonly origin = randomUUID();

  constructor(
    private readonly deps: { js: JetStreamClient; subjects: Subjects; logger: Logger; cache: ConfigCache; publishTimeoutMs: number },
  ) {}

  /** A workflow's document, versions or triggers were written. */
  async changed(workflow: { _id: string; workspace_id: string }, triggerIds: readonly string[] = []): Promise<void> {
    this.deps.cache.drop(workflow._id, triggerIds, workflow.workspace_id);
    await this.publish(CONFIG_WORKFLOW, {
      type: 'workflow_changed',
      workspace_id: workflow.workspace_id,
      workflow_id: workflow._id,
      trigger_ids: [...triggerIds],
      origin: this.origin,
      changed_at: new Date().toISOString(),
    });
  }

  /** An event source was created or deleted, or its auth or secrets changed (replicas hold it by its token hash). */
  async sourceChanged(source: { _id: string; workspace_id: string; token_hash: string }): Promise<void> {
    this.deps.cache.dropSource(source.workspace_id, source._id, source.token_hash);
    await this.publish(CONFIG_SOURCE, {
      type: 'source_changed',
      workspace_id: source.workspace_id,
      source_id: source._id,
      token_hash: source.token_hash,
      origin: this.origin,
      changed_at: new Date().toISOString(),
    });
  }

  /** A workspace's status or settings changed. */
  async workspaceChanged(workspaceId: string): Promise<void> {
    this.deps.cache.dropWorkspace(workspaceId);
    await this.publish(CONFIG_WORKSPACE, {
      type: 'workspace_changed',
      workspace_id: workspaceId,
      origin: this.origin,
      changed_at: new Date().toISOString(),
    });
  }

  /** A share was created or revoked: replicas drop it and the receiver's trigger. */
  async shareChanged(share: Pick<ShareDoc, '_id' | 'workspace_id' | 'trigger_id'>): Promise<void> {
    this.deps.cache.dropShare(share._id, [share.trigger_id]);
    await this.publish(CONFIG_SHARE, {
      type: 'share_changed',
      workspace_id: share.workspace_id,
      share_id: share._id,
      trigger_ids: [share.trigger_id],
      origin: this.origin,
      changed_at: new Date().toISOString(),
    });
  }

  /** Background work was requested (a bulk job): the replica holding its lease starts a pass. */
  async jobsChanged(workspaceId: string): Promise<void> {
    await this.publish(CONFIG_JOBS, {
      type: 'jobs_changed',
      workspace_id: workspaceId,
      origin: this.origin,
      changed_at: new Date().toISOString(),
    });
  }

  private async publish(kind: string, event: ConfigChanged): Promise<void> {
    try {
      await this.deps.js.publish(this.deps.subjects.configEvent(kind), JSON.stringify(event), { timeout: this.deps.publishTimeoutMs });
    } catch (err) {
      this.deps.logger.warn(
        { err, event: event.type },
        'config change event not published; other replicas catch up within the cache max age',
      );
    }
  }
}

/**
 * Keeps a replica's cache current: a core NATS subscription to the config events (every replica
 * gets every event; the events stream keeps them too), and a full drop whenever the connection was
 * interrupted, since events published meanwhile never arrive.
 */
/** What a replica does beside dropping cache entries when another replica announces work (filled in once the workers exist). */
export interface ConfigHooks {
  /** A workspace changed (a deletion may have been requested). */
  workspaceChanged?: (workspaceId: string) => void;
  /** Background work (a bulk job) was requested. */
  jobsChanged?: () => void;
}

export function followConfigChanges(
  nc: NatsConnection,
  subjects: Subjects,
  cache: ConfigCache,
  logger: Logger,
  hooks: ConfigHooks = {},
): { stop(): void } {
  const sub = nc.subscribe(subjects.configEventsFilter, {
    callback: (err, msg) => {
      if (err) {
        logger.warn({ err }, 'config events subscription failed; cache dropped');
        cache.clear();
        return;
      }
      let parsed: ReturnType<typeof configChangedSchema.safeParse>;
      try {
        parsed = configChangedSchema.safeParse(msg.json());
      } catch {
        parsed = configChangedSchema.safeParse(null);
      }
      if (!parsed.success) {
        logger.warn({ subject: msg.subject }, 'unreadable config event; cache dropped');
        cache.clear();
        return;
      }
      const event = parsed.data;
      if (event.type === 'workflow_changed') cache.drop(event.workflow_id, event.trigger_ids, event.workspace_id);
      else if (event.type === 'source_changed') cache.dropSource(event.workspace_id, event.source_id, event.token_hash);
      else if (event.type === 'share_changed') cache.dropShare(event.share_id, event.trigger_ids);
      else if (event.type === 'jobs_changed') hooks.jobsChanged?.();
      else {
        cache.dropWorkspace(event.workspace_id);
        hooks.workspaceChanged?.(event.workspace_id);
      }
    },
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        cache.clear();
        logger.info({ nats: status.type }, 'config cache dropped (config events may have been missed)');
      }
    }
  })().catch(() => undefined);
  return { stop: () => sub.unsubscribe() };
}
