// msbuild's public API: everything a program that builds images with msbuild uses, and nothing else
// (`package.json` exports only this file). The CLI is one such program.

// Building.
export { build, type BuildOptions, type BuildResult } from './build.js';
export { workerChoice, type PullPolicy, type ResourceLimits, type WorkerChoice } from './options.js';

// Bake: several targets in one process, sharing work and the cache.
export {
  defaultBakeFiles,
  parseBakeFiles,
  readBakeFiles,
  resolveTargets,
  type BakeFileText,
  type LoadOptions,
  type LoadedBake,
  type ResolvedBake,
} from './bake/config.js';
export { listBake, parseListRequest, type ListRequest } from './bake/list.js';
export { parseOverrides, type Override } from './bake/overrides.js';
export { printBake } from './bake/print.js';
export { buildOptionsOf, runBake, type BakeOptions, type BakeOutcome } from './bake/run.js';
export type { BakeConfig, Target as BakeTarget, Group } from './bake/target.js';

// Planning without a daemon.
export type { DockerfileAst } from './dockerfile/ast.js';
export { parseDockerfile } from './dockerfile/parser.js';
export { planBuild, planFromAst, type BuildPlan, type PlanOptions } from './plan/plan.js';

// Outputs besides the daemon.
export { parseOutputSpec, type OutputSpec } from './export/output-spec.js';

// Progress: typed events, and the bookkeeping any holder of the stream can compute from them.
export type {
  BuildDoneEvent,
  BuildErrorEvent,
  BuildEvent,
  BuildStartEvent,
  BuildSummary,
  CacheMissEvent,
  EventListener,
  StageDoneEvent,
  StepCachedEvent,
  StepDoneEvent,
  StepErrorEvent,
  StepLogEvent,
  StepRef,
  StepStartEvent,
  WarningEvent,
} from './events.js';
export { BuildRecorder } from './recorder.js';

// Errors: every error msbuild raises on purpose is an MsbuildError with a stable `code`.
export { BakeError } from './bake/errors.js';
export { BuildError, type FailedStep } from './build-error.js';
export { DaemonError } from './docker/daemon.js';
export { DockerfileSyntaxError } from './dockerfile/errors.js';
export { MsbuildError, UsageError, isMsbuildError } from './errors.js';
export { OutputError } from './export/output-spec.js';
export { PlanError } from './plan/graph.js';
export { SpecError } from './util/spec.js';
export { SettingError } from './worker/run-settings.js';

// The step cache: its index, housekeeping, and moving it between machines.
export { parseCacheSpec, type CacheSpec } from './cache/cache-spec.js';
export { parseAge, prune, selectForPrune, usageOf, type CacheUsage, type PruneOptions } from './cache/manage.js';
export { CacheError, CacheStore, defaultCacheDir, type CacheEntry, type StoredEntry } from './cache/store.js';
export { CacheImportError, exportCache, importCache, type ExportResult, type ImportResult } from './cache/transfer.js';
export { connectImageStore } from './docker/image-store.js';
export type { ImageStore } from './worker/image-store.js';
