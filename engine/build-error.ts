// A failed build, with the step that failed and what the user needs to fix it.

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

export class BuildError extends Error {
  override readonly name = 'BuildError';
  /** The message without the step label. */
  readonly reason: string;
  constructor(
    message: string,
    readonly step?: FailedStep,
    /** The last lines of the step's output (at most 20). */
    readonly outputTail: string[] = [],
    readonly exitCode?: number,
    /** The error it reports (kept as `cause`: a lost daemon connection is recognised through it). */
    options?: ErrorOptions,
  ) {
    super(step ? `${step.label}: ${message}` : message, options);
    this.reason = message;
  }

  /** Extra lines printed under the message: where it is in the Dockerfile and the command's last output. */
  get detail(): string {
    const lines: string[] = [];
    if (this.step) {
      lines.push(`  --> ${this.step.file}:${this.step.line}`);
      if (this.step.sourceLine !== undefined) lines.push(`  ${this.step.line} | ${this.step.sourceLine}`);
    }
    if (this.outputTail.length > 0) {
      lines.push('  last output:');
      for (const line of this.outputTail) lines.push(`    ${line}`);
    }
    return lines.join('\n');
  }
}

/** Keeps the last `limit` lines of a stream of output chunks (bounded memory). */
export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly limit = 20) {}

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 4096) this.partial = this.partial.slice(-4096);
    for (const line of parts) {
      this.lines.push(line.length > 4096 ? `${line.slice(0, 4096)}…` : line);
      if (this.lines.length > this.limit) this.lines.shift();
    }
  }

  get tail(): string[] {
    const all = this.partial === '' ? [...this.lines] : [...this.lines, this.partial];
    return all.slice(-this.limit);
  }
}
