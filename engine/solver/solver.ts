// The solver: runs every stage of the plan at once, each waiting only for what its steps need; walks
// a stage's steps (config-only steps change the state in place, the others go through solveStep);
// leaves each stage with an image, and the target with exactly its config. The first failure
// cancels the rest. It knows no step kind: ops do (engine/steps/).
import { BuildError } from '../build-error.js';
import { digestOf } from '../cache/key.js';
import type { StepRef } from '../events.js';
import { configWithoutTimes } from '../image/config.js';
import { KnownFs } from '../image/known-fs.js';
import { withMetadataStep, type ImageState } from '../image/state.js';
import type { StagePlan } from '../plan/plan.js';
import type { DispatchedStep } from '../plan/step.js';
import type { Op } from './op.js';
import { failedStep, solveStep } from './solve-step.js';
import type { SolverEnv, StageOutcome } from './solver-env.js';

export type { SolverEnv, StageOutcome } from './solver-env.js';

function stepRef(stage: StagePlan, step: DispatchedStep | undefined, index: number, total: number): StepRef {
  return {
    id: `${stage.node.index}.${index}`,
    stage: stage.node.displayName,
    stageIndex: stage.node.index,
    index,
    total,
    name: step ? step.displayText : `FROM ${stage.node.baseName}`,
    line: step ? step.instruction.range.start.line : stage.node.definition.from.range.start.line,
  };
}

export class Solver {
  /** The last step of each finished stage, for the dependencies of the steps that read it. */
  private readonly lastSteps = new Map<number, string>();

  constructor(private readonly env: SolverEnv) {}

  /** Runs every stage; resolves with the target's outcome, or rejects with the first failure. */
  async solve(): Promise<StageOutcome> {
    const { plan, scheduler } = this.env;
    const runners = plan.stages.map((stage) =>
      this.runStage(stage).then(
        (outcome) => scheduler.stageDone(stage.node.index, outcome),
        (error: unknown) => {
          scheduler.cancel(error);
          scheduler.stageFailed(stage.node.index, error);
        },
      ),
    );
    await Promise.all(runners);
    // Cancellations point at the real failure.
    if (scheduler.failure !== undefined)
      throw scheduler.failure instanceof Error ? scheduler.failure : new Error(String(scheduler.failure));
    return scheduler.waitForStage(plan.target.index);
  }

  private lastStepOf = (stageIndex: number): string => this.lastSteps.get(stageIndex) ?? `${stageIndex}.0`;

  private async runStage(stage: StagePlan): Promise<StageOutcome> {
    const counted = stage.steps.filter((s) => s.counted).length;
    const fromImage = stage.node.base.kind === 'image';
    const total = counted + (fromImage ? 1 : 0);
    const start = fromImage
      ? await this.fromImage(stage, stepRef(stage, undefined, 1, total))
      : await this.env.from(stage);
    const ops = new Map<DispatchedStep, Op>();
    for (const step of stage.steps) if (step.action.kind !== 'config') ops.set(step, this.env.ops(step));
    if (!this.env.dryRun) for (const op of ops.values()) op.prefetch?.(this.env.scheduler.signal);
    try {
      return await this.runSteps(stage, start, { ops, total, stepsSoFar: fromImage ? 1 : 0 });
    } catch (error) {
      // Cancel the rest now: prefetches may be waiting for a stage that is still running.
      this.env.scheduler.cancel(error);
      throw error;
    } finally {
      // Fetched files a failed or cached stage never used.
      await Promise.all([...ops.values()].map((op) => op.dispose().catch(() => undefined)));
    }
  }

  /** The FROM of an image as a step of its own: resolving (maybe pulling) the image takes time. */
  private async fromImage(stage: StagePlan, ref: StepRef): Promise<StageOutcome> {
    const stageStart = Date.now();
    this.env.emit({ type: 'step-start', time: Date.now(), step: ref, deps: [] });
    let start: StageOutcome;
    try {
      start = await this.env.from(stage);
    } catch (error) {
      const failure = BuildError.forStep(failedStep(this.env, ref), error);
      this.env.emit({
        type: 'step-error',
        time: Date.now(),
        stepId: ref.id,
        message: failure.reason,
        cancelled: false,
      });
      throw failure;
    }
    const seconds = (Date.now() - stageStart) / 1000;
    this.env.emit({ type: 'step-done', time: Date.now(), stepId: ref.id, seconds, layerSize: 0, deps: [] });
    return start;
  }

  private async runSteps(
    stage: StagePlan,
    start: StageOutcome,
    walk: { ops: ReadonlyMap<DispatchedStep, Op>; total: number; stepsSoFar: number },
  ): Promise<StageOutcome> {
    const { env } = this;
    let current = start;
    let index = walk.stepsSoFar;
    const isTarget = stage.node.index === env.plan.target.index;
    // Known only now: the FROM waited for the base stage.
    let previousStepId: string | undefined =
      walk.stepsSoFar > 0
        ? `${stage.node.index}.1`
        : stage.node.base.kind === 'stage'
          ? this.lastStepOf(stage.node.base.stage)
          : undefined;
    for (const step of stage.steps) {
      env.scheduler.throwIfCancelled();
      const time = new Date();
      if (!step.counted || step.action.kind === 'config') {
        // Metadata changes no file: like BuildKit, it is not part of later steps' keys (what a later
        // step depends on — env, user, workdir — is in that step's own key).
        const state = withMetadataStep(current.state, {
          configAfter: step.configAfter,
          history: step.history,
          time,
          ...(env.epoch ? { epoch: env.epoch } : {}),
        });
        current = { state, key: current.key, ...(current.virtual ? { virtual: true } : {}) };
        if (!step.counted) continue;
      }
      const ref = stepRef(stage, step, ++index, walk.total);
      const op = walk.ops.get(step);
      if (!op) {
        // A counted step with nothing to do (WORKDIR /): done at once, on no one's path.
        env.emit({ type: 'step-start', time: Date.now(), step: ref });
        env.emit({ type: 'step-done', time: Date.now(), stepId: ref.id, seconds: 0, layerSize: 0 });
        continue;
      }
      const deps = previousStepId ? [previousStepId] : [];
      let next: StageOutcome;
      try {
        next = await solveStep(env, { stage, step, ref, current, time, deps, op, lastStepOf: this.lastStepOf });
      } finally {
        env.hooks.settled?.(step);
      }
      current = current.virtual ? { ...next, virtual: true } : next;
      previousStepId = ref.id;
      // The target's image is needed in the end: a worker may start making it now.
      if (isTarget && !current.virtual && !env.dryRun) env.worker.preload?.(current.state);
    }
    this.lastSteps.set(stage.node.index, previousStepId ?? '');
    if (current.virtual || env.dryRun) return current;
    const state = await this.stageImage(stage, current);
    const image = (state.imageId ?? state.layerImageId) as string;
    const size = await env.worker.images.size(image);
    env.emit({
      type: 'stage-done',
      time: Date.now(),
      stage: stage.node.displayName,
      stageIndex: stage.node.index,
      imageId: image,
      size,
    });
    return { state, key: current.key };
  }

  /**
   * The stage's image. Only the target needs one with its exact config (other stages are read
   * through their layers). When the stage ends with metadata steps its config must be loaded; the
   * loaded image is cached under the stage's final key so a cached rebuild loads nothing.
   */
  private async stageImage(stage: StagePlan, current: StageOutcome): Promise<ImageState> {
    const isTarget = stage.node.index === this.env.plan.target.index;
    if (!isTarget && current.state.layerImageId !== undefined) return current.state;
    try {
      if (current.state.imageId !== undefined) return current.state;
      // The final config depends on metadata steps too: they are part of this key.
      const resultKey = digestOf({ layers: current.key, config: configWithoutTimes(current.state.config) });
      const known = await this.env.cache.lookUp(resultKey, stage.node);
      if (known) return stateFromEntry(known);
      const state = await this.env.exportState(current.state, this.env.scheduler.signal);
      await this.env.cache.recordResult({
        key: resultKey,
        imageId: state.imageId as string,
        configImageId: state.imageId as string,
        config: state.config,
        stage: stage.node.displayName,
        step: '(stage result)',
        seconds: 0,
        layerSize: 0,
        created: new Date().toISOString(),
        ...(state.knownFs ? { knownFs: state.knownFs.toJSON() } : {}),
      });
      return state;
    } catch (error) {
      throw await this.env.worker.explainFailure(error, {
        during: `loading the image of stage ${stage.node.displayName}`,
        interrupted: this.env.interrupted(),
      });
    }
  }
}

/** The state a stage result's entry stands for (always loaded with its config). */
function stateFromEntry(entry: {
  config: ImageState['config'];
  imageId: string;
  configImageId?: string;
  knownFs?: ConstructorParameters<typeof KnownFs>[0];
}): ImageState {
  return {
    config: entry.config,
    imageId: entry.configImageId ?? entry.imageId,
    parentConfig: entry.config,
    layerImageId: entry.config.rootfs.diff_ids.length > 0 ? entry.imageId : undefined,
    ...(entry.knownFs ? { knownFs: new KnownFs(entry.knownFs) } : {}),
  };
}
