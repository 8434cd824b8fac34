import { loadExecutionConfig } from '../src/config';

describe('execution configuration: FLOWGATE_METRICS_MAX_WORKSPACES', () => {
  it('defaults to 100, accepts 0 and refuses what is not a count up to 10 000', () => {
    expect(loadExecutionConfig({}).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(100);
    expect(loadExecutionConfig({ FLOWGATE_METRICS_MAX_WORKSPACES: '0' }).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(0);
    for (const value of ['-1', '2.5', '10001'])
      expect(() => loadExecutionConfig({ FLOWGATE_METRICS_MAX_WORKSPACES: value })).toThrow(/FLOWGATE_METRICS_MAX_WORKSPACES/);
  });
});
