// The plain progress view (BuildKit's `--progress=plain`): numbered lines that stay readable when
// stages run in parallel and output interleaves, good for CI logs.
import type { BuildEvent, BuildSummary, CheckWarningEvent, StepRef, TransferEvent } from '../../engine/events.js';
import { checkWarningLines } from './check-warnings.js';
import { CriticalPathWords } from './critical-path.js';
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
  /** Unterminated output per step and stream: a line is printed only once it is whole, so steps
   * running in parallel interleave line by line, and stdout and stderr never splice into one line. */
  private readonly partial = new Map<string, { text: string; time: number }>();
  private readonly starts = new Map<string, number>();
  private readonly criticalPath = new CriticalPathWords();
  private next = 1;
  private readonly checkWarnings: CheckWarningEvent[] = [];
  /** What one event prints, written at once. */
  private pending: string[] = [];

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
    this.pending.push(`${text}\n`);
  }

  private flushPartial(stepId: string): void {
    for (const stream of ['stdout', 'stderr']) {
      const key = `${stepId} ${stream}`;
      const rest = this.partial.get(key);
      this.partial.delete(key);
      if (rest?.text)
        this.line(`#${this.numberOf(stepId)} ${this.offset(stepId, rest.time)} ${overwritten(rest.text)}`);
    }
  }

  /** Seconds since the step started, as BuildKit prints them before each output line. */
  private offset(stepId: string, time: number): string {
    return ((time - (this.starts.get(stepId) ?? time)) / 1000).toFixed(3);
  }

  handle(event: BuildEvent): void {
    this.criticalPath.record(event);
    this.render(event);
    if (this.pending.length > 0) {
      const text = this.pending.join('');
      this.pending = [];
      this.options.write(text);
    }
  }

  private render(event: BuildEvent): void {
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
        const offset = this.offset(event.stepId, event.time);
        const key = `${event.stepId} ${event.stream}`;
        const lines = ((this.partial.get(key)?.text ?? '') + event.text).split(/\r?\n/);
        let rest = lines.pop() ?? '';
        // A line that never ends (a progress bar redrawn with \r) must not grow without bound.
        if (rest.length > maxPartialLength) {
          lines.push(rest);
          rest = '';
        }
        this.partial.set(key, { text: rest, time: event.time });
        for (const l of lines) this.line(`#${number} ${offset} ${overwritten(l)}`);
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
      case 'transfer':
        this.line(transferLine(event));
        break;
      case 'stage-done':
        break;
      case 'check-warning':
        this.checkWarnings.push(event);
        break;
      case 'build-error':
        for (const stepId of this.numbers.keys()) this.flushPartial(stepId);
        for (const line of checkWarningLines(this.checkWarnings)) this.line(line);
        break;
      case 'build-done':
        for (const stepId of this.numbers.keys()) this.flushPartial(stepId);
        for (const line of summaryLines(event.summary, this.criticalPath)) this.line(line);
        for (const line of checkWarningLines(this.checkWarnings)) this.line(line);
        break;
    }
  }
}

const maxPartialLength = 64 * 1024;

/** `#0 push 127.0.0.1:5000/app:1: 3f2a… Pushed`: a registry transfer's news, one line each. */
export function transferLine(event: TransferEvent): string {
  const what = event.layer !== undefined ? `${event.layer} ${event.status}` : event.status;
  return `#0 ${event.action} ${event.ref}: ${what}${event.digest !== undefined ? ` ${event.digest}` : ''}`;
}

/** What a terminal would show of a line redrawn with carriage returns: the text after the last one. */
function overwritten(line: string): string {
  const trimmed = line.replace(/\r+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('\r') + 1);
}

/** The end-of-build summary: image, steps run and cached, sizes of the image and its stages. */
export function summaryLines(summary: BuildSummary, criticalPath?: CriticalPathWords): string[] {
  const lines = [''];
  const tags = summary.tags.length > 0 ? ` tagged ${summary.tags.join(', ')}` : '';
  lines.push(`built ${summary.imageId}${tags} in ${formatSeconds(summary.seconds)}`);
  const saved = summary.stepsCached > 0 ? ` (cache saved ${formatSeconds(summary.secondsSaved)})` : '';
  lines.push(`steps: ${summary.stepsRun} run, ${summary.stepsCached} cached${saved}`);
  lines.push(
    `worker: ${summary.worker === 'oci' ? 'oci (runc on msbuild snapshots)' : `${summary.worker} (Engine API)`}`,
  );
  const stages = summary.stageSizes.map((s) => `${s.stage} ${formatBytes(s.size)}`).join(', ');
  lines.push(`size: ${formatBytes(summary.imageSize)}${stages ? `  (built from: ${stages})` : ''}`);
  if (summary.criticalPath.length > 0) {
    lines.push(
      `critical path: ${criticalPath ? criticalPath.describe(summary.criticalPath) : summary.criticalPath.join(' → ')}`,
    );
  }
  return lines;
}
