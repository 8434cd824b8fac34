/**
 * @flowgate/cli: the `flowgate` command line. The surface other code uses: `run(argv)` (the whole
 * CLI, resolving with its exit code), the pure pieces its tests cover (the apply plan, the timeline
 * rendering) and the exit codes.
 */
export { run } from './program';
export { planApply, renderPlan, type PlanItem, type PlanInput, type RemoteWorkflow } from './plan';
export { renderTimeline, durationText } from './timeline';
export { EXIT, CliError, type ExitCode } from './exit-codes';
export { parseDefinitionFile, readDefinitions, type LocalDefinition } from './definitions';
