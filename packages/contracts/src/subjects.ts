/**
 * NATS subjects, stream and KV bucket names: the messaging contract, defined once. A deployment (or a test)
 * picks a prefix; the default `flowgate` gives `flowgate.cmd.start.<workspace>` and streams
 * `FLOWGATE_COMMANDS` / `FLOWGATE_EVENTS`.
 */
export type CommandKind = 'start' | 'resume' | 'cancel' | 'timer' | 'debounce';

export interface Subjects {
  prefix: string;
  commandsStream: string;
  /** NATS KV bucket of live executions (one key per execution that has not ended). */
  liveExecutionsBucket: string;
  /** NATS KV bucket of max_concurrent_executions queues (one key per workflow). */
  slotsBucket: string;
  /** NATS KV bucket of idempotency claims and "accepted" marks (ingress). */
  idempotencyBucket: string;
  /** NATS KV bucket of the ingress replicas' heartbeats (each replica's share of a rate limit). */
  ingressReplicasBucket: string;
  /** NATS KV bucket of the workspace quota counters (executions per day / month). */
  quotasBucket: string;
  /** NATS KV bucket of the rate-limit token buckets (one key per workspace or trigger). */
  rateLimitsBucket: string;
  /** NATS KV bucket of leases (the scheduler's single active firer). */
  leasesBucket: string;
  /** NATS KV bucket of debounce windows (ADR 0022: one key per workspace, workflow and key token). */
  debounceBucket: string;
  eventsStream: string;
  /** Every command subject (the commands stream's filter; the executor's consumer receives exactly these). */
  commandsAll: string;
  command(kind: CommandKind, workspaceId: string): string;
  /**
   * Every message-schedule subject: the commands stream's second subject space (ADR 0013). It holds
   * JetStream message schedules, one per subject, that the server publishes to a command subject
   * when due; no consumer filters these subjects, so a schedule is never delivered as a command.
   */
  schedulesAll: string;
  /**
   * The schedule subject of one timer: `<prefix>.sched.timer.<workspace>.<timer id, ':' → '.'>`,
   * e.g. `flowgate.sched.timer.ws1.<execution>.duration` for the timer `<execution>:duration`.
   */
  timerSchedule(workspaceId: string, timerId: string): string;
  /** Every timer schedule of one execution (timer ids that start with `<execution id>:`), for a purge. */
  executionTimerSchedules(workspaceId: string, executionId: string): string;
  /** Every timer schedule of one workspace. */
  workspaceTimerSchedules(workspaceId: string): string;
  /**
   * The schedule subject of one debounce window (ADR 0022):
   * `<prefix>.sched.debounce.<workspace>.<workflow>.<key token>`; each event of the window sets it
   * again (replacing it), its target is `command('debounce', workspace)`.
   */
  debounceSchedule(workspaceId: string, workflowId: string, keyToken: string): string;
  /** Every event subject (the events stream's filter). */
  eventsAll: string;
  executionEvent(workspaceId: string, status: string): string;
  /** Execution events of every workspace, optionally only some statuses. */
  executionEventsFilter(status?: string): string;
  configEvent(kind: string): string;
  /** Every config event (each ingress replica follows them: ADR 0012). */
  configEventsFilter: string;
  /** Requests to the callback service about one delivery (e.g. `redeliver`), in the events stream. */
  deliveryRequest(workspaceId: string, kind: string): string;
  /** Delivery requests of every workspace. */
  deliveryRequestsFilter: string;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

function token(value: string, what: string): string {
  if (!TOKEN.test(value)) throw new Error(`invalid NATS subject token for ${what}: "${value}"`);
  return value;
}

export function createSubjects(prefix = 'flowgate'): Subjects {
  token(prefix, 'prefix');
  const upper = prefix.toUpperCase().replace(/-/g, '_');
  return {
    prefix,
    commandsStream: `${upper}_COMMANDS`,
    liveExecutionsBucket: `${upper}_EXECUTIONS`,
    slotsBucket: `${upper}_SLOTS`,
    idempotencyBucket: `${upper}_IDEMPOTENCY`,
    ingressReplicasBucket: `${upper}_INGRESS_REPLICAS`,
    quotasBucket: `${upper}_QUOTAS`,
    rateLimitsBucket: `${upper}_RATELIMITS`,
    leasesBucket: `${upper}_LEASES`,
    debounceBucket: `${upper}_DEBOUNCE`,
    eventsStream: `${upper}_EVENTS`,
    commandsAll: `${prefix}.cmd.>`,
    command: (kind, workspaceId) => `${prefix}.cmd.${kind}.${token(workspaceId, 'workspace')}`,
    schedulesAll: `${prefix}.sched.>`,
    timerSchedule: (workspaceId, timerId) =>
      `${prefix}.sched.timer.${token(workspaceId, 'workspace')}.${timerId
        .split(':')
        .map((part) => token(part, 'timer id'))
        .join('.')}`,
    executionTimerSchedules: (workspaceId, executionId) =>
      `${prefix}.sched.timer.${token(workspaceId, 'workspace')}.${token(executionId, 'execution')}.>`,
    workspaceTimerSchedules: (workspaceId) => `${prefix}.sched.timer.${token(workspaceId, 'workspace')}.>`,
    debounceSchedule: (workspaceId, workflowId, keyToken) =>
      `${prefix}.sched.debounce.${token(workspaceId, 'workspace')}.${token(workflowId, 'workflow')}.${token(keyToken, 'debounce key')}`,
    eventsAll: `${prefix}.evt.>`,
    executionEvent: (workspaceId, status) => `${prefix}.evt.execution.${token(workspaceId, 'workspace')}.${token(status, 'status')}`,
    executionEventsFilter: (status) => `${prefix}.evt.execution.*.${status === undefined ? '*' : token(status, 'status')}`,
    configEvent: (kind) => `${prefix}.evt.config.${token(kind, 'config kind')}`,
    configEventsFilter: `${prefix}.evt.config.*`,
    deliveryRequest: (workspaceId, kind) => `${prefix}.evt.delivery.${token(workspaceId, 'workspace')}.${token(kind, 'delivery request')}`,
    deliveryRequestsFilter: `${prefix}.evt.delivery.*.*`,
  };
}

/**
 * The workspace a command, event or delivery-request subject names (`<prefix>.cmd.<kind>.<workspace>`,
 * `<prefix>.evt.execution.<workspace>.<status>`, `<prefix>.evt.delivery.<workspace>.<kind>`: the
 * fourth token, whatever the prefix); null for any other subject or a token that is no workspace id.
 */
export function workspaceOfSubject(subject: string): string | null {
  const parts = subject.split('.');
  const [, space, kind, workspace] = parts;
  if (workspace === undefined || !TOKEN.test(workspace)) return null;
  if (space === 'cmd' && parts.length === 4) return workspace;
  if (space === 'evt' && (kind === 'execution' || kind === 'delivery') && parts.length === 5) return workspace;
  return null;
}

/**
 * What kind of message a subject carries: a command's kind (`start`, `resume`, `timer`, …), a
 * delivery request's (`redeliver`), `execution_event`; null for any other subject.
 */
export function messageKindOfSubject(subject: string): string | null {
  const [, space, kind, , last] = subject.split('.');
  if (space === 'cmd' && kind) return kind;
  if (space === 'evt' && kind === 'execution') return 'execution_event';
  if (space === 'evt' && kind === 'delivery' && last) return last;
  return null;
}
