// Turns Kubernetes' OpenAPI v2 spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes module,
// fetched through the Go module proxy by scripts/helm-check.sh) into one standalone, strict JSON
// schema per kind, in kubeconform's file layout ({kind}{-group}-{version}.json), so rendered chart
// objects are validated offline. Strict: objects reject properties the API does not define.
//   node scripts/k8s-schemas.mjs <swagger.json> <output dir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , swaggerPath, outDir] = process.argv;
if (!swaggerPath || !outDir) {
  console.error('usage: node scripts/k8s-schemas.mjs <swagger.json> <output dir>');
  process.exit(2);
}
const { definitions } = JSON.parse(readFileSync(swaggerPath, 'utf8'));

// Types whose JSON form the spec describes loosely.
const OVERRIDES = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

function strict(node) {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key.startsWith('x-kubernetes-')) continue;
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strict(v)])) : strict(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function refsOf(node, found) {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, found));
  else if (node && typeof node === 'object') {
    if (typeof node.$ref === 'string') found.add(node.$ref.replace('#/definitions/', ''));
    Object.values(node).forEach((n) => refsOf(n, found));
  }
}

function schemaOf(name) {
  return OVERRIDES[name] ?? strict(definitions[name]);
}

mkdirSync(outDir, { recursive: true });
let count = 0;
for (const [name, definition] of Object.entries(definitions)) {
  for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
    // Standalone: the kind plus every definition it reaches.
    const reached = new Set();
    const queue = [name];
    while (queue.length > 0) {
      const next = queue.pop();
      if (reached.has(next)) continue;
      reached.add(next);
      const refs = new Set();
      refsOf(definitions[next], refs);
      queue.push(...refs);
    }
    const defs = Object.fromEntries([...reached].map((n) => [n, schemaOf(n)]));
    const root = { ...defs[name] };
    if (root.properties?.kind) root.properties = { ...root.properties, kind: { type: 'string', enum: [gvk.kind] } };
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...root, definitions: defs };
    const group = gvk.group ? `-${gvk.group.split('.')[0]}` : '';
    writeFileSync(join(outDir, `${gvk.kind.toLowerCase()}${group}-${gvk.version}.json`), JSON.stringify(schema));
    count++;
  }
}
console.error(`k8s-schemas: ${count} kind schemas written to ${outDir}`);
