import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { corsSchema } from './cors';
import { debounceSchema } from './debounce';
import { definitionIssues, STEP_ID } from './definition-checks';
import { concurrencySchema, webhookRateLimitsSchema } from './flow-control';
import { httpMethodSchema } from './http-methods';
import { parametersSchema } from './parameters';
import { scheduleSchema } from './schedule';
import { issuesOf, type ValidationIssue } from './validation-issues';
import { webhookAuthSchema } from './webhook-auth';

/**
 * The workflow definition: one schema validates it and gives its type. Errors point at the field
 * (`steps[1].request.url`). Step types: http, transform, branch, respond, fail, and the parking
 * ones (delay, wait_for_webhook, approval) that end the executor's work until a timer or a public
 * URL resumes the execution.
 */

const stepId = z.string().regex(STEP_ID, 'must start with a letter and use only letters, digits, _ and - (max 64)');
const headerMap = z.record(z.string().min(1), z.string());
const absoluteUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

const stepBase = {
  id: stepId,
  name: z.string().max(200).optional(),
  /** Step to run after this one; defaults to the next step in the list. */
  next: stepId.optional(),
};

const retrySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(10).default(1),
    backoff_s: z.number().min(0).max(3600).default(1),
  })
  .strict();

const extractSchema = z.record(z.string().min(1), z.string().startsWith('$', 'must be a JSONPath starting with $'));

export const httpStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('http'),
    request: z
      .object({
        method: httpMethodSchema.default('GET'),
        url: z.string().min(1),
        headers: headerMap.optional(),
        query: z.record(z.string().min(1), z.string()).optional(),
        body: z.unknown().optional(),
        /** How the body is sent: JSON (default for objects), form-urlencoded, or text (default for strings). */
        body_format: z.enum(['json', 'form', 'text']).optional(),
      })
      .strict(),
    timeout_s: z.number().positive().max(300).default(30),
    retry: retrySchema.optional(),
    /** JSONPaths into the execution context (`context.*`, this run only). */
    extract: extractSchema.optional(),
    /** JSONPaths into the workflow's persisted context: later runs read them as `context.*`. */
    extract_to_context: extractSchema.optional(),
  })
  .strict();

export const transformStepSchema = z
  .object({ ...stepBase, type: z.literal('transform'), expression: z.string().min(1).max(20_000) })
  .strict();

export const branchStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('branch'),
    when: z.string().min(1).max(5_000),
    then: stepId,
    else: stepId.optional(),
  })
  .strict();

/**
 * Sets the synchronous answer (the first `respond` a run reaches sets it; later ones do not change
 * it). Without `next` it ends the run, succeeded; with `next` the run goes on there.
 */
export const respondStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('respond'),
    status: z.number().int().min(100).max(599).default(200),
    headers: headerMap.optional(),
    body: z.unknown().optional(),
  })
  .strict();

const MAX_WAIT_S = 30 * 86_400;
/** How long a parked step waits before it expires: then it fails, or goes on at `on_timeout`. */
const waitFields = {
  expires_in_s: z.number().int().min(1).max(MAX_WAIT_S),
  on_timeout: stepId.optional(),
};

export const delayStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('delay'),
    /** Seconds to wait. */
    duration_s: z.number().min(0).max(MAX_WAIT_S).optional(),
    /** Or a point in time (ISO 8601, templatable), e.g. "{{trigger.body.send_at}}". */
    until: z.string().min(1).max(500).optional(),
  })
  .strict()
  .refine((s) => (s.duration_s === undefined) !== (s.until === undefined), { message: 'set exactly one of duration_s and until' });

export const waitForWebhookStepSchema = z
  .object({ ...stepBase, type: z.literal('wait_for_webhook'), ...waitFields, expires_in_s: waitFields.expires_in_s.default(3_600) })
  .strict();

export const approvalStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('approval'),
    ...waitFields,
    expires_in_s: waitFields.expires_in_s.default(86_400),
    /** Shown to the reviewer (templatable). */
    message: z.string().max(2_000).optional(),
    /** Step to go on with when rejected; without it a rejection fails the execution. */
    on_reject: stepId.optional(),
  })
  .strict();

export const failStepSchema = z.object({ ...stepBase, type: z.literal('fail'), message: z.string().min(1).max(2_000) }).strict();

export const stepSchema = z.discriminatedUnion('type', [
  httpStepSchema,
  transformStepSchema,
  branchStepSchema,
  respondStepSchema,
  failStepSchema,
  delayStepSchema,
  waitForWebhookStepSchema,
  approvalStepSchema,
]);

export const responseModeSchema = z.enum(['minimal', 'last_step', 'step', 'all_steps']);

const webhookTriggerSchema = z
  .object({
    sync_timeout_s: z.number().positive().max(300).default(50),
    /** Who may call the webhook: one method or a list that must all pass (secrets are set through the API). */
    auth: webhookAuthSchema.optional(),
    /** Typed parameters read from the body or query: `trigger.params.*` in templates. */
    parameters: parametersSchema.optional(),
    /** Pass the whole body as this one parameter. */
    body_parameter: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)
      .optional(),
    /**
     * This webhook's own token bucket (the workspace's applies as well); with a `key`, one bucket per
     * key value; a list stacks up to four (flow-control.ts).
     */
    rate_limit: webhookRateLimitsSchema.optional(),
    /** HTTP methods the webhook accepts (others: 405); default POST. */
    methods: z.array(httpMethodSchema).min(1).default(['POST']),
    /** JSONPath into the body whose value de-duplicates webhooks when no Idempotency-Key header is sent. */
    idempotency_key_path: z.string().startsWith('$', 'must be a JSONPath starting with $').max(500).optional(),
    response: z
      .object({
        mode: responseModeSchema.default('last_step'),
        step: stepId.optional(),
        status: z.number().int().min(100).max(599).optional(),
        headers: headerMap.optional(),
        /** Status of the sync answer when the execution failed before any `respond` answered (body `{execution_id, status, message}`); default 200. */
        failure_status: z.union([z.literal(200), z.number().int().min(500).max(599)]).optional(),
      })
      .strict()
      .default({ mode: 'last_step' }),
    /** Browser callers: answers CORS preflights and marks responses readable by these origins. */
    cors: corsSchema.optional(),
    /** Debounce per key: the last event within the period runs; earlier ones answer 202 `debounced` (debounce.ts). */
    debounce: debounceSchema.optional(),
  })
  .strict();

/** A subscription to an event source; `filter` sees `trigger` (method, query, headers, body) like branch conditions. */
const sourceSubscriptionSchema = z
  .object({
    source_id: z.string().regex(/^src_[A-Za-z0-9]{8,64}$/, 'must be a source id (src_…)'),
    filter: z.string().min(1).max(5_000).optional(),
  })
  .strict();

export const definitionSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2_000).optional(),
    trigger: z
      .object({
        webhook: webhookTriggerSchema.default({ sync_timeout_s: 50, methods: ['POST'], response: { mode: 'last_step' } }),
        /** Optional cron schedule, beside the webhook. */
        schedule: scheduleSchema.optional(),
        /** Fan-out: started by `ANY /sources/{token}` of this event source when the optional JSONata `filter` holds. */
        source: sourceSubscriptionSchema.optional(),
      })
      .strict()
      .default({ webhook: { sync_timeout_s: 50, methods: ['POST'], response: { mode: 'last_step' } } }),
    max_concurrent_executions: z.number().int().min(0).default(1),
    /** Concurrency per key (JSONata over `{trigger}`), within max_concurrent_executions; a list stacks up to four (flow-control.ts). */
    concurrency: concurrencySchema.optional(),
    max_workflow_duration_seconds: z.number().int().min(1).max(7200).default(1800),
    on_success_url: absoluteUrl.optional(),
    on_failure_url: absoluteUrl.optional(),
    /** Told when an `approval` step starts waiting (with its review / approve / reject URLs). */
    on_approval_required_url: absoluteUrl.optional(),
    steps: z.array(stepSchema).min(1).max(100),
  })
  .strict();

export type WorkflowDefinition = z.infer<typeof definitionSchema>;
export type Step = z.infer<typeof stepSchema>;
export type StepType = Step['type'];
export type HttpStep = z.infer<typeof httpStepSchema>;
export type ParkingStepType = 'delay' | 'wait_for_webhook' | 'approval';
export type ResponseMode = z.infer<typeof responseModeSchema>;

/**
 * A definition's issue: field path such as `steps[1].request.url` (empty for the document itself),
 * message, and code: zod's for the schema, `invalid_expression` / `invalid_url` / `invalid_template`
 * / `unknown_step` / `duplicate_step_id` for the checks of definition-checks.ts, `invalid_syntax`
 * for text that is not JSON / YAML.
 */
export type DefinitionIssue = ValidationIssue;

export type DefinitionResult = { ok: true; definition: WorkflowDefinition } | { ok: false; issues: DefinitionIssue[] };

/**
 * Validates an already-parsed definition object, all in one pass: the schema's issues and the
 * checks it cannot make (definition-checks.ts: JSONata compiles, URL templates, template paths,
 * step references), each with its path. For definitions being created or changed; compiles every
 * expression, so not for the hot path (see `parseStoredDefinition`).
 */
export function validateDefinition(input: unknown): DefinitionResult {
  const result = definitionSchema.safeParse(input);
  const issues = [...(result.success ? [] : issuesOf(result.error)), ...definitionIssues(input)];
  if (result.success && issues.length === 0) return { ok: true, definition: result.data };
  return { ok: false, issues };
}

/**
 * Reads a definition that passed `validateDefinition` when it was stored (a published version, a
 * draft): the schema only (defaults applied), no expression compiled — loading a version must stay
 * cheap and must not reject what was once accepted. Its expressions compile once, on first use
 * (expression.ts's cache).
 */
export function parseStoredDefinition(input: unknown): DefinitionResult {
  const result = definitionSchema.safeParse(input);
  return result.success ? { ok: true, definition: result.data } : { ok: false, issues: issuesOf(result.error) };
}

/** Parses a definition from JSON or YAML text, then validates it. */
export function parseDefinitionText(text: string, format: 'json' | 'yaml'): DefinitionResult {
  let parsed: unknown;
  try {
    parsed = format === 'json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    return {
      ok: false,
      issues: [{ path: '', message: `not valid ${format.toUpperCase()}: ${(err as Error).message}`, code: 'invalid_syntax' }],
    };
  }
  return validateDefinition(parsed);
}

export function findStep(def: WorkflowDefinition, id: string): Step | undefined {
  return def.steps.find((s) => s.id === id);
}
