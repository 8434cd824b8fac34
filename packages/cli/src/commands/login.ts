import { createFlowgateClient, unwrap } from '@flowgate/client';
import { readConfig, writeConfig } from '../config';
import type { Context } from '../context';
import { usageError } from '../exit-codes';

/**
 * `flowgate login --url <url> [--api-key-stdin]`: checks the key against the API, then stores URL
 * and key (config.ts, mode 0600). The key comes from stdin or FLOWGATE_API_KEY — not from an
 * argument, which other users could read in the process list.
 */
export interface LoginOptions {
  apiKeyStdin?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export async function login(ctx: Context, options: LoginOptions): Promise<void> {
  const url = ctx.options.url || process.env.FLOWGATE_URL || readConfig().url;
  if (!url) throw usageError('login needs --url <ingress URL> (or FLOWGATE_URL)');
  const apiKey = options.apiKeyStdin ? await readStdin() : process.env.FLOWGATE_API_KEY;
  if (!apiKey) throw usageError('login needs an API key: pipe it to --api-key-stdin, or set FLOWGATE_API_KEY');
  ctx.out.progress(`Checking the API key against ${url} …`);
  const client = createFlowgateClient({ baseUrl: url, apiKey });
  await unwrap(client.GET('/v1/workflows', { params: { query: { limit: 1 } } }));
  const file = writeConfig({ url, apiKey });
  ctx.out.result(`Logged in to ${url} (saved in ${file}, mode 0600)`, { url, config_file: file });
}
