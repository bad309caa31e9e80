// What `build()` resolves with: the image, its summary and config, the stages' images and the cache
// keys the build ran or reused, for a real build and for a dry run.
import type { BuildSummary } from '../events.js';
import type { ImageConfig } from '../image/config.js';
import type { BuildRecorder } from '../recorder.js';
import type { StageOutcome } from '../solver/solver.js';

export interface BuildResult {
  /** Label value of every container this build created (`io.msbuild.build`). */
  buildId: string;
  imageId: string;
  tags: string[];
  summary: BuildSummary;
  /** The target stage's final config, exactly as written. */
  config: ImageConfig;
  /** Final image of every stage that ran, by stage name. */
  stageImages: Map<string, string>;
  /** Cache keys of the steps this build ran or reused. */
  cacheKeys: string[];
}

interface ResultSources {
  buildId: string;
  recorder: BuildRecorder;
  usedKeys: ReadonlySet<string>;
}

export function buildResult(from: ResultSources, summary: BuildSummary, config: ImageConfig): BuildResult {
  return {
    buildId: from.buildId,
    imageId: summary.imageId,
    tags: summary.tags,
    summary,
    config,
    stageImages: from.recorder.stageImages,
    cacheKeys: [...from.usedKeys],
  };
}

/** A dry run's result: the target's image only when its steps were all cache hits. */
export function dryRunResult(from: ResultSources, target: StageOutcome): BuildResult {
  const imageId = target.virtual ? '' : (target.state.imageId ?? '');
  const summary = from.recorder.summary({ imageId, tags: [], imageSize: 0, stages: [], dryRun: true });
  return buildResult(from, summary, target.state.config);
}
