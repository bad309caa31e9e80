// What the step ops need from their build: the worker, temporary space, the build context, the memos
// of the cache session, the results of other stages, base images, and the RUN settings. Made once per
// build; each op gets its step's run (time, output, signal) from the solver.
import type { CacheSession } from '../cache/session.js';
import type { SourceFs } from '../copy/source-fs.js';
import type { ImageState } from '../image/state.js';
import type { StageGraph } from '../plan/graph.js';
import type { StageOutcome } from '../solver/solver-env.js';
import type { NetworkMode, ResourceLimits } from '../worker/container-spec.js';
import type { Worker } from '../worker/worker.js';
import type { BaseImages } from './base-images.js';

/** Other stages' results, as the steps that read them see them. */
export interface StageResults {
  /** Resolves when stage `index` has finished; rejects at once when the build is cancelled. */
  wait(index: number): Promise<StageOutcome>;
  /** A ref to read the state's files by (its image, exported first when it has none). */
  refOf(state: ImageState, signal: AbortSignal): Promise<string>;
  /** `build`, `stage-2`: for messages. */
  nameOf(index: number): string;
  /** The stage a `--from`/`from=` names (by name or index), if it is one. */
  indexOf(from: string): number | undefined;
}

/** RUN settings of the build: what a RUN's container spec takes from the options. */
export interface RunSettings {
  /** The build's `--network` (a step's `RUN --network` wins over it). */
  network: NetworkMode;
  limits: ResourceLimits;
  /** `id → file path` or `id → { env }` for RUN --mount=type=secret. */
  secrets: ReadonlyMap<string, { file?: string; env?: string }>;
}

/** `--ssh` agents: ID → the socket of an agent (RUN --mount=type=ssh, ADD of ssh Git remotes). */
export type SshAgentSockets = ReadonlyMap<string, string>;

export interface StepEnv {
  worker: Worker;
  /** Directory for temporary layer files and mount sources (removed by the build). */
  tempDir: string;
  /** SOURCE_DATE_EPOCH, when set: creation times of history, configs and the files msbuild writes. */
  epoch?: Date;
  /** The build context, with .dockerignore applied. */
  contextFs: SourceFs;
  /** File and image-path digests remembered across builds. */
  memos: Pick<CacheSession, 'fileMemo' | 'imageDigests'>;
  stages: StageResults;
  baseImages: BaseImages;
  run: RunSettings;
  sshAgents?: SshAgentSockets;
  /** Told which image (and how to key it for another image ID) each COPY --from digest key stands for. */
  fromUsed?: (key: string, use: { image: string; rekey: (image: string) => string }) => void;
}

/** Stage results of a build: waited for through the solver, read by the refs of their images. */
export function stageResults(
  graph: StageGraph,
  solver: {
    wait(index: number): Promise<StageOutcome>;
    exportState(state: ImageState, signal: AbortSignal): Promise<ImageState>;
  },
): StageResults {
  return {
    wait: (index) => solver.wait(index),
    refOf: async (state, signal) => {
      const ref = state.imageId ?? state.layerImageId ?? (await solver.exportState(state, signal)).imageId;
      if (ref === undefined) throw new Error('internal: a finished stage has no image');
      return ref;
    },
    nameOf: (index) => graph.stages[index].displayName,
    indexOf: (from) => {
      const index = /^\d+$/.test(from) ? Number(from) : graph.byName.get(from.toLowerCase());
      return index !== undefined && index < graph.stages.length ? index : undefined;
    },
  };
}
