import { ConfigError, loadConfig } from '../src/config';
import {
  DEFAULT_METRICS_MAX_WORKSPACES,
  WORKSPACE_LABEL_NONE,
  WORKSPACE_LABEL_OTHER,
  WorkspaceLabels,
  workspaceLabelConfigShape,
} from '../src/workspace-label';

describe('WorkspaceLabels', () => {
  it('gives the first N distinct workspaces their own value and every later one _other', () => {
    const labels = new WorkspaceLabels(2);
    expect(labels.of('ws_a')).toBe('ws_a');
    expect(labels.of('ws_b')).toBe('ws_b');
    expect(labels.of('ws_c')).toBe(WORKSPACE_LABEL_OTHER);
    expect(labels.of('ws_d')).toBe(WORKSPACE_LABEL_OTHER);
    // The first two keep theirs; a later one never displaces them.
    expect(labels.of('ws_a')).toBe('ws_a');
    expect(labels.of('ws_b')).toBe('ws_b');
    expect(labels.of('ws_c')).toBe(WORKSPACE_LABEL_OTHER);
    expect(labels.size).toBe(2);
  });

  it('counts a workspace seen again once', () => {
    const labels = new WorkspaceLabels(2);
    for (let i = 0; i < 5; i++) expect(labels.of('ws_a')).toBe('ws_a');
    expect(labels.of('ws_b')).toBe('ws_b');
    expect(labels.of('ws_c')).toBe(WORKSPACE_LABEL_OTHER);
  });

  it('labels a missing workspace _none, which takes no place in the bound', () => {
    const labels = new WorkspaceLabels(1);
    expect(labels.of(null)).toBe(WORKSPACE_LABEL_NONE);
    expect(labels.of(undefined)).toBe(WORKSPACE_LABEL_NONE);
    expect(labels.of('')).toBe(WORKSPACE_LABEL_NONE);
    expect(labels.of('ws_a')).toBe('ws_a');
    expect(labels.of('ws_b')).toBe(WORKSPACE_LABEL_OTHER);
    expect(labels.of(null)).toBe(WORKSPACE_LABEL_NONE);
  });

  it('with 0 gives no workspace a value of its own', () => {
    const labels = new WorkspaceLabels(0);
    expect(labels.of('ws_a')).toBe(WORKSPACE_LABEL_OTHER);
    expect(labels.of('ws_a')).toBe(WORKSPACE_LABEL_OTHER);
    expect(labels.of(null)).toBe(WORKSPACE_LABEL_NONE);
    expect(labels.size).toBe(0);
  });

  it('never holds more than N workspaces, however many it sees', () => {
    const labels = new WorkspaceLabels(100);
    const values = new Set<string>();
    for (let i = 0; i < 10_000; i++) values.add(labels.of(`ws_${i}`));
    expect(labels.size).toBe(100);
    expect(values.size).toBe(101);
    expect(values.has(WORKSPACE_LABEL_OTHER)).toBe(true);
    expect(labels.of('ws_99')).toBe('ws_99');
    expect(labels.of('ws_100')).toBe(WORKSPACE_LABEL_OTHER);
  });

  it('returns the id string itself (no copy per call)', () => {
    const labels = new WorkspaceLabels(1);
    const id = ['ws', 'a'].join('_');
    expect(labels.of(id)).toBe(id);
    expect(labels.of('ws_a')).toBe(id);
  });

  it('refuses a negative or fractional bound', () => {
    expect(() => new WorkspaceLabels(-1)).toThrow(RangeError);
    expect(() => new WorkspaceLabels(1.5)).toThrow(RangeError);
  });
});

describe('FLOWGATE_METRICS_MAX_WORKSPACES', () => {
  it('defaults to 100 and accepts 0', () => {
    expect(loadConfig(workspaceLabelConfigShape, {}).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(DEFAULT_METRICS_MAX_WORKSPACES);
    expect(DEFAULT_METRICS_MAX_WORKSPACES).toBe(100);
    expect(loadConfig(workspaceLabelConfigShape, { FLOWGATE_METRICS_MAX_WORKSPACES: '0' }).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(0);
    expect(loadConfig(workspaceLabelConfigShape, { FLOWGATE_METRICS_MAX_WORKSPACES: '250' }).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(250);
  });

  it.each(['-1', '1.5', 'many', '10001'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig(workspaceLabelConfigShape, { FLOWGATE_METRICS_MAX_WORKSPACES: value })).toThrow(ConfigError);
    expect(() => loadConfig(workspaceLabelConfigShape, { FLOWGATE_METRICS_MAX_WORKSPACES: value })).toThrow(
      /FLOWGATE_METRICS_MAX_WORKSPACES/,
    );
  });
});
