// Turns Kubernetes' OpenAPI v2 spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes Go module,
// which scripts/helm-check.sh fetches through the Go module proxy) into one standalone JSON schema per
// kind, in kubeconform's file layout: {kind}{-group}-{version}.json, e.g. deployment-apps-v1.json,
// service-v1.json (the group is cut at its first dot, as kubeconform's {{ .KindSuffix }} does).
// Strict, like kubeconform's "-strict" schema sets: every object that lists its properties rejects any
// other, so a misspelt or misplaced field fails validation.
//   node scripts/k8s-schemas.mjs <swagger.json> <output dir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , specPath, outDir] = process.argv;
if (!specPath || !outDir) {
  console.error('usage: node scripts/k8s-schemas.mjs <swagger.json> <output dir>');
  process.exit(2);
}
const { definitions } = JSON.parse(readFileSync(specPath, 'utf8'));
if (!definitions || typeof definitions !== 'object') {
  console.error(`k8s-schemas: ${specPath} has no "definitions": not an OpenAPI v2 spec`);
  process.exit(1);
}

const REF_PREFIX = '#/definitions/';

// Types whose JSON form the spec describes loosely (both are written as strings or numbers).
const OVERRIDES = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

/** A copy of a spec node without documentation, closed wherever it lists properties. */
function strict(node) {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key.startsWith('x-kubernetes-')) continue;
    // Under "properties" the keys are field names (a field may be called "description").
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strict(v)])) : strict(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function collectRefs(node, found) {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, found);
  } else if (node && typeof node === 'object') {
    if (typeof node.$ref === 'string' && node.$ref.startsWith(REF_PREFIX)) found.add(node.$ref.slice(REF_PREFIX.length));
    for (const value of Object.values(node)) collectRefs(value, found);
  }
}

/** The definition and every definition it reaches through $ref. */
function reachableFrom(name) {
  const reached = new Set();
  const queue = [name];
  while (queue.length > 0) {
    const next = queue.pop();
    if (reached.has(next)) continue;
    if (!definitions[next]) throw new Error(`k8s-schemas: ${name} refers to the missing definition ${next}`);
    reached.add(next);
    if (OVERRIDES[next]) continue;
    const refs = new Set();
    collectRefs(definitions[next], refs);
    queue.push(...refs);
  }
  return reached;
}

mkdirSync(outDir, { recursive: true });
let written = 0;
for (const [name, definition] of Object.entries(definitions)) {
  for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
    const defs = {};
    for (const reached of [...reachableFrom(name)].sort()) defs[reached] = OVERRIDES[reached] ?? strict(definitions[reached]);
    const root = { ...defs[name] };
    // One file per kind: pin "kind" (and "apiVersion") to this kind, so a file never accepts another.
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    if (root.properties) {
      root.properties = { ...root.properties };
      if (root.properties.kind) root.properties.kind = { type: 'string', enum: [gvk.kind] };
      if (root.properties.apiVersion) root.properties.apiVersion = { type: 'string', enum: [apiVersion] };
    }
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...root, definitions: defs };
    const group = gvk.group ? `-${gvk.group.split('.')[0]}` : '';
    writeFileSync(join(outDir, `${gvk.kind.toLowerCase()}${group}-${gvk.version}.json`.toLowerCase()), JSON.stringify(schema));
    written++;
  }
}
console.error(`k8s-schemas: ${written} kind schemas written to ${outDir}`);
