// The critical path of a finished build in words: the steps that decided how long it took, each with
// its time, quick steps counted rather than listed. Fed the same events as the view that prints it.
import type { BuildEvent } from '../../engine/events.js';
import { formatSeconds } from './format.js';

/** Steps shorter than this are folded into a count when the path is long. */
const quickSeconds = 0.2;
const longestName = 48;

export class CriticalPathWords {
  private readonly steps = new Map<string, { label: string; seconds: number }>();

  record(event: BuildEvent): void {
    if (event.type === 'step-start' || event.type === 'step-cached') {
      const name =
        event.step.name.length > longestName ? `${event.step.name.slice(0, longestName - 1)}…` : event.step.name;
      this.steps.set(event.step.id, {
        label: `[${event.step.stage} ${event.step.index}/${event.step.total}] ${name}`,
        seconds: 0,
      });
    } else if (event.type === 'step-done') {
      const step = this.steps.get(event.stepId);
      if (step) step.seconds = event.seconds;
    }
  }

  /** E.g. `[base 4/5] RUN go mod download 0.4s → [build-server 1/1] RUN go build … 5.2s (+4 quick steps)`. */
  describe(path: readonly string[]): string {
    const shown: string[] = [];
    let folded = 0;
    for (const id of path) {
      const step = this.steps.get(id);
      if (!step || (step.seconds < quickSeconds && path.length > 3)) {
        folded++;
        continue;
      }
      shown.push(`${step.label} ${formatSeconds(step.seconds)}`);
    }
    const rest = folded > 0 ? `${shown.length > 0 ? ' ' : ''}(+${folded} quick step${folded === 1 ? '' : 's'})` : '';
    return `${shown.join(' → ')}${rest}`;
  }
}
