import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Checks real HTTP responses against an OpenAPI 3.1 document: the route and method are documented,
 * the status is documented for that operation, the content type is one it lists and a JSON body
 * validates against the documented schema (JSON Schema 2020-12, with formats).
 */
type Json = Record<string, unknown>;
const DOC_ID = 'https://flowgate.invalid/openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface Operation {
  path: string;
  method: string;
}

export interface RealResponse {
  status: number;
  headers: Headers;
  text: string;
}

export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly templates: { path: string; pattern: RegExp; literals: number }[];
  /** Operations a check has seen, for coverage. */
  readonly seen = new Set<string>();

  constructor(private readonly doc: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...doc, $id: DOC_ID });
    this.templates = Object.keys(this.paths()).map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      literals: path.replace(/\{[^}]+\}/g, '').length,
    }));
  }

  private paths(): Record<string, Json> {
    return (this.doc.paths ?? {}) as Record<string, Json>;
  }

  /** Every documented operation, as `METHOD /path`. */
  operations(): string[] {
    return Object.entries(this.paths()).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
    );
  }

  /** The documented path template a concrete path falls under (the most literal one). */
  templateOf(concretePath: string): string | undefined {
    const path = concretePath.split('?')[0] ?? '';
    return this.templates
      .filter((t) => t.pattern.test(path))
      .sort((a, b) => b.literals - a.literals)
      .map((t) => t.path)[0];
  }

  /** Problems of one real response (empty = conforms). */
  check(method: string, concretePath: string, res: RealResponse): string[] {
    const template = this.templateOf(concretePath);
    if (!template) return [`${method} ${concretePath}: no documented path`];
    const name = `${method.toUpperCase()} ${template}`;
    const operation = this.paths()[template]?.[method.toLowerCase()] as Json | undefined;
    if (!operation) return [`${name}: method not documented`];
    this.seen.add(name);
    const responses = (operation.responses ?? {}) as Record<string, Json>;
    const key = [String(res.status), `${String(res.status)[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
    if (!key)
      return [
        `${name}: status ${res.status} not documented (documented: ${Object.keys(responses).join(', ')}); body ${res.text.slice(0, 200)}`,
      ];
    const response = this.resolve(responses[key] as Json);
    const content = response.content as Record<string, Json> | undefined;
    if (!content || res.status === 204 || res.text === '') return [];
    const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const mediaKey = Object.keys(content).find((k) => k === type || k === '*/*' || (k.endsWith('/*') && type.startsWith(k.slice(0, -1))));
    if (mediaKey === undefined)
      return [`${name} ${res.status}: content type ${type || '(none)'} not documented (${Object.keys(content).join(', ')})`];
    if (!mediaKey.includes('json') || !type.includes('json')) return [];
    const pointer = ['paths', template, method.toLowerCase(), 'responses', key];
    const schemaPath = (responses[key] as Json).$ref
      ? [
          ...String((responses[key] as Json).$ref)
            .slice(2)
            .split('/')
            .map(unescape),
          'content',
          mediaKey,
          'schema',
        ]
      : [...pointer, 'content', mediaKey, 'schema'];
    if (!(content[mediaKey] as Json).schema) return [];
    const validate = this.ajv.getSchema(`${DOC_ID}#/${schemaPath.map(escape).join('/')}`);
    if (!validate) return [`${name} ${res.status}: schema not found`];
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      return [`${name} ${res.status}: body is not JSON: ${res.text.slice(0, 200)}`];
    }
    if (validate(body)) return [];
    return [`${name} ${res.status}: body does not match: ${this.ajv.errorsText(validate.errors)}; body ${res.text.slice(0, 300)}`];
  }

  private resolve(node: Json): Json {
    let current = node;
    for (let i = 0; i < 5 && typeof current.$ref === 'string'; i++) {
      const parts = current.$ref.slice(2).split('/').map(unescape);
      current = parts.reduce<Json>((n, p) => (n[p] ?? {}) as Json, this.doc);
    }
    return current;
  }
}

/** JSON pointer segment escaping, then URI escaping for the fragment. */
function escape(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
