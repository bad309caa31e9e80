// One progress view for all of a bake's targets. Their events reach the renderer scoped by target,
// but each target's end (build-done or build-error) is held until every target has ended: the live
// view stops drawing at the first end it sees, and the plain one would bury a summary among the
// other targets' steps. Then the view gets one end (a failure, if any target failed) and the other
// targets' summaries follow as lines. JSON passes every event on as it comes: tools read each
// target's own end, at its own time.
import { scopeEvent } from '../../engine/bake/events.js';
import type { BuildDoneEvent, BuildErrorEvent, BuildEvent } from '../../engine/events.js';
import { CriticalPathWords } from '../render/critical-path.js';
import { summaryLines } from '../render/plain.js';
import type { ProgressMode, ProgressRenderer } from '../render/select.js';

export class BakeProgress {
  private readonly ends = new Map<string, BuildDoneEvent | BuildErrorEvent>();
  private readonly criticalPath = new CriticalPathWords();
  private readonly holdEnds: boolean;

  constructor(
    private readonly renderer: ProgressRenderer,
    mode: ProgressMode,
    private readonly write: (text: string) => void,
  ) {
    this.holdEnds = mode !== 'json' && mode !== 'rawjson' && mode !== 'quiet' && mode !== 'none';
  }

  handle(target: string, event: BuildEvent): void {
    const scoped = scopeEvent(target, event);
    if (this.holdEnds) {
      this.criticalPath.record(scoped);
      if (scoped.type === 'build-done' || scoped.type === 'build-error') {
        this.ends.set(target, scoped);
        return;
      }
    }
    this.renderer.handle(scoped);
  }

  /** Once every target has settled: the held ends, in the order the targets were asked for. */
  finish(targets: readonly string[]): void {
    const ends = targets.flatMap((target) => this.ends.get(target) ?? []);
    this.ends.clear();
    const first = ends.find((end) => end.type === 'build-error') ?? ends[0];
    if (first === undefined) return;
    // The view's clock stops at the last target's end, not the first's.
    this.renderer.handle({ ...first, time: Math.max(...ends.map((end) => end.time)) });
    for (const end of ends) {
      if (end !== first && end.type === 'build-done')
        this.write(`${summaryLines(end.summary, this.criticalPath).join('\n')}\n`);
    }
  }
}
