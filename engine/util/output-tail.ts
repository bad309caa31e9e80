// The last lines of a stream of output chunks, in bounded memory: a failed step's last output, and
// the TTY renderer's view of a running step.

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
