import {
  findStep,
  parseDefinitionText,
  validateDefinition,
  type DefinitionIssue,
  type DefinitionResult,
  type WorkflowDefinition,
} from '../src/definition';
import { formatPath } from '../src/validation-issues';

type Json = Record<string, unknown>;

/** A minimal valid definition; tests override parts of it. */
function base(overrides: Json = {}): Json {
  return { name: 'order-created', steps: [{ id: 'shape', type: 'transform', expression: '1' }], ...overrides };
}

function ok(result: DefinitionResult): WorkflowDefinition {
  if (!result.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(result.issues)}`);
  return result.definition;
}

function issues(result: DefinitionResult): DefinitionIssue[] {
  if (result.ok) throw new Error('expected the definition to be rejected');
  return result.issues;
}

function issuePaths(input: unknown): string[] {
  return issues(validateDefinition(input)).map((i) => i.path);
}

describe('validateDefinition: valid definitions and defaults', () => {
  it('applies every documented default to a minimal definition', () => {
    const def = ok(validateDefinition(base()));
    expect(def.max_concurrent_executions).toBe(1);
    expect(def.max_workflow_duration_seconds).toBe(1800);
    expect(def.trigger.webhook.sync_timeout_s).toBe(50);
    expect(def.trigger.webhook.response.mode).toBe('last_step');
    expect(def.on_success_url).toBeUndefined();
    expect(def.steps).toEqual([{ id: 'shape', type: 'transform', expression: '1' }]);
  });

  it('fills webhook defaults when trigger or webhook are given empty', () => {
    for (const trigger of [{}, { webhook: {} }, { webhook: { response: {} } }]) {
      const def = ok(validateDefinition(base({ trigger })));
      expect(def.trigger.webhook).toEqual({ sync_timeout_s: 50, methods: ['POST'], response: { mode: 'last_step' } });
    }
  });

  it('fills step defaults: http method GET, timeout 30 s, retry 1 attempt / 1 s; respond status 200', () => {
    const def = ok(
      validateDefinition(
        base({
          steps: [
            { id: 'call', type: 'http', request: { url: 'https://x.test/' }, retry: {} },
            { id: 'done', type: 'respond' },
          ],
        }),
      ),
    );
    const call = findStep(def, 'call');
    const done = findStep(def, 'done');
    if (call?.type !== 'http' || done?.type !== 'respond') throw new Error('unexpected step types');
    expect(call.request.method).toBe('GET');
    expect(call.timeout_s).toBe(30);
    expect(call.retry).toEqual({ max_attempts: 1, backoff_s: 1 });
    expect(done.status).toBe(200);
  });

  it('keeps explicit values instead of defaults', () => {
    const def = ok(
      validateDefinition(
        base({
          max_concurrent_executions: 0,
          max_workflow_duration_seconds: 7200,
          trigger: {
            webhook: { sync_timeout_s: 5, response: { mode: 'step', step: 'shape', status: 201, headers: { 'X-Source': 'fg' } } },
          },
          on_success_url: 'https://example.org/ok',
          on_failure_url: 'http://example.org/failed',
        }),
      ),
    );
    expect(def.max_concurrent_executions).toBe(0);
    expect(def.max_workflow_duration_seconds).toBe(7200);
    expect(def.trigger.webhook).toEqual({
      sync_timeout_s: 5,
      methods: ['POST'],
      response: { mode: 'step', step: 'shape', status: 201, headers: { 'X-Source': 'fg' } },
    });
    expect(def.on_success_url).toBe('https://example.org/ok');
    expect(def.on_failure_url).toBe('http://example.org/failed');
  });

  it('accepts every step type with valid next / then / else targets', () => {
    const def = ok(
      validateDefinition(
        base({
          steps: [
            { id: 'call', type: 'http', request: { method: 'POST', url: 'https://x.test/{{trigger.body.id}}', body: { a: 1 } } },
            { id: 'shape', type: 'transform', expression: '$', next: 'check' },
            { id: 'check', type: 'branch', when: 'true', then: 'done', else: 'reject' },
            { id: 'reject', type: 'fail', message: 'no' },
            { id: 'done', type: 'respond', status: 201, body: { ok: true } },
          ],
        }),
      ),
    );
    expect(def.steps.map((s) => s.type)).toEqual(['http', 'transform', 'branch', 'fail', 'respond']);
  });
});

describe('validateDefinition: each bad field is reported at its path', () => {
  it.each<[string, Json, string]>([
    ['empty name', base({ name: '' }), 'name'],
    ['name too long', base({ name: 'x'.repeat(201) }), 'name'],
    ['negative max_concurrent_executions', base({ max_concurrent_executions: -1 }), 'max_concurrent_executions'],
    ['fractional max_concurrent_executions', base({ max_concurrent_executions: 1.5 }), 'max_concurrent_executions'],
    ['duration above 7200', base({ max_workflow_duration_seconds: 7201 }), 'max_workflow_duration_seconds'],
    ['duration zero', base({ max_workflow_duration_seconds: 0 }), 'max_workflow_duration_seconds'],
    ['non-http callback URL', base({ on_success_url: 'ftp://example.org/x' }), 'on_success_url'],
    ['relative callback URL', base({ on_failure_url: '/failed' }), 'on_failure_url'],
    ['sync timeout above 300', base({ trigger: { webhook: { sync_timeout_s: 301 } } }), 'trigger.webhook.sync_timeout_s'],
    ['unknown response mode', base({ trigger: { webhook: { response: { mode: 'everything' } } } }), 'trigger.webhook.response.mode'],
    ['response status out of range', base({ trigger: { webhook: { response: { status: 99 } } } }), 'trigger.webhook.response.status'],
    ['no steps', base({ steps: [] }), 'steps'],
    ['steps not an array', base({ steps: {} }), 'steps'],
    ['step id starting with a digit', base({ steps: [{ id: '1st', type: 'transform', expression: '1' }] }), 'steps[0].id'],
    ['step id with a space', base({ steps: [{ id: 'a b', type: 'transform', expression: '1' }] }), 'steps[0].id'],
    ['step id longer than 64', base({ steps: [{ id: 'a'.repeat(65), type: 'transform', expression: '1' }] }), 'steps[0].id'],
    ['unknown step type', base({ steps: [{ id: 'a', type: 'teleport' }] }), 'steps[0].type'],
    ['empty transform expression', base({ steps: [{ id: 'a', type: 'transform', expression: '' }] }), 'steps[0].expression'],
    [
      'empty http url',
      base({
        steps: [
          { id: 'a', type: 'transform', expression: '1' },
          { id: 'b', type: 'http', request: { url: '' } },
        ],
      }),
      'steps[1].request.url',
    ],
    [
      'unknown http method',
      base({ steps: [{ id: 'a', type: 'http', request: { url: 'x', method: 'FETCH' } }] }),
      'steps[0].request.method',
    ],
    [
      'non-string header value',
      base({ steps: [{ id: 'a', type: 'http', request: { url: 'x', headers: { X: 5 } } }] }),
      'steps[0].request.headers.X',
    ],
    ['http timeout above 300', base({ steps: [{ id: 'a', type: 'http', request: { url: 'x' }, timeout_s: 301 }] }), 'steps[0].timeout_s'],
    [
      'retry max_attempts 0',
      base({ steps: [{ id: 'a', type: 'http', request: { url: 'x' }, retry: { max_attempts: 0 } }] }),
      'steps[0].retry.max_attempts',
    ],
    [
      'retry max_attempts 11',
      base({ steps: [{ id: 'a', type: 'http', request: { url: 'x' }, retry: { max_attempts: 11 } }] }),
      'steps[0].retry.max_attempts',
    ],
    [
      'negative backoff',
      base({ steps: [{ id: 'a', type: 'http', request: { url: 'x' }, retry: { backoff_s: -1 } }] }),
      'steps[0].retry.backoff_s',
    ],
    [
      'extract not a JSONPath',
      base({ steps: [{ id: 'a', type: 'http', request: { url: 'x' }, extract: { c: 'body.id' } }] }),
      'steps[0].extract.c',
    ],
    ['branch without then', base({ steps: [{ id: 'a', type: 'branch', when: 'true' }] }), 'steps[0].then'],
    ['branch with empty when', base({ steps: [{ id: 'a', type: 'branch', when: '', then: 'a' }] }), 'steps[0].when'],
    ['respond status 600', base({ steps: [{ id: 'a', type: 'respond', status: 600 }] }), 'steps[0].status'],
    ['fail without message', base({ steps: [{ id: 'a', type: 'fail' }] }), 'steps[0].message'],
  ])('%s', (_label, input, path) => {
    const found = issues(validateDefinition(input));
    expect(found.map((i) => i.path)).toContain(path);
    for (const issue of found) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('reports each unknown key (strict objects) as an issue of its own, at its path', () => {
    const top = issues(validateDefinition(base({ bogus: 1, other: 2 })));
    expect(top).toEqual([
      { path: 'bogus', message: 'unknown field', code: 'unrecognized_keys' },
      { path: 'other', message: 'unknown field', code: 'unrecognized_keys' },
    ]);
    const inStep = issues(validateDefinition(base({ steps: [{ id: 'a', type: 'transform', expression: '1', retry: {} }] })));
    expect(inStep).toEqual([{ path: 'steps[0].retry', message: 'unknown field', code: 'unrecognized_keys' }]);
  });

  it('lists every bad field at once, not just the first', () => {
    const paths = issuePaths(
      base({
        name: '',
        max_workflow_duration_seconds: 9999,
        steps: [
          { id: 'a', type: 'http', request: { url: '' } },
          { id: 'b', type: 'respond', status: 42 },
        ],
      }),
    );
    expect(paths.sort()).toEqual(['max_workflow_duration_seconds', 'name', 'steps[0].request.url', 'steps[1].status']);
  });

  it('rejects input that is not an object', () => {
    for (const input of [null, 'name: x', 42, []]) {
      const found = issues(validateDefinition(input));
      expect(found).toHaveLength(1);
      expect(found[0]?.path).toBe('');
    }
  });
});

describe('validateDefinition: cross-step references', () => {
  it('reports a duplicate step id at the second occurrence', () => {
    const found = issues(
      validateDefinition(
        base({
          steps: [
            { id: 'a', type: 'transform', expression: '1' },
            { id: 'b', type: 'transform', expression: '2' },
            { id: 'a', type: 'transform', expression: '3' },
          ],
        }),
      ),
    );
    expect(found).toEqual([{ path: 'steps[2].id', message: 'duplicate step id "a"', code: 'duplicate_step_id' }]);
  });

  it('reports a duplicate id together with unrelated field errors', () => {
    const paths = issuePaths(
      base({
        steps: [
          { id: 'a', type: 'transform', expression: '1' },
          { id: 'a', type: 'http', request: { url: '' } },
        ],
      }),
    );
    expect(paths.sort()).toEqual(['steps[1].id', 'steps[1].request.url']);
  });

  it('reports an unknown next target', () => {
    const found = issues(validateDefinition(base({ steps: [{ id: 'a', type: 'transform', expression: '1', next: 'nowhere' }] })));
    expect(found).toEqual([{ path: 'steps[0].next', message: 'unknown step id "nowhere"', code: 'unknown_step' }]);
  });

  it('reports unknown then and else targets of a branch', () => {
    const found = issues(
      validateDefinition(
        base({
          steps: [
            { id: 'a', type: 'transform', expression: '1' },
            { id: 'check', type: 'branch', when: 'true', then: 'yes', else: 'no' },
          ],
        }),
      ),
    );
    expect(found).toEqual([
      { path: 'steps[1].then', message: 'unknown step id "yes"', code: 'unknown_step' },
      { path: 'steps[1].else', message: 'unknown step id "no"', code: 'unknown_step' },
    ]);
  });

  it('accepts a branch without else and a next that points backwards (loops are allowed)', () => {
    const def = ok(
      validateDefinition(
        base({
          steps: [
            { id: 'a', type: 'transform', expression: '1' },
            { id: 'check', type: 'branch', when: 'true', then: 'a', next: 'a' },
          ],
        }),
      ),
    );
    expect(def.steps[1]).toEqual({ id: 'check', type: 'branch', when: 'true', then: 'a', next: 'a' });
  });

  it('requires response.step when mode is "step"', () => {
    const found = issues(validateDefinition(base({ trigger: { webhook: { response: { mode: 'step' } } } })));
    expect(found).toEqual([{ path: 'trigger.webhook.response.step', message: 'required when mode is "step"', code: 'custom' }]);
  });

  it('reports an unknown response step', () => {
    const found = issues(validateDefinition(base({ trigger: { webhook: { response: { mode: 'step', step: 'ghost' } } } })));
    expect(found).toEqual([{ path: 'trigger.webhook.response.step', message: 'unknown step id "ghost"', code: 'unknown_step' }]);
  });
});

describe('parseDefinitionText', () => {
  const yaml = `
name: order-created
max_concurrent_executions: 3
trigger:
  webhook: { sync_timeout_s: 10, response: { mode: all_steps } }
steps:
  - id: enrich
    type: http
    request: { method: POST, url: "https://crm.example/api/{{trigger.body.order_id}}", body: { amount: "{{trigger.body.amount}}" } }
    retry: { max_attempts: 3, backoff_s: 2 }
    extract: { customer: "$.body.customer_id" }
  - { id: check, type: branch, when: "context.customer != null", then: done, else: reject }
  - { id: reject, type: fail, message: "no customer" }
  - { id: done, type: respond, status: 201, body: { ok: true, customer: "{{context.customer}}" } }
`;

  it('parses and validates YAML', () => {
    const def = ok(parseDefinitionText(yaml, 'yaml'));
    expect(def.name).toBe('order-created');
    expect(def.max_concurrent_executions).toBe(3);
    expect(def.max_workflow_duration_seconds).toBe(1800);
    expect(def.trigger.webhook).toEqual({ sync_timeout_s: 10, methods: ['POST'], response: { mode: 'all_steps' } });
    expect(def.steps.map((s) => s.id)).toEqual(['enrich', 'check', 'reject', 'done']);
    const enrich = def.steps[0];
    if (enrich?.type !== 'http') throw new Error('enrich should be an http step');
    expect(enrich.request).toEqual({
      method: 'POST',
      url: 'https://crm.example/api/{{trigger.body.order_id}}',
      body: { amount: '{{trigger.body.amount}}' },
    });
    expect(enrich.retry).toEqual({ max_attempts: 3, backoff_s: 2 });
    expect(enrich.extract).toEqual({ customer: '$.body.customer_id' });
  });

  it('parses and validates JSON, giving the same result as validateDefinition', () => {
    const input = base({ max_workflow_duration_seconds: 60 });
    const parsed = ok(parseDefinitionText(JSON.stringify(input), 'json'));
    expect(parsed).toEqual(ok(validateDefinition(input)));
    expect(parsed.max_workflow_duration_seconds).toBe(60);
  });

  it('reports schema errors from YAML with field paths', () => {
    const found = issues(parseDefinitionText('name: x\nsteps:\n  - { id: a, type: http, request: { url: "" } }\n', 'yaml'));
    expect(found.map((i) => i.path)).toEqual(['steps[0].request.url']);
  });

  it('reports invalid JSON text at the document path', () => {
    const found = issues(parseDefinitionText('{"name": "x", ', 'json'));
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('');
    expect(found[0]?.message).toMatch(/^not valid JSON: /);
  });

  it('reports invalid YAML text at the document path', () => {
    const found = issues(parseDefinitionText('name: [unclosed\nsteps: x', 'yaml'));
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('');
    expect(found[0]?.message).toMatch(/^not valid YAML: /);
  });

  it('does not parse YAML as JSON or the other way round', () => {
    expect(issues(parseDefinitionText(yaml, 'json'))[0]?.message).toMatch(/^not valid JSON/);
    // JSON is YAML, so the reverse is accepted.
    expect(ok(parseDefinitionText(JSON.stringify(base()), 'yaml')).name).toBe('order-created');
  });

  it('rejects an empty YAML document as not an object', () => {
    const found = issues(parseDefinitionText('', 'yaml'));
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('');
  });

  it('refuses YAML alias bombs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 8; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const found = issues(parseDefinitionText(lines.join('\n'), 'yaml'));
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(/^not valid YAML: /);
  });
});

describe('formatPath and findStep', () => {
  it('formats paths with dots and indices', () => {
    expect(formatPath(['steps', 1, 'request', 'url'])).toBe('steps[1].request.url');
    expect(formatPath(['trigger', 'webhook', 'response', 'step'])).toBe('trigger.webhook.response.step');
    expect(formatPath([])).toBe('');
    expect(formatPath([0, 'id'])).toBe('[0].id');
  });

  it('finds a step by id', () => {
    const def = ok(
      validateDefinition(
        base({
          steps: [
            { id: 'a', type: 'fail', message: 'm' },
            { id: 'b', type: 'respond' },
          ],
        }),
      ),
    );
    expect(findStep(def, 'b')?.type).toBe('respond');
    expect(findStep(def, 'zz')).toBeUndefined();
  });
});
