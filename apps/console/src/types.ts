/** The parts of the API's answers the console reads (see /openapi.json for all of them). */
export interface ApiErrorBody {
  code: string;
  message: string;
  step_id?: string;
}

export interface StepExecution {
  step_id: string;
  type: string;
  attempt: number;
  status: string;
  input: unknown;
  output: unknown;
  error: ApiErrorBody | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface WaitingPayload {
  message?: string;
  review_url?: string;
  approve_url?: string;
  reject_url?: string;
  resume_url?: string;
  resume_at?: string;
}

export interface Execution {
  id: string;
  workflow_id: string;
  workflow_version: number;
  status: string;
  trigger_input: unknown;
  step_executions?: StepExecution[];
  final_output: unknown;
  error: ApiErrorBody | null;
  replay_of: string | null;
  environment: string;
  test_run: boolean;
  waiting_reason: string | null;
  waiting_payload: WaitingPayload | null;
  waiting_expires_at: string | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface EnvironmentTrigger {
  async: string;
  sync: string;
  enabled: boolean;
  version: number | 'draft' | null;
  curl: string;
}

export interface Workflow {
  id: string;
  name: string;
  published_version: number | null;
  staging_version: number | null;
  definition: unknown;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  triggers: Partial<Record<'development' | 'staging' | 'production', EnvironmentTrigger>>;
}

export const TERMINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];
