// The plain progress view (BuildKit's `--progress=plain`): numbered lines that stay readable when
// stages run in parallel and output interleaves, good for CI logs.
import type { BuildEvent, BuildSummary, StepRef } from '../../engine/events.js';
import { formatBytes, formatSeconds } from './format.js';

export interface PlainRendererOptions {
  write(text: string): void;
  /** Start time the log line offsets are measured from (defaults to the build start event). */
  now?: () => number;
}

export function stepLabel(step: StepRef): string {
  return `[${step.stage} ${step.index}/${step.total}] ${step.name}`;
}

export class PlainRenderer {
  private readonly numbers = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  private readonly starts = new Map<string, number>();
  private next = 1;

  constructor(private readonly options: PlainRendererOptions) {}

  private numberOf(stepId: string): number {
    let number = this.numbers.get(stepId);
    if (number === undefined) {
      number = this.next++;
      this.numbers.set(stepId, number);
    }
    return number;
  }

  private line(text: string): void {
    this.options.write(`${text}\n`);
  }

  private flushPartial(stepId: string): void {
    const rest = this.partial.get(stepId);
    if (rest) {
      this.line(`#${this.numberOf(stepId)} ${rest}`);
      this.partial.delete(stepId);
    }
  }

  handle(event: BuildEvent): void {
    switch (event.type) {
      case 'build-start':
        this.line(`#0 building ${event.target} (${event.stages.length} stages, up to ${event.jobs} steps at once)`);
        break;
      case 'step-start':
        this.starts.set(event.step.id, event.time);
        this.line(`#${this.numberOf(event.step.id)} ${stepLabel(event.step)}`);
        break;
      case 'step-log': {
        const number = this.numberOf(event.stepId);
        const offset = ((event.time - (this.starts.get(event.stepId) ?? event.time)) / 1000).toFixed(3);
        const text = (this.partial.get(event.stepId) ?? '') + event.text;
        const lines = text.split(/\r?\n/);
        this.partial.set(event.stepId, lines.pop() ?? '');
        for (const l of lines) this.line(`#${number} ${offset} ${l}`);
        break;
      }
      case 'cache-miss':
        break;
      case 'step-cached':
        if (!this.numbers.has(event.step.id)) this.line(`#${this.numberOf(event.step.id)} ${stepLabel(event.step)}`);
        this.line(`#${this.numberOf(event.step.id)} CACHED`);
        break;
      case 'step-done':
        this.flushPartial(event.stepId);
        this.line(`#${this.numberOf(event.stepId)} DONE ${formatSeconds(event.seconds)}`);
        break;
      case 'step-error':
        this.flushPartial(event.stepId);
        this.line(`#${this.numberOf(event.stepId)} ${event.cancelled ? 'CANCELED' : `ERROR: ${event.message}`}`);
        break;
      case 'warning':
        this.line(`WARNING: ${event.message}`);
        break;
      case 'stage-done':
      case 'build-error':
        break;
      case 'build-done':
        for (const line of summaryLines(event.summary)) this.line(line);
        break;
    }
  }
}

/** The end-of-build summary: image, steps run and cached, sizes of the image and its stages. */
export function summaryLines(summary: BuildSummary): string[] {
  const lines = [''];
  const tags = summary.tags.length > 0 ? ` tagged ${summary.tags.join(', ')}` : '';
  lines.push(`built ${summary.imageId}${tags} in ${formatSeconds(summary.seconds)}`);
  const saved = summary.stepsCached > 0 ? ` (cache saved ${formatSeconds(summary.secondsSaved)})` : '';
  lines.push(`steps: ${summary.stepsRun} run, ${summary.stepsCached} cached${saved}`);
  const stages = summary.stageSizes.map((s) => `${s.stage} ${formatBytes(s.size)}`).join(', ');
  lines.push(`size: ${formatBytes(summary.imageSize)}${stages ? `  (built from: ${stages})` : ''}`);
  if (summary.criticalPath.length > 0) lines.push(`critical path: ${summary.criticalPath.join(' → ')}`);
  return lines;
}
