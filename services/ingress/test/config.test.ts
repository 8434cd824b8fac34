import { randomBytes } from 'node:crypto';
import { loadIngressConfig } from '../src/config';

const base = { FLOWGATE_ENCRYPTION_KEY: randomBytes(32).toString('base64') };

describe('ingress configuration: FLOWGATE_METRICS_MAX_WORKSPACES', () => {
  it('defaults to 100 workspaces with a label value of their own; 0 gives none', () => {
    expect(loadIngressConfig(base).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(100);
    expect(loadIngressConfig({ ...base, FLOWGATE_METRICS_MAX_WORKSPACES: '0' }).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(0);
  });

  it.each(['-1', 'lots', '100000'])('refuses %s at start-up, naming the variable', (value) => {
    expect(() => loadIngressConfig({ ...base, FLOWGATE_METRICS_MAX_WORKSPACES: value })).toThrow(/FLOWGATE_METRICS_MAX_WORKSPACES/);
  });
});
