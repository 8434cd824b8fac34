import { TemplateError } from './errors';
import { isPlainObject } from './json';

/**
 * `{{path}}` templates. A path reads the scope (`trigger.*`, `context.*`, `steps.<id>.output.*`)
 * with dot segments, `[0]` indices and `["any key"]`. Templates never run code. A string that is
 * exactly one template keeps the value's type; otherwise values are interpolated as text (objects
 * as JSON). A missing path is an error naming the path, never a silent empty string.
 */

export type TemplateScope = Readonly<Record<string, unknown>>;

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const SEGMENT = /^(?:\.?([A-Za-z0-9_$-]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\])/;

export function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  let rest = path.trim();
  if (rest === '') throw new TemplateError('empty template path', { path });
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m || (parts.length === 0 && rest.startsWith('.'))) throw new TemplateError(`invalid template path "${path}"`, { path });
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(JSON.parse(`"${m[3] ?? ''}"`) as string);
    rest = rest.slice(m[0].length);
  }
  return parts;
}

export function resolvePath(scope: TemplateScope, path: string): unknown {
  let current: unknown = scope;
  for (const part of parsePath(path)) {
    if (typeof part === 'number' && Array.isArray(current) && part < current.length) current = current[part];
    else if (typeof part === 'string' && isPlainObject(current) && Object.hasOwn(current, part)) current = current[part];
    else throw new TemplateError(`template path "${path}" does not exist`, { path });
  }
  return current;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

export function renderString(template: string, scope: TemplateScope): unknown {
  const whole = WHOLE.exec(template);
  if (whole) return resolvePath(scope, whole[1] ?? '');
  return template.replace(TEMPLATE, (_m, path: string) => asText(resolvePath(scope, path)));
}

/** Renders every string inside `value` (object keys are left as they are). */
export function renderTemplate(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') return renderString(value, scope);
  if (Array.isArray(value)) return value.map((v) => renderTemplate(v, scope));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderTemplate(v, scope);
    return out;
  }
  return value;
}

/** The paths of the `{{…}}` templates in a string, in order. */
export function templatePaths(template: string): string[] {
  return [...template.matchAll(TEMPLATE)].map((m) => m[1] ?? '');
}

/** The roots a template path can read: the scope of `templateScope` (machine.ts). */
export const TEMPLATE_ROOTS: readonly string[] = ['trigger', 'context', 'steps'];

/**
 * Why a URL template cannot give an absolute http(s) URL once rendered, or null when it can. A
 * template that starts with `{{…}}` takes its scheme and host from data (`{{trigger.body.url}}`,
 * `{{context.base}}/orders`) and is not judged here; any other is rendered with a stand-in value
 * (`0`, valid in a host, port and path alike) and must parse as an http or https URL.
 */
export function urlTemplateProblem(template: string): string | null {
  const trimmed = template.trimStart();
  if (trimmed.startsWith('{{') && trimmed.indexOf('}}') > 0) return null;
  let url: URL;
  try {
    url = new URL(template.replace(TEMPLATE, '0'));
  } catch {
    return 'must be an absolute http(s) URL once rendered (or start with a template that gives one)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http(s) URL, not ${url.protocol.slice(0, -1)}`;
  return null;
}

/** Adds the failing step's id to a template error. */
export function renderForStep<T>(stepId: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TemplateError)
      throw new TemplateError(`step "${stepId}": ${err.message}`, { path: String(err.details.path), step_id: stepId });
    throw err;
  }
}
