/**
 * NATS subjects and stream names: the messaging contract, defined once. A deployment (or a test)
 * picks a prefix; the default `flowgate` gives `flowgate.cmd.start.<workspace>` and streams
 * `FLOWGATE_COMMANDS` / `FLOWGATE_EVENTS`.
 */
export type CommandKind = 'start' | 'resume' | 'cancel' | 'timer';

export interface Subjects {
  prefix: string;
  commandsStream: string;
  eventsStream: string;
  /** Every command subject (the commands stream's filter). */
  commandsAll: string;
  command(kind: CommandKind, workspaceId: string): string;
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
    eventsStream: `${upper}_EVENTS`,
    commandsAll: `${prefix}.cmd.>`,
    command: (kind, workspaceId) => `${prefix}.cmd.${kind}.${token(workspaceId, 'workspace')}`,
    eventsAll: `${prefix}.evt.>`,
    executionEvent: (workspaceId, status) => `${prefix}.evt.execution.${token(workspaceId, 'workspace')}.${token(status, 'status')}`,
    executionEventsFilter: (status) => `${prefix}.evt.execution.*.${status === undefined ? '*' : token(status, 'status')}`,
    configEvent: (kind) => `${prefix}.evt.config.${token(kind, 'config kind')}`,
    configEventsFilter: `${prefix}.evt.config.*`,
    deliveryRequest: (workspaceId, kind) => `${prefix}.evt.delivery.${token(workspaceId, 'workspace')}.${token(kind, 'delivery request')}`,
    deliveryRequestsFilter: `${prefix}.evt.delivery.*.*`,
  };
}
