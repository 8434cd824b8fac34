import { createFlowgateClient, type FlowgateClient } from '@flowgate/client';
import { resolveTarget, type Target } from './config';
import { usageError } from './exit-codes';
import { Output } from './output';

/** What every command gets: the parsed global options, the output, and (lazily) the API. */
export interface GlobalOptions {
  url?: string;
  output?: string;
}

export class Context {
  readonly out: Output;
  private resolved: Target | undefined;

  constructor(readonly options: GlobalOptions) {
    if (options.output !== undefined && options.output !== 'json' && options.output !== 'text')
      throw usageError(`--output must be json or text, not "${options.output}"`);
    this.out = new Output(options.output === 'json');
  }

  get target(): Target {
    this.resolved ??= resolveTarget(this.options);
    return this.resolved;
  }

  client(): FlowgateClient {
    return createFlowgateClient({ baseUrl: this.target.url, apiKey: this.target.apiKey });
  }
}
