import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as ExecutionProto } from './generated/execution';
import type { ProtoGrpcType as SchedulerProto } from './generated/scheduler';

/** Loads `proto/flowgate/v1/*.proto` (the RPC contract) with @grpc/proto-loader. */

function findProtoDir(): string {
  const fromEnv = process.env.FLOWGATE_PROTO_DIR;
  if (fromEnv) return fromEnv;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'flowgate', 'v1'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('proto/ folder not found; set FLOWGATE_PROTO_DIR');
    dir = parent;
  }
}

const LOADER_OPTIONS: protoLoader.Options = { longs: String, enums: String, defaults: true, oneofs: true };

function load<T>(file: string): T {
  const protoDir = findProtoDir();
  const definition = protoLoader.loadSync(join(protoDir, 'flowgate', 'v1', file), { ...LOADER_OPTIONS, includeDirs: [protoDir] });
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

export const loadExecutionProto = (): ExecutionProto => load<ExecutionProto>('execution.proto');
export const loadSchedulerProto = (): SchedulerProto => load<SchedulerProto>('scheduler.proto');

export type { Execution, Execution__Output } from './generated/flowgate/v1/Execution';
export type { StepExecution } from './generated/flowgate/v1/StepExecution';
export type { ExecutionServiceHandlers, ExecutionServiceClient } from './generated/flowgate/v1/ExecutionService';
export type { SchedulerServiceHandlers, SchedulerServiceClient } from './generated/flowgate/v1/SchedulerService';
export type { Timer, Timer__Output } from './generated/flowgate/v1/Timer';
export type { Schedule, Schedule__Output } from './generated/flowgate/v1/Schedule';
export type { UpsertScheduleRequest, UpsertScheduleRequest__Output } from './generated/flowgate/v1/UpsertScheduleRequest';
export type { DeleteScheduleResponse } from './generated/flowgate/v1/DeleteScheduleResponse';
export type { ListExecutionsRequest } from './generated/flowgate/v1/ListExecutionsRequest';
export type { ListExecutionsResponse__Output } from './generated/flowgate/v1/ListExecutionsResponse';
