// The contract between the step loop and the step kinds (BuildKit's solver.Op: CacheMap, then Exec).
// The loop knows no kind: it asks an op what the step waits for, what goes into its key, and to run.
// Ops are made per step when their stage starts and disposed when the step (and again when the
// stage) is over.
import type { StepInputs } from '../cache/key.js';
import type { StepInputsRecord } from '../cache/store.js';
import type { ImageState } from '../image/state.js';
import type { DispatchedStep } from '../plan/step.js';

/** The result of executing a step that produces (or could produce) a layer. */
export interface StepOutcome {
  state: ImageState;
  /** Bytes the layer adds (0 when the step changed no file). */
  layerSize: number;
}

/** What the step waited for before it could be keyed. */
export type OpInputs =
  /** `stages`: the stages (by index) whose results the step reads; it depends on their last steps. */
  | { ready: true; stages: number[] }
  /** A dry run: this stage would run steps, so what the step reads does not exist yet. */
  | { ready: false; stages: number[]; rebuiltStage: string };

/** What goes into the step's key besides its parent's key and its instruction (BuildKit's CacheMap). */
export interface CacheMap {
  /** Content digests of what the step reads (files copied, bind mounts). */
  inputs?: StepInputs;
  /** What a miss explanation compares with the step's last run: environment, files read. */
  record?: Pick<StepInputsRecord, 'env' | 'files' | 'filesDigest'>;
}

/** One run of a step: when it started (its history time), where its output goes, what stops it. */
export interface StepRun {
  time: Date;
  log(stream: 'stdout' | 'stderr', text: string): void;
  /** Aborted when the build stops (a failure elsewhere, an interrupt). */
  signal: AbortSignal;
}

export interface Op {
  /** Starts work the step will need early (fetching a COPY --from source), when the stage starts. */
  prefetch?(signal: AbortSignal): void;
  /** Waits for the stages the step reads besides its parent (COPY --from, RUN --mount from=). */
  waitForInputs(signal: AbortSignal): Promise<OpInputs>;
  /** Inputs known without reading anything (a digest remembered from an earlier build): tried first. */
  knownInputs?(): StepInputs | undefined;
  /** Reads and digests what the step reads; kept for exec until disposed. */
  cacheMap(run: StepRun): Promise<CacheMap>;
  /** Runs the step on `state` (a miss). */
  exec(state: ImageState, run: StepRun): Promise<StepOutcome>;
  /** Releases what cacheMap or prefetch holds (fetched files); safe to call more than once. */
  dispose(): Promise<void>;
}

/** Makes the op of a step that writes (or may write) a layer: RUN, COPY/ADD, WORKDIR. */
export type OpFactory = (step: DispatchedStep) => Op;
