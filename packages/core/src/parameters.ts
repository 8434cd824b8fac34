import { z } from 'zod';
import type { TriggerInput } from './execution';
import { isPlainObject } from './json';

/**
 * Typed webhook parameters: declared per trigger, read from the JSON / form body or the query
 * string, checked and coerced (query and form values arrive as text), defaults filled in. The
 * result is `trigger.params` in templates.
 */
export const PARAMETER_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export const parameterSchema = z
  .object({
    type: z.enum(PARAMETER_TYPES),
    required: z.boolean().default(false),
    enum: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .max(100)
      .optional(),
    default: z.unknown().optional(),
    description: z.string().max(500).optional(),
  })
  .strict();

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const parametersSchema = z
  .record(z.string().regex(PARAMETER_NAME, 'parameter names are letters, digits and _ (max 64)'), parameterSchema)
  .refine((p) => Object.keys(p).length <= 100, 'at most 100 parameters');

export type ParameterSpec = z.infer<typeof parameterSchema>;
export type ParametersSpec = z.infer<typeof parametersSchema>;

export type ParameterResult =
  | { ok: true; params: Record<string, unknown> }
  | {
      ok: false;
      code: 'missing_parameters' | 'invalid_parameters';
      message: string;
      details: { parameters: { name: string; message: string }[] };
    };

function coerce(value: unknown, type: ParameterType): { ok: true; value: unknown } | { ok: false } {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : { ok: false };
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) return { ok: false };
      return { ok: true, value: n };
    }
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
      return { ok: false };
    case 'object':
      return isPlainObject(value) ? { ok: true, value } : { ok: false };
    case 'array':
      return Array.isArray(value) ? { ok: true, value } : { ok: false };
  }
}

/** `bodyParameter`: the name under which the whole body is passed as one parameter, if any. */
export function resolveParameters(spec: ParametersSpec | undefined, input: TriggerInput, bodyParameter?: string): ParameterResult {
  const params: Record<string, unknown> = {};
  if (bodyParameter) params[bodyParameter] = input.body;
  if (!spec) return { ok: true, params };
  const body = isPlainObject(input.body) ? input.body : {};
  const missing: string[] = [];
  const invalid: { name: string; message: string }[] = [];
  for (const [name, p] of Object.entries(spec)) {
    const raw: unknown = name in body ? body[name] : input.query[name];
    if (raw === undefined || raw === null) {
      if (p.default !== undefined) params[name] = p.default;
      else if (p.required) missing.push(name);
      continue;
    }
    const value: unknown = Array.isArray(raw) && p.type !== 'array' ? (raw as unknown[])[0] : raw;
    const coerced = coerce(value, p.type);
    if (!coerced.ok) {
      invalid.push({
        name,
        message: `${name} must be ${p.type === 'integer' || p.type === 'array' || p.type === 'object' ? 'an' : 'a'} ${p.type}`,
      });
      continue;
    }
    if (p.enum && !p.enum.includes(coerced.value as string | number | boolean)) {
      invalid.push({ name, message: `${name} must be one of ${p.enum.map(String).join(', ')}` });
      continue;
    }
    params[name] = coerced.value;
  }
  if (missing.length > 0)
    return {
      ok: false,
      code: 'missing_parameters',
      message: `Missing required parameter(s): ${missing.join(', ')}`,
      details: { parameters: [...missing.map((name) => ({ name, message: `${name} is required` })), ...invalid] },
    };
  if (invalid.length > 0)
    return {
      ok: false,
      code: 'invalid_parameters',
      message: `Invalid parameter(s): ${invalid.map((i) => i.message).join('; ')}`,
      details: { parameters: invalid },
    };
  return { ok: true, params };
}

function typeOf(value: unknown): ParameterType {
  if (Array.isArray(value)) return 'array';
  if (isPlainObject(value)) return 'object';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return 'string';
}

/**
 * A parameter schema guessed from a sample: a JSON object's top-level fields (or key / value
 * pairs), each required, typed from its value. Names that cannot be parameters are left out.
 */
export function inferParameters(sample: unknown): ParametersSpec {
  const spec: ParametersSpec = {};
  if (!isPlainObject(sample)) return spec;
  for (const [name, value] of Object.entries(sample)) {
    if (!PARAMETER_NAME.test(name) || value === null || value === undefined) continue;
    spec[name] = { type: typeOf(value), required: true };
  }
  return spec;
}
