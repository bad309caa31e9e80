// The one loop every step that writes a layer goes through, whatever its kind: wait for its inputs,
// compute its key, look it up, explain a miss, run it through the pool (identical work joins the run
// already going), record the result. Failures are wrapped with the step once; a step stopped because
// another failed says so.
import { BuildError, type FailedStep } from '../build-error.js';
import { digestOf, stepKey } from '../cache/key.js';
import type { CacheEntry, StepInputsRecord } from '../cache/store.js';
import { sourceLineAt } from '../dockerfile/errors.js';
import type { StepRef } from '../events.js';
import { withCachedStep } from '../image/state.js';
import type { DispatchedStep } from '../plan/step.js';
import { OutputTail } from '../util/output-tail.js';
import type { Op, StepRun } from './op.js';
import { CancelledError } from './scheduler.js';
import type { SolverEnv, StageOutcome } from './solver-env.js';

/** One step of a stage to solve: where it stands, what it builds on, and what it depends on so far. */
export interface StepTask {
  stage: SolverEnv['plan']['stages'][number];
  step: DispatchedStep;
  ref: StepRef;
  current: StageOutcome;
  time: Date;
  /** The step before it (its parent), if any. */
  deps: string[];
  op: Op;
  /** The last step of a finished stage, for the dependencies of a step that reads it. */
  lastStepOf(stageIndex: number): string;
}

/** The step as its failure names it: label, file, line and the line itself for a caret. */
export function failedStep(env: SolverEnv, ref: StepRef): FailedStep {
  return {
    id: ref.id,
    label: `[${ref.stage} ${ref.index}/${ref.total}] ${ref.name}`,
    file: env.plan.ast.file,
    line: ref.line,
    sourceLine: sourceLineAt(env.plan.ast.source, ref.line),
  };
}

/** Identity of a step across builds (same context, Dockerfile, stage and position): its last inputs are kept under it. */
function identityOf(env: SolverEnv, task: StepTask): string {
  return digestOf({
    context: env.identity.context,
    dockerfile: env.identity.dockerfile,
    stage: task.stage.node.displayName,
    index: task.ref.index,
  });
}

/**
 * A cache hit: the step's recorded layers stand in for running it. The config comes from this
 * build's plan (metadata before the step may differ from the build that recorded it).
 */
function reuse(env: SolverEnv, task: StepTask, hit: CacheEntry, key: string): StageOutcome {
  env.emit({ type: 'step-cached', time: Date.now(), step: task.ref, savedSeconds: hit.seconds });
  env.cache.usedKeys.add(key);
  return { state: withCachedStep(task.current.state, hit, task.step.configAfter, task.step.history), key };
}

export async function solveStep(env: SolverEnv, task: StepTask): Promise<StageOutcome> {
  const { stage, step, ref, current, op } = task;
  const scope = stage.node;
  const tail = new OutputTail(20);
  const run: StepRun = {
    time: task.time,
    signal: env.scheduler.signal,
    log: (stream, text) => {
      tail.push(text);
      env.emit({ type: 'step-log', time: Date.now(), stepId: ref.id, stream, text });
    },
  };
  let started = false;
  try {
    const inputs = await op.waitForInputs(env.scheduler.signal);
    const deps = [...task.deps, ...inputs.stages.map((index) => task.lastStepOf(index))];
    if (!inputs.ready) {
      env.emit({
        type: 'cache-miss',
        time: Date.now(),
        stepId: ref.id,
        reasons: [`stage ${inputs.rebuiltStage} will be rebuilt first`],
      });
      return { state: current.state, key: `unknown:${ref.id}`, virtual: true };
    }
    started = true;
    env.emit({ type: 'step-start', time: Date.now(), step: ref, deps });
    const startedAt = Date.now();
    const known = op.knownInputs?.();
    if (known) {
      const knownKey = stepKey(current.key, step, known);
      const knownHit = await env.cache.lookUp(knownKey, scope);
      if (knownHit) return reuse(env, task, knownHit, knownKey);
    }
    const map = await op.cacheMap(run);
    const key = stepKey(current.key, step, map.inputs);
    const inputsRecord: StepInputsRecord = {
      key,
      parentKey: current.key,
      instruction: step.displayText,
      time: task.time.toISOString(),
      ...map.record,
    };
    if (scope.base.kind === 'image' && ref.index === 2) inputsRecord.baseImage = env.baseImageId(scope.base.ref);
    const identity = identityOf(env, task);
    const hit = await env.cache.lookUp(key, scope, { step, state: current.state });
    if (hit) return reuse(env, task, hit, key);
    const reasons = await env.cache.explainMiss(identity, inputsRecord, scope);
    env.emit({ type: 'cache-miss', time: Date.now(), stepId: ref.id, reasons });
    if (env.dryRun) return { state: current.state, key, virtual: true };
    env.hooks.miss?.(step);
    const joined = env.scheduler.isRunning(key);
    const outcome = await env.scheduler.run(key, (signal) => op.exec(current.state, { ...run, signal }));
    // A step cancelled while it ran is not recorded, even when its work came back: the abort may
    // have cut it short anywhere.
    env.scheduler.throwIfCancelled();
    const seconds = (Date.now() - startedAt) / 1000;
    const entry: CacheEntry = {
      key,
      imageId: '',
      config: outcome.state.config,
      stage: scope.displayName,
      step: step.displayText,
      seconds,
      layerSize: outcome.layerSize,
      created: new Date().toISOString(),
      ...(outcome.state.knownFs ? { knownFs: outcome.state.knownFs.toJSON() } : {}),
      inputs: inputsRecord,
    };
    await env.cache.recordStep(entry, outcome.state, identity);
    env.emit({
      type: 'step-done',
      time: Date.now(),
      stepId: ref.id,
      seconds,
      layerSize: outcome.layerSize,
      deps,
      ...(joined ? { shared: true } : {}),
    });
    return { state: outcome.state, key };
  } catch (error) {
    // The step that fails first is the one the build reports; the others were stopped because of it.
    const cancelled = error instanceof CancelledError || env.scheduler.signal.aborted;
    const failure = cancelled
      ? error
      : await env.worker.explainFailure(BuildError.forStep(failedStep(env, ref), error, { outputTail: tail.tail }), {
          interrupted: env.interrupted(),
        });
    if (started) {
      env.emit({
        type: 'step-error',
        time: Date.now(),
        stepId: ref.id,
        message: cancelled ? 'cancelled' : failure instanceof BuildError ? failure.reason : String(failure),
        cancelled,
      });
    }
    throw failure;
  } finally {
    await op.dispose();
  }
}
