import { parseStoredDefinition, validateDefinition, type DefinitionIssue, type DefinitionResult } from '../src/definition';
import { urlTemplateProblem } from '../src/template';

type Json = Record<string, unknown>;

function issues(result: DefinitionResult): DefinitionIssue[] {
  if (result.ok) throw new Error('expected the definition to be rejected');
  return result.issues;
}
const check = (steps: unknown[], more: Json = {}) => validateDefinition({ name: 'wf', steps, ...more });
const codesAt = (result: DefinitionResult) => issues(result).map((i) => `${i.path} ${i.code}`);

describe('strict definitions: JSONata compiles', () => {
  it('reports a transform expression that does not compile, at its path, with the parser message', () => {
    const found = issues(
      check([
        { id: 'a', type: 'transform', expression: '1' },
        { id: 'b', type: 'transform', expression: '1' },
        { id: 'c', type: 'transform', expression: '{"total": trigger.body.amount *}' },
      ]),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: 'steps[2].expression', code: 'invalid_expression' });
    expect(found[0]?.message).toMatch(/^invalid JSONata expression: S0\d{3}: /);
  });

  it('reports a branch condition and a source filter that do not compile', () => {
    const result = check([{ id: 'b', type: 'branch', when: 'trigger.body.(', then: 'b' }], {
      trigger: { source: { source_id: 'src_aaaaaaaa', filter: 'trigger.body.kind = ' } },
    });
    expect(codesAt(result)).toEqual(['steps[0].when invalid_expression', 'trigger.source.filter invalid_expression']);
  });

  it('checks a condition as one expression, not only in the form it runs in', () => {
    // `$boolean(a, b)` compiles (and fails at run time); `a, b` alone is not an expression.
    expect(codesAt(check([{ id: 'b', type: 'branch', when: 'trigger.body.a, trigger.body.b', then: 'b' }]))).toEqual([
      'steps[0].when invalid_expression',
    ]);
  });

  it('accepts valid expressions of every kind', () => {
    const result = check([
      { id: 't', type: 'transform', expression: '$map(trigger.body.items, function($v) { $v * 2 })' },
      { id: 'b', type: 'branch', when: 'trigger.body.amount > 100 and $exists(context.customer)', then: 't' },
    ]);
    expect(result.ok).toBe(true);
  });
});

describe('strict definitions: URL templates', () => {
  it.each([
    ['https://api.example.com/orders'],
    ['http://localhost:8080/x'],
    ['https://crm.example/orders/{{trigger.body.order_id}}?q={{trigger.query.q}}'],
    ['https://{{context.tenant}}.example.com/{{trigger.body.id}}'],
    ['http://api.example.com:{{context.port}}/'],
    ['{{trigger.body.url}}'],
    ['{{context.base}}/orders/{{trigger.body.id}}'],
  ])('accepts %s', (url) => {
    expect(urlTemplateProblem(url)).toBeNull();
    expect(check([{ id: 'h', type: 'http', request: { url } }]).ok).toBe(true);
  });

  it.each([
    ['not a url'],
    ['/relative/{{trigger.body.id}}'],
    ['example.com/orders'],
    ['ftp://files.example.com/{{trigger.body.f}}'],
    ['https://'],
  ])('refuses %s with invalid_url at steps[0].request.url', (url) => {
    const found = issues(check([{ id: 'h', type: 'http', request: { url } }]));
    expect(found).toEqual([{ path: 'steps[0].request.url', message: expect.stringMatching(/http\(s\) URL/), code: 'invalid_url' }]);
  });
});

describe('strict definitions: templates', () => {
  it('reports a malformed template path and one that reads no root of the scope', () => {
    const result = check([
      { id: 'h', type: 'http', request: { url: 'https://x.test/', headers: { 'X-A': '{{trigger..body}}' }, body: { a: ['{{body.id}}'] } } },
      { id: 'f', type: 'fail', message: 'no {{ }} here' },
    ]);
    expect(codesAt(result)).toEqual([
      'steps[0].request.headers.X-A invalid_template',
      'steps[0].request.body.a[0] invalid_template',
      'steps[1].message invalid_template',
    ]);
  });

  it('checks respond headers and body, delay until and approval message', () => {
    const result = check([
      { id: 'r', type: 'respond', headers: { 'X-Id': '{{nope.x}}' }, body: '{{steps.ghost.output}}', next: 'd' },
      { id: 'd', type: 'delay', until: '{{trigger.body.at..x}}' },
      { id: 'a', type: 'approval', message: 'ok {{steps.r.output.body}} {{steps.gone.output}}?' },
    ]);
    expect(codesAt(result)).toEqual([
      'steps[0].headers.X-Id invalid_template',
      'steps[0].body unknown_step',
      'steps[1].until invalid_template',
      'steps[2].message unknown_step',
    ]);
  });
});

describe('strict definitions: step references', () => {
  it('reports next, then, else, on_timeout and on_reject that name no step', () => {
    const result = check([
      { id: 'a', type: 'transform', expression: '1', next: 'x1' },
      { id: 'b', type: 'branch', when: 'true', then: 'x2', else: 'x3' },
      { id: 'w', type: 'wait_for_webhook', on_timeout: 'x4' },
      { id: 'p', type: 'approval', on_timeout: 'a', on_reject: 'x5' },
    ]);
    expect(issues(result)).toEqual(
      [
        ['steps[0].next', 'x1'],
        ['steps[1].then', 'x2'],
        ['steps[1].else', 'x3'],
        ['steps[2].on_timeout', 'x4'],
        ['steps[3].on_reject', 'x5'],
      ].map(([path, id]) => ({ path, message: `unknown step id "${id}"`, code: 'unknown_step' })),
    );
  });

  it('reports steps.<id> read by a template or an expression when no step has that id', () => {
    const result = check([
      {
        id: 'shape',
        type: 'transform',
        expression: '{"a": steps.shape.output, "b": $.steps.missing.output, "c": steps.`gone-too`.output}',
      },
      { id: 'b', type: 'branch', when: 'steps.nowhere.output.ok', then: 'shape' },
      { id: 'h', type: 'http', request: { url: 'https://x.test/{{steps.shape.output.id}}/{{steps.lost.output.id}}' } },
    ]);
    expect(issues(result)).toEqual([
      { path: 'steps[0].expression', message: 'reads steps.missing, which is not a step of this workflow', code: 'unknown_step' },
      { path: 'steps[0].expression', message: 'reads steps.gone-too, which is not a step of this workflow', code: 'unknown_step' },
      { path: 'steps[1].when', message: 'reads steps.nowhere, which is not a step of this workflow', code: 'unknown_step' },
      {
        path: 'steps[2].request.url',
        message: 'template path "steps.lost.output.id" reads steps.lost, which is not a step of this workflow',
        code: 'unknown_step',
      },
    ]);
  });

  it('does not judge a steps field read relative to an item (inside a predicate or a later path step)', () => {
    const result = check([
      { id: 't', type: 'transform', expression: 'trigger.body.recipe.steps.first & $count(trigger.body.items[steps.n > 1])' },
    ]);
    expect(result.ok).toBe(true);
  });
});

describe('strict definitions: one pass', () => {
  it('a definition with five different errors gets all five in one answer, schema and semantic alike', () => {
    const found = issues(
      check([
        { id: 'shape', type: 'transform', expression: '{"a": }' },
        { id: 'call', type: 'http', request: { url: 'not a url' }, timeout_s: 'soon' },
        { id: 'check', type: 'branch', when: 'true', then: 'ghost' },
        { id: 'done', type: 'respond', body: { id: '{{steps.vanished.output.id}}' } },
      ]),
    );
    expect(found.map((i) => `${i.path} ${i.code}`).sort()).toEqual(
      [
        'steps[0].expression invalid_expression',
        'steps[1].request.url invalid_url',
        'steps[1].timeout_s invalid_type',
        'steps[2].then unknown_step',
        'steps[3].body.id unknown_step',
      ].sort(),
    );
  });

  it('reports unknown steps even while the schema has issues of its own (no second round)', () => {
    const result = check([
      { id: 'a', type: 'transform', expression: '1', next: 'nowhere', colour: 'blue' },
      { id: 'b', type: 'http', request: {} },
    ]);
    expect(codesAt(result).sort()).toEqual([
      'steps[0].colour unrecognized_keys',
      'steps[0].next unknown_step',
      'steps[1].request.url invalid_type',
    ]);
  });
});

describe('parseStoredDefinition', () => {
  it('reads a stored definition by its schema only: no expression compiled, what was once accepted still loads', () => {
    const stored = { name: 'wf', steps: [{ id: 'a', type: 'transform', expression: '{"a": }' }] };
    expect(validateDefinition(stored).ok).toBe(false);
    const loaded = parseStoredDefinition(stored);
    expect(loaded.ok && loaded.definition.steps[0]).toEqual({ id: 'a', type: 'transform', expression: '{"a": }' });
    expect(parseStoredDefinition({ name: 'wf', steps: [] }).ok).toBe(false);
  });
});
