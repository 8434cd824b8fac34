import { ApiError, ERROR_STATUS } from '@flowgate/contracts';
import { WorkspaceLabels } from '@flowgate/kit';
import {
  countRejection,
  rejection,
  rejectionMetricOf,
  rejectionReasonOf,
  WEBHOOK_REJECTIONS,
  WEBHOOK_STAGES,
  WebhookRejection,
  type RejectionReason,
} from '../../src/webhook/rejections';

const rows = Object.entries(WEBHOOK_REJECTIONS) as [RejectionReason, (typeof WEBHOOK_REJECTIONS)[RejectionReason]][];

describe('the webhook rejection table', () => {
  it.each(rows)('%s answers with the status of each of its codes', (_reason, row) => {
    for (const code of row.codes) expect(ERROR_STATUS[code]).toBe(row.status);
  });

  it('names only stages of the webhook path', () => {
    for (const [, row] of rows) expect(WEBHOOK_STAGES).toContain(row.stage);
  });

  it('builds a stage refusal from its row: the first code, the row message, the given details and headers', () => {
    const err = rejection('method', { message: 'This webhook accepts POST', headers: { Allow: 'POST' } });
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ reason: 'method', code: 'method_not_allowed', status: 405, headers: { Allow: 'POST' } });
    expect(rejection('disabled').toBody()).toEqual({ error: { code: 'trigger_disabled', message: 'This webhook is disabled' } });
    expect(rejection('auth', { code: 'invalid_signature', message: 'bad' })).toMatchObject({ code: 'invalid_signature', status: 401 });
  });

  it('attributes a stage refusal to its own reason, even where two reasons share a code', () => {
    expect(rejectionReasonOf('resolve', rejection('unknown_workflow'))).toBe('unknown_workflow');
    expect(rejectionReasonOf('resolve', rejection('unknown_token'))).toBe('unknown_token');
  });

  it("attributes a dependency's error to the row of the stage it was raised in", () => {
    expect(rejectionReasonOf('admit', new ApiError('rate_limited', 'slow down'))).toBe('rate_limited');
    expect(rejectionReasonOf('start', new ApiError('dependency_unavailable', 'down'))).toBe('publish_failed');
    expect(rejectionReasonOf('start', new ApiError('quota_exceeded', 'over'))).toBe('quota');
    expect(rejectionReasonOf('resolve', new ApiError('workflow_not_published', 'none'))).toBe('not_published');
    // The same code in another stage is not that stage's refusal (the idempotency claim's 503 is not a failed publish).
    expect(rejectionReasonOf('claim', new ApiError('dependency_unavailable', 'down'))).toBeNull();
    expect(rejectionReasonOf('start', new Error('bug'))).toBeNull();
  });

  it('counts refused webhooks under their metric label; malformed requests are not counted', () => {
    expect(rejectionMetricOf('auth')).toBe('auth');
    expect(rejectionMetricOf('publish_failed')).toBe('publish_failed');
    expect(rejectionMetricOf('invalid_body')).toBeNull();
    expect(rejectionMetricOf('idempotency_key')).toBeNull();
  });

  it('keeps the reason on the error the error handler answers with', () => {
    const err: unknown = rejection('parameters', { code: 'missing_parameters', message: 'Missing', details: { parameters: [] } });
    expect(err instanceof WebhookRejection && err.reason).toBe('parameters');
    expect((err as ApiError).toBody()).toEqual({ error: { code: 'missing_parameters', message: 'Missing', details: { parameters: [] } } });
  });

  it('counts a refusal under its label once, a malformed request or a bug not at all', () => {
    const counted: string[] = [];
    const counter = { inc: (labels: { reason: string; workspace_id: string }) => void counted.push(labels.reason) };
    const workspaces = new WorkspaceLabels();
    expect(countRejection(counter, workspaces, 'resolve', rejection('unknown_source'), null)).toBe('unknown_source');
    expect(countRejection(counter, workspaces, 'start', new ApiError('quota_exceeded', 'over'), 'ws_a')).toBe('quota');
    expect(countRejection(counter, workspaces, 'read_input', new ApiError('invalid_json', 'bad'), 'ws_a')).toBe('invalid_body');
    expect(countRejection(counter, workspaces, 'start', new Error('bug'), 'ws_a')).toBeNull();
    expect(counted).toEqual(['unknown_token', 'quota']);
  });

  it("counts a refusal under its workspace's bounded label: the route's, else the stage's, else _none", () => {
    const counted: { reason: string; workspace_id: string }[] = [];
    const counter = { inc: (labels: { reason: string; workspace_id: string }) => void counted.push(labels) };
    const workspaces = new WorkspaceLabels(2);
    countRejection(counter, workspaces, 'resolve', rejection('unknown_token'), null);
    countRejection(counter, workspaces, 'resolve', rejection('disabled', { workspaceId: 'ws_a' }), null);
    countRejection(counter, workspaces, 'admit', new ApiError('rate_limited', 'slow down'), 'ws_b');
    countRejection(counter, workspaces, 'start', new ApiError('quota_exceeded', 'over'), 'ws_c');
    countRejection(counter, workspaces, 'authenticate', rejection('auth', { code: 'invalid_signature' }), 'ws_a');
    expect(counted).toEqual([
      { reason: 'unknown_token', workspace_id: '_none' },
      { reason: 'disabled', workspace_id: 'ws_a' },
      { reason: 'rate_limited', workspace_id: 'ws_b' },
      { reason: 'quota', workspace_id: '_other' },
      { reason: 'auth', workspace_id: 'ws_a' },
    ]);
  });

  it('never puts the workspace a stage named into the answer', () => {
    expect(rejection('disabled', { workspaceId: 'ws_a' }).toBody()).toEqual({
      error: { code: 'trigger_disabled', message: 'This webhook is disabled' },
    });
  });
});
