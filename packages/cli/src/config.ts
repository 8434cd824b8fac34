import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './exit-codes';

/**
 * Where the CLI reaches Flowgate: `flowgate login` stores the URL and API key in
 * `$FLOWGATE_CONFIG_DIR/config.json` (default `~/.config/flowgate/config.json`), mode 0600;
 * FLOWGATE_URL / FLOWGATE_API_KEY override it, `--url` overrides both.
 */
export interface Target {
  url: string;
  apiKey: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLOWGATE_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'flowgate');
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Partial<Target> {
  const file = configFile(env);
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown; api_key?: unknown };
    return {
      ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}),
      ...(typeof parsed.api_key === 'string' ? { apiKey: parsed.api_key } : {}),
    };
  } catch (err) {
    throw new CliError('invalid_config', `${file} is not valid JSON (${(err as Error).message}); run flowgate login again`);
  }
}

export function writeConfig(target: Target, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = configFile(env);
  writeFileSync(file, `${JSON.stringify({ url: target.url, api_key: target.apiKey }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function resolveTarget(flags: { url?: string }, env: NodeJS.ProcessEnv = process.env): Target {
  const stored = readConfig(env);
  const url = flags.url || env.FLOWGATE_URL || stored.url;
  const apiKey = env.FLOWGATE_API_KEY || stored.apiKey;
  if (!url || !apiKey)
    throw new CliError(
      'not_logged_in',
      'No Flowgate URL or API key: run `flowgate login --url <url> --api-key-stdin` or set FLOWGATE_URL and FLOWGATE_API_KEY',
      EXIT.usage,
    );
  return { url, apiKey };
}
