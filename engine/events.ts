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
}

export interface StepStartEvent {
  type: 'step-start';
  time: number;
  step: StepRef;
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
  | StageDoneEvent
  | BuildDoneEvent
  | BuildErrorEvent;

export type EventListener = (event: BuildEvent) => void;
