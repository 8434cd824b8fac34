import { requiredScope, scopeAllows } from '../src/api-key-scopes';

describe('API key scopes', () => {
  it('maps management routes to the scope they need', () => {
    expect(requiredScope('GET', '/v1/workflows')).toBe('workflows:read');
    expect(requiredScope('GET', '/v1/workflows/wf_1/context')).toBe('workflows:read');
    expect(requiredScope('POST', '/v1/workflows/wf_1/publish')).toBe('workflows:write');
    expect(requiredScope('DELETE', '/v1/sources/src_1')).toBe('workflows:write');
    expect(requiredScope('GET', '/v1/triggers')).toBe('workflows:read');
    expect(requiredScope('GET', '/v1/shared-workflows')).toBe('workflows:read');
    expect(requiredScope('POST', '/v1/workflows/wf_1/shares')).toBe('workflows:write');
    expect(requiredScope('GET', '/v1/executions/abc/events')).toBe('executions:read');
    expect(requiredScope('POST', '/v1/executions/abc/cancel')).toBe('executions:write');
    expect(requiredScope('POST', '/v1/deliveries/d/redeliver')).toBe('executions:write');
    expect(requiredScope('GET', '/v1/dead-letters')).toBe('executions:read');
    expect(requiredScope('POST', '/v1/dead-letters/dl_execution_1/retry')).toBe('executions:write');
  });

  it('needs admin for keys, workspace settings and anything not listed', () => {
    expect(requiredScope('GET', '/v1/api-keys')).toBe('admin');
    expect(requiredScope('GET', '/v1/workspace/quotas')).toBe('admin');
    expect(requiredScope('GET', '/v1/workspace')).toBe('admin');
    expect(requiredScope('GET', '/v1/callback-secret')).toBe('admin');
    expect(requiredScope('GET', '/v1/something-new')).toBe('admin');
    // A prefix match is on whole path segments.
    expect(requiredScope('GET', '/v1/workflowsX')).toBe('admin');
  });

  it("needs operator for the installation's workspaces and for the limits set on one", () => {
    expect(requiredScope('GET', '/v1/workspaces')).toBe('operator');
    expect(requiredScope('DELETE', '/v1/workspaces/ws_1')).toBe('operator');
    expect(requiredScope('POST', '/v1/workspaces/ws_1/api-keys')).toBe('operator');
    expect(requiredScope('PUT', '/v1/workspace/quotas')).toBe('operator');
    expect(requiredScope('PUT', '/v1/workspace/egress')).toBe('operator');
    expect(requiredScope('GET', '/v1/workspace/egress')).toBe('admin');
  });

  it('admin does not imply operator; only operator does', () => {
    expect(scopeAllows(['admin'], 'operator')).toBe(false);
    expect(scopeAllows(['admin', 'operator'], 'operator')).toBe(true);
    expect(scopeAllows(['operator'], 'admin')).toBe(false);
  });

  it('admin allows all, write implies read, nothing else', () => {
    expect(scopeAllows(['admin'], 'executions:write')).toBe(true);
    expect(scopeAllows(['workflows:write'], 'workflows:read')).toBe(true);
    expect(scopeAllows(['workflows:read'], 'workflows:write')).toBe(false);
    expect(scopeAllows(['workflows:write'], 'executions:read')).toBe(false);
    expect(scopeAllows(['executions:read', 'workflows:read'], 'admin')).toBe(false);
    expect(scopeAllows([], 'workflows:read')).toBe(false);
  });
});
