// RUN steps: the command runs in a container from the stage's layers and its changes are committed.
import type Docker from 'dockerode';
import { runStep } from '../docker/executor.js';
import { adoptCommittedLayer, materialize } from '../image/assemble.js';
import type { ImageState } from '../image/state.js';
import type { DispatchedStep, RunAction } from '../plan/dispatch.js';
import type { StepContext, StepOutcome } from './context.js';

/** Mount configuration prepared for a RUN's `--mount` flags (cache volumes, secrets, binds). */
export interface PreparedMounts {
  mounts: Docker.MountConfig;
  tmpfs: Record<string, string>;
  /** Environment only this step sees (secrets given as env vars). */
  extraEnv: string[];
  release(): Promise<void>;
}

export async function executeRun(
  context: StepContext,
  step: DispatchedStep,
  action: RunAction,
  state: ImageState,
  mounts: PreparedMounts,
  time: Date,
): Promise<StepOutcome> {
  // Layers written but not loaded go to the daemon now; a stage with no layers yet (FROM scratch)
  // still needs an image to create the container from.
  const ready = state.layerImageId === undefined ? await materialize(context.docker, state, context.signal) : state;
  const image = ready.layerImageId ?? ready.imageId;
  if (image === undefined) throw new Error('internal: no image to run from');
  const committed = await runStep(
    {
      docker: context.docker,
      registry: context.registry,
      buildId: context.buildId,
      network: context.network,
      ...(context.sandboxes ? { sandboxes: context.sandboxes } : {}),
      limits: context.limits,
      mounts: mounts.mounts,
      tmpfs: mounts.tmpfs,
      extraEnv: mounts.extraEnv,
      onOutput: (stream, chunk) => context.log(stream, chunk.toString('utf8')),
      signal: context.signal,
    },
    image,
    action,
  );
  return adoptCommittedLayer(context.docker, ready, committed, step.configAfter, step.history, time, context.epoch);
}
