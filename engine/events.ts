// Progress events: everything a build reports, typed. The engine never prints; renderers
// (plain, TTY, JSON lines, trace, timeline) turn these into output. Field names are stable.

export interface StepRef {
  /** Unique within the build: `<stage index>.<step number>`, e.g. `2.1`; `2.0` is a stage's FROM. */
  id: string;
  stage: string;
  stageIndex: number;
  /** 1-based position among the stage's counted steps (BuildKit's `[stage i/n]`). */
  index: number;
  total: number;
  /** The instruction with variables expanded, e.g. `RUN go build -o /bin/server ./cmd/server`. */
  name: string;
  /** Dockerfile line of the instruction. */
  line: number;
}

export interface BuildStartEvent {
  type: 'build-start';
  time: number;
  buildId: string;
  target: string;
  stages: Array<{ name: string; index: number; dependsOn: string[]; steps: number }>;
  jobs: number;
  /** What runs the steps: `oci` (runc on msbuild's snapshots) or `docker` (the Engine API). */
  worker: string;
}

export interface StepStartEvent {
  type: 'step-start';
  time: number;
  step: StepRef;
  /**
   * IDs of the steps this one waited for: the step before it in its stage (or its base stage's
   * last), and the last steps of the stages it reads. With the times, the critical path can be
   * computed from the events alone. Absent on a step that does nothing (a WORKDIR / already there).
   */
  deps?: string[];
}

export interface StepLogEvent {
  type: 'step-log';
  time: number;
  stepId: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface StepCachedEvent {
  type: 'step-cached';
  time: number;
  step: StepRef;
  /** Seconds the step took when it last ran (what the cache saved). */
  savedSeconds: number;
}

export interface StepDoneEvent {
  type: 'step-done';
  time: number;
  stepId: string;
  seconds: number;
  /** Size in bytes of the layer the step produced (0 for none). */
  layerSize: number;
  /** The step joined an identical step already running (another stage or bake target) instead of running again. */
  shared?: boolean;
  /** As on step-start. */
  deps?: string[];
}

export interface StepErrorEvent {
  type: 'step-error';
  time: number;
  stepId: string;
  message: string;
  /** Whether the step was cancelled because another one failed. */
  cancelled: boolean;
}

/** A cache miss and why: which input changed since the step last ran. */
export interface CacheMissEvent {
  type: 'cache-miss';
  time: number;
  stepId: string;
  reasons: string[];
}

export interface WarningEvent {
  type: 'warning';
  time: number;
  message: string;
  /** Containers the daemon did not remove in time at the build's end (the next build removes them). */
  containersLeft?: number;
}

/** A build check (BuildKit's Dockerfile linter) found something: reported before any step runs. */
export interface CheckWarningEvent {
  type: 'check-warning';
  time: number;
  /** The rule, e.g. `FromAsCasing`. */
  rule: string;
  description: string;
  /** The rule's documentation ('' when it has none). */
  url: string;
  /** What was found, as BuildKit words it. */
  message: string;
  file: string;
  /** First and last line of the instruction it is about. */
  line: number;
  endLine: number;
}

/** Images and cache moving to or from a registry: a base image pulled, an image pushed, the registry cache written or read. */
export interface TransferEvent {
  type: 'transfer';
  time: number;
  action: 'pull' | 'push' | 'cache-export' | 'cache-import';
  /** The reference moved (`127.0.0.1:5000/app:1`). */
  ref: string;
  /** What happened, as the daemon words it for pulls and pushes (`Pushed`, `Layer already exists`, `Pull complete`). */
  status: string;
  /** The layer (short ID or digest) the status is about. */
  layer?: string;
  /** The transfer is over; for a push, the manifest digest the registry stored. */
  done?: boolean;
  digest?: string;
}

export interface StageDoneEvent {
  type: 'stage-done';
  time: number;
  stage: string;
  stageIndex: number;
  imageId: string;
  /** Bytes of the stage's image (all layers). */
  size: number;
}

export interface BuildSummary {
  imageId: string;
  tags: string[];
  /** The worker that ran the steps: `oci` or `docker`. */
  worker: string;
  seconds: number;
  stepsRun: number;
  stepsCached: number;
  /** Sum of the recorded run times of the cached steps. */
  secondsSaved: number;
  /** Final image size and the size of each stage it was built from, in bytes. */
  imageSize: number;
  stageSizes: Array<{ stage: string; size: number }>;
  /** Step IDs on the longest dependency chain by time. */
  criticalPath: string[];
  /** How many build-check warnings the build reported (`check-warning` events). */
  checkWarnings?: number;
}

export interface BuildDoneEvent {
  type: 'build-done';
  time: number;
  summary: BuildSummary;
}

export interface BuildErrorEvent {
  type: 'build-error';
  time: number;
  message: string;
  /** The failed step, when the failure was a step's. */
  stepId?: string;
  /** `Dockerfile:LINE:COLUMN`, when the Dockerfile itself is wrong. */
  location?: string;
}

export type BuildEvent =
  | BuildStartEvent
  | StepStartEvent
  | StepLogEvent
  | StepCachedEvent
  | StepDoneEvent
  | StepErrorEvent
  | CacheMissEvent
  | WarningEvent
  | CheckWarningEvent
  | TransferEvent
  | StageDoneEvent
  | BuildDoneEvent
  | BuildErrorEvent;

export type EventListener = (event: BuildEvent) => void;
