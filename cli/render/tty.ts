// The interactive progress view (BuildKit's `--progress=tty`): a live frame redrawn about ten times a
// second with a timer per running step and its last output lines, replaced by static lines at the end.
import { createLogUpdate } from 'log-update';
import type { BuildEvent, CheckWarningEvent, StepRef } from '../../engine/events.js';
import { OutputTail } from '../../engine/util/output-tail.js';
import { checkWarningLines } from './check-warnings.js';
import { CriticalPathWords } from './critical-path.js';
import { formatSeconds } from './format.js';
import { stepLabel, summaryLines, transferLine } from './plain.js';

/** Where frames go: log-update on a terminal, an array in tests. */
export interface TtyOutput {
  /** Replaces the live frame. */
  frame(lines: string[]): void;
  /** Replaces the live frame with lines that stay in the scrollback; no frame follows. */
  finish(lines: string[]): void;
  /** The terminal's size now (it can change during a build); undefined when unknown. */
  size(): { columns?: number; rows?: number };
}

export interface Ticker {
  stop(): void;
}

export interface TtyRendererOptions {
  output: TtyOutput;
  now?: () => number;
  /** Calls back every `ms` until stopped (setInterval, unref'd, by default). */
  every?: (callback: () => void, ms: number) => Ticker;
  refreshMs?: number;
  /** Output lines shown under each running step. */
  tailLines?: number;
  /** Output lines kept for a failed step, shown under it at the end. */
  errorTailLines?: number;
  color?: boolean;
}

type StepState = 'running' | 'done' | 'cached' | 'failed' | 'cancelled';

interface StepView {
  ref: StepRef;
  state: StepState;
  start: number;
  end?: number;
  seconds?: number;
  output: OutputTail;
}

const defaultWidth = 80;

const sgr = { blue: '34', red: '31', yellow: '33', dim: '2', bold: '1' } as const;
type Style = keyof typeof sgr;

interface StyledLine {
  text: string;
  /** Text right-aligned on the line: the timer or the step's end state. It is never truncated first. */
  right?: string;
  style?: Style;
}

export class TtyRenderer {
  private readonly steps = new Map<string, StepView>();
  private readonly checkWarnings: CheckWarningEvent[] = [];
  /** Warnings and finished registry transfers, shown under the steps. */
  private readonly notes: StyledLine[] = [];
  private readonly criticalPath = new CriticalPathWords();
  private buildStart: number | undefined;
  private ticker: Ticker | undefined;
  private finished = false;
  private readonly now: () => number;
  private readonly tailLines: number;
  private readonly errorTailLines: number;
  private readonly color: boolean;

  constructor(private readonly options: TtyRendererOptions) {
    this.now = options.now ?? Date.now;
    this.tailLines = options.tailLines ?? 5;
    this.errorTailLines = options.errorTailLines ?? 10;
    this.color = options.color ?? true;
  }

  handle(event: BuildEvent): void {
    if (this.finished) return;
    this.criticalPath.record(event);
    this.buildStart ??= event.time;
    switch (event.type) {
      case 'build-start':
        this.buildStart = event.time;
        break;
      case 'step-start':
        this.view(event.step, event.time);
        break;
      case 'step-log':
        this.steps.get(event.stepId)?.output.push(event.text);
        break;
      case 'step-cached':
        this.end(this.view(event.step, event.time), 'cached', event.time);
        break;
      case 'step-done': {
        const step = this.steps.get(event.stepId);
        if (step) this.end(step, 'done', event.time, event.seconds);
        break;
      }
      case 'step-error': {
        const step = this.steps.get(event.stepId);
        if (step) this.end(step, event.cancelled ? 'cancelled' : 'failed', event.time);
        break;
      }
      case 'warning':
        this.notes.push({ text: `WARNING: ${event.message}`, style: 'yellow' });
        break;
      case 'transfer':
        // Only what ends a transfer stays on screen (the steps' view is the build's).
        if (event.done) this.notes.push({ text: transferLine(event).replace(/^#0 /, '') });
        break;
      case 'check-warning':
        this.checkWarnings.push(event);
        break;
      case 'cache-miss':
      case 'stage-done':
        break;
      case 'build-done':
        this.finish(event.time, 'FINISHED', [
          ...summaryLines(event.summary, this.criticalPath),
          ...checkWarningLines(this.checkWarnings),
        ]);
        return;
      case 'build-error':
        this.finish(event.time, 'FAILED', checkWarningLines(this.checkWarnings));
        return;
    }
    if (!this.ticker) {
      this.ticker = (this.options.every ?? everyUnref)(() => this.redraw(), this.options.refreshMs ?? 100);
      this.redraw();
    }
  }

  /** Stops redrawing; a build that never reported its end is left drawn as far as it got. */
  close(): void {
    if (!this.finished) this.finish(this.now(), 'STOPPED', []);
  }

  /** The live frame at this moment, as drawn lines. */
  frameLines(): string[] {
    const { columns, rows } = this.size();
    // log-update ends a frame with a newline: the frame may use all rows but one.
    const styled = this.liveLines(Math.max(1, rows - 1));
    return styled.map((line) => this.draw(line, columns));
  }

  private redraw(): void {
    if (!this.finished) this.options.output.frame(this.frameLines());
  }

  private finish(time: number, status: string, summary: string[]): void {
    this.finished = true;
    this.ticker?.stop();
    this.ticker = undefined;
    // Steps the engine never closed stopped with the build.
    for (const step of this.steps.values()) if (step.state === 'running') this.end(step, 'cancelled', time);
    const { columns } = this.size();
    const lines = this.finalLines(time, status).map((line) => this.draw(line, columns));
    this.options.output.finish([...lines, ...summary]);
  }

  private size(): { columns: number; rows: number } {
    const { columns, rows } = this.options.output.size();
    return {
      columns: columns !== undefined && columns > 0 ? columns : defaultWidth,
      rows: rows !== undefined && rows > 0 ? rows : Number.POSITIVE_INFINITY,
    };
  }

  private view(ref: StepRef, time: number): StepView {
    let step = this.steps.get(ref.id);
    if (!step) {
      step = {
        ref,
        state: 'running',
        start: time,
        output: new OutputTail(Math.max(this.tailLines, this.errorTailLines)),
      };
      this.steps.set(ref.id, step);
    }
    return step;
  }

  private end(step: StepView, state: Exclude<StepState, 'running'>, time: number, seconds?: number): void {
    step.state = state;
    step.end = time;
    step.seconds = seconds;
  }

  private header(time: number, status?: string): StyledLine {
    const all = [...this.steps.values()];
    const ended = all.filter((s) => s.state !== 'running').length;
    const elapsed = formatSeconds(Math.max(0, time - (this.buildStart ?? time)) / 1000);
    return {
      text: `[+] Building ${elapsed} (${ended}/${all.length})${status ? ` ${status}` : ''}`,
      style: status === 'FAILED' ? 'red' : undefined,
    };
  }

  private stepLine(step: StepView, time: number): StyledLine {
    const label = `=> ${displayText(stepLabel(step.ref))}`;
    const took = formatSeconds(Math.max(0, (step.end ?? time) - step.start) / 1000);
    switch (step.state) {
      case 'running':
        return { text: label, right: took };
      case 'done':
        return { text: label, right: `DONE ${formatSeconds(step.seconds ?? 0)}`, style: 'blue' };
      case 'cached':
        return { text: label, right: 'CACHED', style: 'blue' };
      case 'failed':
        return { text: label, right: `ERROR ${took}`, style: 'red' };
      case 'cancelled':
        return { text: label, right: `CANCELED ${took}`, style: 'yellow' };
    }
  }

  private tail(step: StepView, count: number, style: Style): StyledLine[] {
    if (count <= 0) return [];
    return step.output.tail.slice(-count).map((line) => ({ text: `=> => # ${displayText(line)}`, style }));
  }

  /**
   * The frame: header, every step in start order, the output tails of running and failed steps,
   * warnings. When it is taller than the terminal the oldest finished steps leave the frame first (they
   * are back in the final lines), then tails shrink: log-update would otherwise cut the top off.
   */
  private liveLines(height: number): StyledLine[] {
    const time = this.now();
    const steps = [...this.steps.values()];
    const build = (tailCount: number, skipFinished: number): StyledLine[] => {
      const lines: StyledLine[] = [this.header(time)];
      let skipped = 0;
      for (const step of steps) {
        if (step.state !== 'running' && step.state !== 'failed' && skipped < skipFinished) {
          skipped++;
          continue;
        }
        lines.push(this.stepLine(step, time));
        if (step.state === 'running') lines.push(...this.tail(step, tailCount, 'dim'));
        if (step.state === 'failed') lines.push(...this.tail(step, tailCount, 'red'));
      }
      return [...lines, ...this.notes];
    };
    const finished = steps.filter((s) => s.state !== 'running' && s.state !== 'failed').length;
    for (let tailCount = this.tailLines; tailCount >= 0; tailCount--) {
      const excess = build(tailCount, 0).length - height;
      if (excess <= finished) return build(tailCount, Math.max(0, excess));
    }
    return build(0, finished).slice(0, Math.max(1, height));
  }

  /** What stays on screen: every step collapsed, the failed steps' last output, the warnings. */
  private finalLines(time: number, status: string): StyledLine[] {
    const lines: StyledLine[] = [this.header(time, status)];
    const steps = [...this.steps.values()];
    for (const step of steps) lines.push(this.stepLine(step, time));
    for (const step of steps.filter((s) => s.state === 'failed')) {
      lines.push({ text: '------' }, { text: ` > ${displayText(stepLabel(step.ref))}:` });
      for (const line of step.output.tail.slice(-this.errorTailLines)) lines.push({ text: ` ${displayText(line)}` });
      lines.push({ text: '------' });
    }
    lines.push(...this.notes);
    return lines;
  }

  private draw(line: StyledLine, columns: number): string {
    const text = fitLine(line.text, line.right, columns);
    return this.color && line.style && text !== '' ? `\u001B[${sgr[line.style]}m${text}\u001B[0m` : text;
  }
}

function everyUnref(callback: () => void, ms: number): Ticker {
  const timer = setInterval(callback, ms);
  // The view must never be what keeps the process alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** log-update on a stream: frames redrawn in place, the final lines written once below nothing. */
export function logUpdateOutput(stream: NodeJS.WriteStream): TtyOutput {
  const log = createLogUpdate(stream);
  return {
    frame: (lines) => log(lines.join('\n')),
    finish: (lines) => {
      // log-update cuts a frame to the terminal's height; the final lines may be longer, so they are
      // written plainly once the frame is erased.
      log.clear();
      log.done();
      stream.write(lines.map((line) => `${line}\n`).join(''));
    },
    size: () => ({ columns: stream.columns, rows: stream.rows }),
  };
}

const ansiSequence = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;
const controlCharacters = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * A line of a step's output as one terminal row shows it: what follows the last carriage return
 * (progress bars), without the command's own colours or cursor moves, tabs expanded. Newlines (a
 * heredoc in a step's name) become spaces so one line stays one row.
 */
export function displayText(line: string): string {
  const trimmed = line.replace(/\r+$/, '');
  const shown = trimmed
    .slice(trimmed.lastIndexOf('\r') + 1)
    .replace(ansiSequence, '')
    .replace(/\n/g, ' ');
  let expanded = '';
  for (const char of shown.replace(controlCharacters, '')) {
    expanded += char === '\t' ? ' '.repeat(8 - (textWidth(expanded) % 8)) : char;
  }
  return expanded;
}

/** Columns a character takes: two for wide East Asian characters and emoji, none for combining marks. */
function charWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (/\p{Mn}|\p{Me}|\u200B|\u200D|\uFE0F/u.test(char)) return 0;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** The text cut to `width` columns, with an ellipsis when it was cut and there is room for one. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (textWidth(text) <= width) return text;
  const room = width > 1 ? width - 1 : width;
  let kept = '';
  let used = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > room) break;
    kept += char;
    used += w;
  }
  return width > 1 ? `${kept}…` : kept;
}

/**
 * One terminal row: `left` and `right` with `right` aligned to the edge. A long `left` is shortened
 * first so the timer stays visible; on a terminal too narrow even for that, the whole row is cut.
 */
export function fitLine(left: string, right: string | undefined, width: number): string {
  if (right === undefined || right === '') return truncate(left, width);
  const rightWidth = textWidth(right);
  const leftWidth = textWidth(left);
  if (leftWidth + 1 + rightWidth <= width) return `${left}${' '.repeat(width - leftWidth - rightWidth)}${right}`;
  if (width - rightWidth - 1 >= 4) return `${truncate(left, width - rightWidth - 1)} ${right}`;
  return truncate(`${left} ${right}`, width);
}
