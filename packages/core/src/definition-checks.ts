import { expressionAst, expressionProblem } from './expression';
import { isPlainObject } from './json';
import { parsePath, TEMPLATE_ROOTS, templatePaths, urlTemplateProblem } from './template';
import { formatPath, type ValidationIssue } from './validation-issues';

/**
 * The checks of a definition that its schema cannot make: every JSONata expression compiles, every
 * URL template can become an absolute http(s) URL, every template path is well formed and reads a
 * known root, and every step reference names a step. They read the raw input leniently (a field of
 * the wrong type is the schema's issue, skipped here), so one pass reports the schema's issues and
 * these together. Codes: `invalid_expression`, `invalid_url`, `invalid_template`, `unknown_step`,
 * `duplicate_step_id`.
 */

export const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

type Path = (string | number)[];

/** The step fields that name another step, by step type. */
const REFERENCES: Record<string, readonly string[]> = {
  http: ['next'],
  transform: ['next'],
  branch: ['next', 'then', 'else'],
  respond: ['next'],
  fail: ['next'],
  delay: ['next'],
  wait_for_webhook: ['next', 'on_timeout'],
  approval: ['next', 'on_timeout', 'on_reject'],
};

/** The templated fields of each step type (strings anywhere inside them are rendered). */
const TEMPLATED: Record<string, readonly Path[]> = {
  http: [
    ['request', 'url'],
    ['request', 'headers'],
    ['request', 'query'],
    ['request', 'body'],
  ],
  respond: [['headers'], ['body']],
  fail: [['message']],
  delay: [['until']],
  approval: [['message']],
};

function at(value: unknown, path: Path): unknown {
  let current = value;
  for (const part of path) {
    if (typeof part === 'number' ? !Array.isArray(current) : !isPlainObject(current)) return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

/** A JSONata syntax-tree node, read as plain data (jsonata's own type omits `path` and `predicate`). */
type AstNode = Record<string, unknown>;

const plainStep = (node: unknown): node is AstNode => isPlainObject(node) && node.predicate === undefined && node.stages === undefined;

/** `steps.<id>` references of a JSONata syntax tree, where `steps` is read at the root of the scope. */
function expressionStepRefs(node: unknown, found: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) expressionStepRefs(item, found);
    return;
  }
  if (!isPlainObject(node)) return;
  if (node.type === 'path' && Array.isArray(node.steps)) {
    // Only the first step reads the scope; later steps (and predicates, stages, group-by) read items.
    const head: unknown = node.steps[0];
    const rooted = plainStep(head) && head.type === 'variable' && (head.value === '' || head.value === '$');
    const [root, id] = (rooted ? node.steps.slice(1) : node.steps) as unknown[];
    if (
      plainStep(root) &&
      root.type === 'name' &&
      root.value === 'steps' &&
      isPlainObject(id) &&
      id.type === 'name' &&
      typeof id.value === 'string'
    )
      found.push(id.value);
    if (isPlainObject(head)) expressionStepRefs({ ...head, predicate: undefined, stages: undefined, group: undefined }, found);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'predicate' || key === 'stages' || key === 'group') continue;
    expressionStepRefs(value, found);
  }
}

export function definitionIssues(input: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (path: Path, message: string, code: string) => issues.push({ path: formatPath(path), message, code });
  const rawSteps = isPlainObject(input) && Array.isArray(input.steps) ? (input.steps as unknown[]) : [];

  const ids = new Set<string>();
  rawSteps.forEach((step, i) => {
    const id = isPlainObject(step) ? step.id : undefined;
    if (typeof id !== 'string') return;
    if (ids.has(id)) add(['steps', i, 'id'], `duplicate step id "${id}"`, 'duplicate_step_id');
    ids.add(id);
  });
  const mustExist = (target: unknown, path: Path) => {
    // A malformed id is the schema's issue.
    if (typeof target === 'string' && STEP_ID.test(target) && !ids.has(target)) add(path, `unknown step id "${target}"`, 'unknown_step');
  };
  const expression = (source: unknown, path: Path, opts: { condition?: boolean; stepRefs?: boolean } = {}) => {
    if (typeof source !== 'string' || source.trim() === '') return;
    const problem = expressionProblem(source, opts);
    if (problem !== null) return add(path, `invalid JSONata expression: ${problem}`, 'invalid_expression');
    if (!opts.stepRefs) return;
    const refs: string[] = [];
    expressionStepRefs(expressionAst(source), refs);
    for (const ref of new Set(refs))
      if (!ids.has(ref)) add(path, `reads steps.${ref}, which is not a step of this workflow`, 'unknown_step');
  };
  const templates = (value: unknown, path: Path) => {
    if (typeof value === 'string') {
      for (const raw of templatePaths(value)) {
        let parts: (string | number)[];
        try {
          parts = parsePath(raw);
        } catch (err) {
          add(path, (err as Error).message, 'invalid_template');
          continue;
        }
        const [root, id] = parts;
        if (typeof root !== 'string' || !TEMPLATE_ROOTS.includes(root))
          add(path, `template path "${raw}" reads neither trigger.*, context.* nor steps.<id>.*`, 'invalid_template');
        else if (root === 'steps' && typeof id === 'string' && !ids.has(id))
          add(path, `template path "${raw}" reads steps.${id}, which is not a step of this workflow`, 'unknown_step');
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => templates(v, [...path, i]));
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) templates(v, [...path, k]);
  };

  rawSteps.forEach((step, i) => {
    if (!isPlainObject(step) || typeof step.type !== 'string') return;
    const path: Path = ['steps', i];
    for (const field of REFERENCES[step.type] ?? []) mustExist(step[field], [...path, field]);
    if (step.type === 'transform') expression(step.expression, [...path, 'expression'], { stepRefs: true });
    if (step.type === 'branch') expression(step.when, [...path, 'when'], { condition: true, stepRefs: true });
    for (const field of TEMPLATED[step.type] ?? []) templates(at(step, field), [...path, ...field]);
    if (step.type === 'http') {
      const url = at(step, ['request', 'url']);
      const problem = typeof url === 'string' && url !== '' ? urlTemplateProblem(url) : null;
      if (problem !== null) add([...path, 'request', 'url'], problem, 'invalid_url');
    }
  });

  // The fan-out filter and the flow-control keys see only `trigger`.
  expression(at(input, ['trigger', 'source', 'filter']), ['trigger', 'source', 'filter'], { condition: true });
  for (const path of [['concurrency'], ['trigger', 'webhook', 'rate_limit']]) {
    const limits = at(input, path);
    if (Array.isArray(limits)) limits.forEach((limit, i) => expression(at(limit, ['key']), [...path, i, 'key']));
    else expression(at(limits, ['key']), [...path, 'key']);
  }
  expression(at(input, ['trigger', 'webhook', 'debounce', 'key']), ['trigger', 'webhook', 'debounce', 'key']);
  const response = at(input, ['trigger', 'webhook', 'response']);
  if (isPlainObject(response) && response.mode === 'step') {
    const responsePath = ['trigger', 'webhook', 'response', 'step'];
    if (response.step === undefined) add(responsePath, 'required when mode is "step"', 'custom');
    else mustExist(response.step, responsePath);
  }
  return issues;
}
