// The machine-readable progress view (`--progress=json`): JSON Lines, one engine event per line, the
// event objects unchanged. The format is documented in docs/progress-json.md.
import type { BuildEvent } from '../../engine/events.js';

/** Bumped when a field changes meaning or goes away; new fields and event types do not bump it. */
export const progressJsonVersion = 1;

export interface JsonRendererOptions {
  write(text: string): void;
}

/** One event as its line (without the newline). The build-start line also carries the format version. */
export function jsonLine(event: BuildEvent): string {
  if (event.type === 'build-start') {
    const { type, ...fields } = event;
    return JSON.stringify({ type, version: progressJsonVersion, ...fields });
  }
  return JSON.stringify(event);
}

export class JsonRenderer {
  constructor(private readonly options: JsonRendererOptions) {}

  handle(event: BuildEvent): void {
    // One write per event: a reader never sees half a line from us.
    this.options.write(`${jsonLine(event)}\n`);
  }
}
