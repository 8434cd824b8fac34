import { DomainError, TemplateError } from '../src/errors';
import { parsePath, renderForStep, renderString, renderTemplate, resolvePath, type TemplateScope } from '../src/template';

const scope: TemplateScope = {
  trigger: {
    method: 'POST',
    path: '/hooks/abc',
    query: { page: '2', tags: ['a', 'b'] },
    headers: { 'x-request-id': 'req-1' },
    body: {
      order_id: 'ord-42',
      amount: 12.5,
      paid: false,
      note: null,
      items: [
        { sku: 'A1', qty: 2 },
        { sku: 'B2', qty: 1 },
      ],
      'odd key': { 'with "quotes"': 'yes' },
      nested: { deep: { value: 7 } },
    },
  },
  context: { customer: 'cus_9', count: 0 },
  steps: { enrich: { output: { status: 200, body: { id: 5, list: [10, 20] } } } },
};

/** Runs fn and returns the TemplateError it throws (fails the test otherwise). */
function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('parsePath', () => {
  it('splits dot segments, numeric indices and quoted keys', () => {
    expect(parsePath('trigger.body.order_id')).toEqual(['trigger', 'body', 'order_id']);
    expect(parsePath('trigger.body.items[1].sku')).toEqual(['trigger', 'body', 'items', 1, 'sku']);
    expect(parsePath('trigger.body["odd key"]["with \\"quotes\\""]')).toEqual(['trigger', 'body', 'odd key', 'with "quotes"']);
    expect(parsePath('  context.customer  ')).toEqual(['context', 'customer']);
    expect(parsePath('headers.x-request-id')).toEqual(['headers', 'x-request-id']);
  });

  it.each(['', '   ', '.trigger', 'trigger..body', 'trigger.body[x]', 'trigger body', 'trigger.body[', 'a.b()'])(
    'rejects the invalid path %j with a TemplateError',
    (path) => {
      const err = templateError(() => parsePath(path));
      expect(err.code).toBe('template_path_missing');
      expect(err.details).toEqual({ path });
    },
  );
});

describe('resolvePath', () => {
  it('reads values of every JSON type from every scope root', () => {
    expect(resolvePath(scope, 'trigger.method')).toBe('POST');
    expect(resolvePath(scope, 'trigger.body.amount')).toBe(12.5);
    expect(resolvePath(scope, 'trigger.body.paid')).toBe(false);
    expect(resolvePath(scope, 'trigger.body.note')).toBeNull();
    expect(resolvePath(scope, 'trigger.body.items[0]')).toEqual({ sku: 'A1', qty: 2 });
    expect(resolvePath(scope, 'trigger.query.tags[1]')).toBe('b');
    expect(resolvePath(scope, 'context.count')).toBe(0);
    expect(resolvePath(scope, 'steps.enrich.output.body.list[1]')).toBe(20);
    expect(resolvePath(scope, 'trigger.body["odd key"]["with \\"quotes\\""]')).toBe('yes');
  });

  it.each([
    'trigger.body.missing',
    'trigger.body.items[2]',
    'trigger.body.items.length',
    'trigger.body.amount.value',
    'trigger.body.note.x',
    'steps.other.output',
    'context.customer[0]',
    'trigger.body.items.0',
    'nothing',
  ])('throws template_path_missing for the missing path %s', (path) => {
    const err = templateError(() => resolvePath(scope, path));
    expect(err.code).toBe('template_path_missing');
    expect(err.message).toBe(`template path "${path}" does not exist`);
    expect(err.details).toEqual({ path });
  });

  it('never reads inherited properties', () => {
    for (const path of ['context.constructor', 'context.__proto__', 'context.toString', 'trigger.body.hasOwnProperty']) {
      expect(templateError(() => resolvePath(scope, path)).details).toEqual({ path });
    }
  });
});

describe('renderString', () => {
  it('keeps the type of the value when the string is exactly one template', () => {
    expect(renderString('{{trigger.body.amount}}', scope)).toBe(12.5);
    expect(renderString('{{ trigger.body.paid }}', scope)).toBe(false);
    expect(renderString('{{trigger.body.note}}', scope)).toBeNull();
    expect(renderString('{{trigger.body.items}}', scope)).toEqual([
      { sku: 'A1', qty: 2 },
      { sku: 'B2', qty: 1 },
    ]);
    expect(renderString('{{steps.enrich.output.body}}', scope)).toEqual({ id: 5, list: [10, 20] });
  });

  it('interpolates text, numbers, booleans, null and JSON into a larger string', () => {
    expect(renderString('https://crm.example/api/{{trigger.body.order_id}}?n={{trigger.body.amount}}', scope)).toBe(
      'https://crm.example/api/ord-42?n=12.5',
    );
    expect(renderString('paid={{trigger.body.paid}} note={{trigger.body.note}}', scope)).toBe('paid=false note=null');
    expect(renderString('item: {{trigger.body.items[0]}}', scope)).toBe('item: {"sku":"A1","qty":2}');
    expect(renderString('{{context.customer}}-{{context.count}}', scope)).toBe('cus_9-0');
    expect(renderString(' {{trigger.body.amount}}', scope)).toBe(' 12.5');
  });

  it('does not treat $ sequences in values as replacement patterns', () => {
    const s: TemplateScope = { context: { v: '$& $1 $$' } };
    expect(renderString('x={{context.v}}', s)).toBe('x=$& $1 $$');
  });

  it('leaves strings without templates untouched', () => {
    expect(renderString('plain {single} braces', scope)).toBe('plain {single} braces');
    expect(renderString('', scope)).toBe('');
  });

  it('fails on a missing path instead of rendering an empty string', () => {
    const err = templateError(() => renderString('id={{trigger.body.nope}}', scope));
    expect(err.details).toEqual({ path: 'trigger.body.nope' });
    expect(templateError(() => renderString('{{}}', scope)).code).toBe('template_path_missing');
  });
});

describe('renderTemplate', () => {
  it('renders every string inside objects and arrays, leaving keys and non-strings alone', () => {
    const out = renderTemplate(
      {
        '{{context.customer}}': '{{context.customer}}',
        amount: '{{trigger.body.amount}}',
        list: ['{{trigger.body.items[1].sku}}', 3, true, null, { deep: 'n={{trigger.body.nested.deep.value}}' }],
      },
      scope,
    );
    expect(out).toEqual({
      '{{context.customer}}': 'cus_9',
      amount: 12.5,
      list: ['B2', 3, true, null, { deep: 'n=7' }],
    });
  });

  it('returns non-string scalars and undefined as they are', () => {
    expect(renderTemplate(42, scope)).toBe(42);
    expect(renderTemplate(undefined, scope)).toBeUndefined();
    expect(renderTemplate(null, scope)).toBeNull();
  });

  it('does not modify its input', () => {
    const input = { a: ['{{context.customer}}'] };
    renderTemplate(input, scope);
    expect(input).toEqual({ a: ['{{context.customer}}'] });
  });

  it('fails on the first missing path anywhere in the structure', () => {
    const err = templateError(() => renderTemplate({ ok: '{{context.customer}}', bad: ['{{context.ghost}}'] }, scope));
    expect(err.details).toEqual({ path: 'context.ghost' });
  });
});

describe('renderForStep', () => {
  it('returns the result of the function', () => {
    expect(renderForStep('enrich', () => 7)).toBe(7);
  });

  it('adds the step id to template errors', () => {
    const err = templateError(() => renderForStep('enrich', () => renderString('{{trigger.body.zip}}', scope)));
    expect(err.code).toBe('template_path_missing');
    expect(err.message).toBe('step "enrich": template path "trigger.body.zip" does not exist');
    expect(err.details).toEqual({ path: 'trigger.body.zip', step_id: 'enrich' });
  });

  it('passes other errors through unchanged', () => {
    const original = new DomainError('other', 'boom');
    expect(() =>
      renderForStep('enrich', () => {
        throw original;
      }),
    ).toThrow(original);
  });
});
