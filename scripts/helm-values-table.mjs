// Generates the values table of helm/flowgate/README.md from the `## @section` / `## @param <path> <text>`
// comments of helm/flowgate/values.yaml and the defaults in it, between the README's
// <!-- values-table:begin --> and <!-- values-table:end --> markers. It also checks the comments
// against the values and the schema: every value is documented (by its own @param or an enclosing
// object's), every @param names an existing value, and values.schema.json declares every documented path.
//   node scripts/helm-values-table.mjs          rewrite the README table
//   node scripts/helm-values-table.mjs --check  fail if the README table is out of date or a check fails
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const CHART = join(dirname(fileURLToPath(import.meta.url)), '..', 'helm', 'flowgate');
const BEGIN = '<!-- values-table:begin -->';
const END = '<!-- values-table:end -->';

const valuesText = readFileSync(join(CHART, 'values.yaml'), 'utf8');
const values = parse(valuesText);
const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
const readmePath = join(CHART, 'README.md');
const readme = readFileSync(readmePath, 'utf8');

const problems = [];
const sections = [];
for (const line of valuesText.split('\n')) {
  const section = /^## @section (.+)$/.exec(line);
  if (section) {
    sections.push({ title: section[1].trim(), params: [] });
    continue;
  }
  const param = /^## @param (\S+) (.+)$/.exec(line);
  if (param) {
    if (sections.length === 0) problems.push(`@param ${param[1]} comes before any @section`);
    else sections.at(-1).params.push({ path: param[1], text: param[2].trim() });
  }
}
const documented = new Set(sections.flatMap((s) => s.params.map((p) => p.path)));

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function lookup(path) {
  let node = values;
  for (const key of path.split('.')) {
    if (!isObject(node) || !(key in node)) return { found: false };
    node = node[key];
  }
  return { found: true, value: node };
}

function resolveRef(node) {
  let current = node;
  while (current && current.$ref) current = schema.definitions[current.$ref.replace('#/definitions/', '')];
  return current;
}

function inSchema(path) {
  let node = schema;
  for (const key of path.split('.')) {
    node = resolveRef(node);
    const next = node?.properties?.[key];
    if (!next) return false;
    node = next;
  }
  return true;
}

// Every @param names a value that exists and that the schema declares.
for (const path of documented) {
  if (!lookup(path).found) problems.push(`@param ${path}: no such value in values.yaml`);
  if (!inSchema(path)) problems.push(`@param ${path}: values.schema.json does not declare it`);
}

// Every value is documented, by itself or by an enclosing object.
function walk(node, prefix) {
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (documented.has(path)) continue;
    if (isObject(value) && Object.keys(value).length > 0) walk(value, path);
    else problems.push(`${path} has no "## @param ${path} ..." comment (nor an enclosing object)`);
  }
}
walk(values, '');

function defaultOf(path) {
  const { value } = lookup(path);
  if (value === '') return '`""`';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length > 60) return '(see values.yaml)';
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

/** Markdown cell text: `<placeholders>` in code spans (else they read as HTML tags), pipes escaped. */
const describe = (text) => text.replace(/\|/g, '\\|').replace(/[^\s`]*<[^>\s]+>[^\s`,;)]*/g, (m) => `\`${m}\``);

const table = sections
  .map((section) =>
    [
      `### ${section.title}`,
      '',
      '| value | default | description |',
      '|---|---|---|',
      ...section.params.map((p) => `| \`${p.path}\` | ${defaultOf(p.path)} | ${describe(p.text)} |`),
    ].join('\n'),
  )
  .join('\n\n');

const begin = readme.indexOf(BEGIN);
const end = readme.indexOf(END);
if (begin === -1 || end === -1 || end < begin) problems.push(`${readmePath} lacks the ${BEGIN} ... ${END} markers`);

if (problems.length > 0) {
  for (const p of problems) console.error(`helm-values-table: ${p}`);
  process.exit(1);
}

const updated = `${readme.slice(0, begin + BEGIN.length)}\n\n${table}\n\n${readme.slice(end)}`;
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('helm-values-table: the values table of helm/flowgate/README.md is out of date: run node scripts/helm-values-table.mjs');
    process.exit(1);
  }
  console.error(`helm-values-table: README table up to date (${documented.size} documented values)`);
} else {
  writeFileSync(readmePath, updated);
  console.error(`helm-values-table: README table written (${documented.size} documented values)`);
}
