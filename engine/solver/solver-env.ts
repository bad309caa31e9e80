// What the solver works with: the plan, the scheduler, the cache, the worker, the ops, and where its
// events go. Built once per build by the orchestrator; tests build it from fakes.
import type { StepCache } from '../cache/step-cache.js';
import type { BuildEvent } from '../events.js';
import type { ImageState } from '../image/state.js';
import type { BuildPlan, StagePlan } from '../plan/plan.js';
import type { DispatchedStep } from '../plan/step.js';
import type { Worker } from '../worker/worker.js';
import type { OpFactory } from './op.js';
import type { Scheduler } from './scheduler.js';

/** Stage result handed to stages that build on or copy from it. */
export interface StageOutcome {
  state: ImageState;
  key: string;
  /** In a dry run: the stage would run a step, so its result does not exist yet. */
  virtual?: boolean;
}

/** Observers of the step loop that are not part of it (warming network namespaces ahead of RUNs). */
export interface SolverHooks {
  /** A step missed the cache and is about to run. */
  miss?(step: DispatchedStep): void;
  /** A step is over: cached, run, or failed. */
  settled?(step: DispatchedStep): void;
}

export interface SolverEnv {
  plan: BuildPlan;
  scheduler: Scheduler<StageOutcome>;
  cache: StepCache;
  worker: Worker;
  /** The op of each step that writes (or may write) a layer. */
  ops: OpFactory;
  /** The FROM of a stage: its starting state and key (waiting for a base stage, resolving a base image). */
  from(stage: StagePlan): Promise<StageOutcome>;
  /** The state as a daemon image with exactly its config; steps recorded as waiting for it are written. */
  exportState(state: ImageState, signal?: AbortSignal): Promise<ImageState>;
  /** The ID a base image resolved to in this build, for miss explanations. */
  baseImageId(ref: string): string | undefined;
  emit(event: BuildEvent): void;
  /** Keys of step identities across builds: the context directory and the Dockerfile path. */
  identity: { context: string; dockerfile: string };
  /** SOURCE_DATE_EPOCH: history and config times. */
  epoch?: Date;
  /** Compute keys and explain misses only (`cache explain`): nothing runs, loads or is recorded. */
  dryRun: boolean;
  /** True when the caller interrupted the build (its failures are then reported as they are). */
  interrupted(): boolean;
  hooks: SolverHooks;
}
