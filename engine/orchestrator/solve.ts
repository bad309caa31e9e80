// A planned build run: the start event (its stages and what they wait for), then the plan's stages
// through the solver, with the steps' ops on the build's worker and its scheduler over the work pool.
import type { StepCache } from '../cache/step-cache.js';
import type { BuildEvent, BuildStartEvent } from '../events.js';
import type { ImageState } from '../image/state.js';
import type { ResolvedOptions } from '../options.js';
import { formatPlatform } from '../plan/args.js';
import type { BuildPlan } from '../plan/plan.js';
import { Scheduler, WorkPool } from '../solver/scheduler.js';
import { Solver, type StageOutcome } from '../solver/solver.js';
import { stageResults, type StepEnv } from '../steps/env.js';
import { startStage } from '../steps/from.js';
import { networkWarmup } from '../steps/network-warmup.js';
import { opsFor } from '../steps/ops.js';
import type { Worker } from '../worker/worker.js';

export function buildStartEvent(
  plan: BuildPlan,
  build: { buildId: string; jobs: number; worker: string },
): BuildStartEvent {
  return {
    type: 'build-start',
    time: Date.now(),
    buildId: build.buildId,
    target: plan.target.displayName,
    jobs: build.jobs,
    worker: build.worker,
    stages: plan.stages.map((stage) => ({
      name: stage.node.displayName,
      index: stage.node.index,
      dependsOn: [...new Set(stage.node.dependencies.map((d) => plan.graph.stages[d.stage].displayName))],
      steps: stage.steps.filter((s) => s.counted).length,
    })),
  };
}

export function solvePlan(context: {
  plan: BuildPlan;
  steps: Omit<StepEnv, 'stages'>;
  options: ResolvedOptions;
  cache: StepCache;
  worker: Worker;
  exportState: (state: ImageState, signal?: AbortSignal) => Promise<ImageState>;
  emit: (event: BuildEvent) => void;
  signal: AbortSignal;
}): Promise<StageOutcome> {
  const { plan, steps, options, exportState } = context;
  const scheduler = new Scheduler<StageOutcome>(options.pool ?? new WorkPool(options.jobs), context.signal);
  const env: StepEnv = {
    ...steps,
    stages: stageResults(plan.graph, { wait: (index) => scheduler.waitForStage(index), exportState }),
  };
  return new Solver({
    plan,
    scheduler,
    cache: context.cache,
    worker: context.worker,
    ops: opsFor(env),
    from: (stage) => startStage({ ...env, platform: formatPlatform(plan.platform) }, stage),
    exportState,
    baseImageId: (ref) => steps.baseImages.idOf(ref),
    emit: context.emit,
    identity: { context: options.contextDir, dockerfile: options.dockerfilePath ?? '(inline)' },
    ...(steps.epoch ? { epoch: steps.epoch } : {}),
    dryRun: options.dryRun,
    interrupted: () => options.signal?.aborted === true,
    hooks: networkWarmup(plan, context.worker, options.network),
  }).solve();
}
