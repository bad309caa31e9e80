// A build's bookkeeping, fed by its events alone (BuildKit's clients do the same from vertex inputs
// and times): steps run and cached, time saved, build-check warnings, each stage's image and size, and the critical path.
// The engine's summary comes from it, and anything else holding the event stream (a renderer, a
// recorded JSON stream) can compute the same figures.
import type { BuildEvent, BuildSummary } from './events.js';

export class BuildRecorder {
  private stepsRun = 0;
  private stepsCached = 0;
  private secondsSaved = 0;
  private checkWarnings = 0;
  /** Steps whose cache was looked up and missed: only they count as run when done. */
  private readonly missed = new Set<string>();
  /** Dependencies each step started with. */
  private readonly depsOf = new Map<string, string[]>();
  /** When each step on a dependency chain ended, in the order they ended. */
  private readonly ends = new Map<string, { end: number; deps: string[] }>();
  /** Image and size of every stage that finished, by stage name. */
  readonly stageImages = new Map<string, string>();
  private readonly stageSizes = new Map<string, number>();

  /** The worker that ran the steps (from build-start). */
  private worker = 'docker';

  /** `started`: when the build began (its summary's seconds count from then). */
  constructor(private readonly started = Date.now()) {}

  record(event: BuildEvent): void {
    switch (event.type) {
      case 'build-start':
        this.worker = event.worker;
        break;
      case 'step-start':
        if (event.deps) this.depsOf.set(event.step.id, event.deps);
        break;
      case 'cache-miss':
        this.missed.add(event.stepId);
        break;
      case 'step-cached':
        this.stepsCached++;
        this.secondsSaved += event.savedSeconds;
        this.ended(event.step.id, event.time, this.depsOf.get(event.step.id));
        break;
      case 'step-done':
        if (this.missed.has(event.stepId) && !event.shared) this.stepsRun++;
        this.ended(event.stepId, event.time, event.deps);
        break;
      case 'check-warning':
        this.checkWarnings++;
        break;
      case 'stage-done':
        this.stageImages.set(event.stage, event.imageId);
        this.stageSizes.set(event.stage, event.size);
        break;
    }
  }

  private ended(id: string, end: number, deps: string[] | undefined): void {
    // A step that waits for nothing and takes no time (WORKDIR / already there) is on no path.
    if (deps !== undefined) this.ends.set(id, { end, deps });
  }

  /** The chain of steps that ends last, following each step's latest-finishing dependency. */
  criticalPath(): string[] {
    let latest: string | undefined;
    for (const [id, timing] of this.ends) if (!latest || timing.end > (this.ends.get(latest)?.end ?? 0)) latest = id;
    const path: string[] = [];
    const seen = new Set<string>();
    while (latest && !seen.has(latest)) {
      seen.add(latest);
      path.unshift(latest);
      const deps: string[] = this.ends.get(latest)?.deps ?? [];
      latest = deps
        .filter((d) => this.ends.has(d))
        .sort((a, b) => (this.ends.get(b)?.end ?? 0) - (this.ends.get(a)?.end ?? 0))[0];
    }
    return path;
  }

  /**
   * The summary of a finished build: `stages` are the stages built besides the target (their sizes
   * are listed), `dryRun` a build that ran nothing (no sizes, no path).
   */
  summary(result: {
    imageId: string;
    tags: string[];
    imageSize: number;
    stages: string[];
    dryRun?: boolean;
  }): BuildSummary {
    return {
      imageId: result.imageId,
      tags: result.tags,
      worker: this.worker,
      seconds: (Date.now() - this.started) / 1000,
      stepsRun: result.dryRun ? 0 : this.stepsRun,
      stepsCached: this.stepsCached,
      secondsSaved: this.secondsSaved,
      imageSize: result.imageSize,
      stageSizes: result.dryRun ? [] : result.stages.map((stage) => ({ stage, size: this.stageSizes.get(stage) ?? 0 })),
      criticalPath: result.dryRun ? [] : this.criticalPath(),
      checkWarnings: this.checkWarnings,
    };
  }
}
