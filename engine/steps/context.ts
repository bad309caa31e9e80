// What executing a step needs from its build: the daemon, the container registry, temp space,
// output reporting and cancellation. Shared by the RUN, COPY/ADD and WORKDIR executors.
import type Docker from 'dockerode';
import type { ContainerRegistry } from '../docker/container.js';
import type { ResourceLimits } from '../docker/executor.js';
import type { NetworkSandboxes } from '../docker/network-sandbox.js';
import type { ImageState } from '../image/state.js';
import type { DispatchedStep } from '../plan/dispatch.js';

export interface StepContext {
  docker: Docker;
  registry: ContainerRegistry;
  buildId: string;
  /** Directory for temporary layer files (removed by the build). */
  tempDir: string;
  network: 'default' | 'none' | 'host';
  sandboxes?: NetworkSandboxes;
  limits: ResourceLimits;
  /** SOURCE_DATE_EPOCH, when set: creation times of history, configs and the files msbuild writes. */
  epoch?: Date;
  signal: AbortSignal;
  log(stream: 'stdout' | 'stderr', text: string): void;
}

/** The result of executing a step that produces (or could produce) a layer. */
export interface StepOutcome {
  state: ImageState;
  /** Bytes the layer adds (0 when the step changed nothing). */
  layerSize: number;
}

export interface StepInvocation {
  step: DispatchedStep;
  state: ImageState;
  time: Date;
}
