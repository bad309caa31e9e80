// A failed build, with the step that failed and what the user needs to fix it. A failure is wrapped
// with its step once, whatever raised it (BuildKit's errdefs.WrapVertex): the solver needs to know
// no leaf error class.
import { DockerfileSyntaxError, excerptAround } from './dockerfile/errors.js';
import { describeError, MsbuildError } from './errors.js';
import type { BuildErrorEvent } from './events.js';

/** Columns the Dockerfile line under a failed step is cut to (a RUN line may be 64 KiB). */
const excerptWidth = 120;

export interface FailedStep {
  /** The step's ID in progress events (`2.3`). */
  id: string;
  /** `[build-server 2/3] RUN go build ./cmd/server` */
  label: string;
  file: string;
  line: number;
  /** The Dockerfile line, for a caret under it. */
  sourceLine?: string;
}

export interface BuildErrorOptions {
  step?: FailedStep;
  /** The last lines of the step's output (at most 20). */
  outputTail?: string[];
  exitCode?: number;
  /** The error it reports (a lost daemon connection is recognised through it). */
  cause?: unknown;
}

export class BuildError extends MsbuildError {
  override readonly name = 'BuildError';
  override readonly code = 'MSBUILD_BUILD';
  /** The message without the step label. */
  readonly reason: string;
  readonly step?: FailedStep;
  readonly outputTail: string[];
  readonly exitCode?: number;

  constructor(message: string, options: BuildErrorOptions = {}) {
    super(
      options.step ? `${options.step.label}: ${message}` : message,
      options.cause !== undefined ? { cause: options.cause } : undefined,
    );
    this.reason = message;
    this.step = options.step;
    this.outputTail = options.outputTail ?? [];
    if (options.exitCode !== undefined) this.exitCode = options.exitCode;
  }

  /**
   * `cause` as the failure of `step`. A BuildError keeps its own words (and gets the step if it had
   * none); any other MsbuildError is worded for the user already and keeps its message (and its exit
   * code, a command's); anything else is reported with its message, and kept as the cause.
   */
  static forStep(step: FailedStep, cause: unknown, context: { outputTail?: string[] } = {}): BuildError {
    if (cause instanceof BuildError) {
      if (cause.step) return cause;
      return new BuildError(cause.reason, { step, outputTail: cause.outputTail, exitCode: cause.exitCode });
    }
    const exitCode = (cause as { exitCode?: unknown } | null)?.exitCode;
    return new BuildError(describeError(cause), {
      step,
      outputTail: context.outputTail,
      ...(cause instanceof MsbuildError && typeof exitCode === 'number' ? { exitCode } : {}),
      cause,
    });
  }

  /** Extra lines printed under the message: where it is in the Dockerfile and the command's last output. */
  get detail(): string {
    const lines: string[] = [];
    if (this.step) {
      lines.push(`  --> ${this.step.file}:${this.step.line}`);
      if (this.step.sourceLine !== undefined) {
        const prefix = `  ${this.step.line} | `;
        lines.push(`${prefix}${excerptAround(this.step.sourceLine, 1, excerptWidth - prefix.length).text}`);
      }
    }
    if (this.outputTail.length > 0) {
      lines.push('  last output:');
      for (const line of this.outputTail) lines.push(`    ${line}`);
    }
    return lines.join('\n');
  }
}

/** The last event of a failed build: the message, and where it points (a step, or a Dockerfile position). */
export function buildErrorEvent(error: unknown): BuildErrorEvent {
  const event: BuildErrorEvent = {
    type: 'build-error',
    time: Date.now(),
    message: error instanceof Error ? error.message : String(error),
  };
  if (error instanceof BuildError && error.step) event.stepId = error.step.id;
  if (error instanceof DockerfileSyntaxError) event.location = error.location;
  return event;
}
