import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { validateDefinition } from '@flowgate/core';
import { parse as parseYaml } from 'yaml';
import { CliError } from './exit-codes';

/**
 * Workflow definitions kept as files: one per file, YAML (.yaml, .yml) or JSON (.json); a folder
 * gives every such file in it (not its sub-folders), sorted by name. Each is validated with the
 * platform's own rules (@flowgate/core) and normalized (defaults applied) so it compares equal to
 * the definition the API stores.
 */
export interface LocalDefinition {
  file: string;
  name: string;
  /** What is sent: the file's content, parsed. */
  source: unknown;
  /** What the API would store: the definition with its defaults (compared with the remote draft). */
  normalized: unknown;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function definitionFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new CliError('file_not_found', `${path}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((name) => EXTENSIONS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(path, name));
  if (files.length === 0) throw new CliError('file_not_found', `${path}: no .yaml, .yml or .json files`);
  return files;
}

export function parseDefinitionFile(file: string, text: string): LocalDefinition {
  let source: unknown;
  try {
    source = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new CliError(
      'invalid_workflow_definition',
      `${file}: not valid ${extname(file).slice(1).toUpperCase()}: ${(err as Error).message}`,
    );
  }
  const result = validateDefinition(source);
  if (!result.ok)
    throw new CliError(
      'invalid_workflow_definition',
      `${file}: ${result.issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')}`,
      undefined,
      { file, issues: result.issues },
    );
  return { file, name: result.definition.name, source, normalized: result.definition };
}

export function readDefinitions(paths: string[]): LocalDefinition[] {
  const definitions = paths.flatMap(definitionFiles).map((file) => parseDefinitionFile(file, readFileSync(file, 'utf8')));
  const seen = new Map<string, string>();
  for (const d of definitions) {
    const other = seen.get(d.name);
    if (other) throw new CliError('duplicate_workflow_name', `${d.file} and ${other} both define workflow "${d.name}"`);
    seen.set(d.name, d.file);
  }
  return definitions;
}
