// Picks the progress view for `--progress`: auto chooses the live TTY view on a terminal and the plain
// one otherwise (as BuildKit does); json (msbuild's events), rawjson (BuildKit's SolveStatus lines),
// quiet and none are for tools and scripts. BUILDKIT_PROGRESS sets the mode when the flag does not.
import type { BuildEvent } from '../../engine/events.js';
import { JsonRenderer } from './json.js';
import { PlainRenderer } from './plain.js';
import { RawJsonRenderer } from './rawjson.js';

export const progressModes = ['auto', 'tty', 'plain', 'json', 'rawjson', 'quiet', 'none'] as const;
export type ProgressMode = (typeof progressModes)[number];

export interface ProgressRenderer {
  handle(event: BuildEvent): void;
  /** Stops the view's timers and leaves the terminal clean; safe to call more than once. */
  close(): void;
}

export function isProgressMode(value: string): value is ProgressMode {
  return (progressModes as readonly string[]).includes(value);
}

/** Whether a live view can draw on the stream: a terminal that understands cursor movement. */
export function canDrawLive(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export async function createRenderer(
  mode: ProgressMode,
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProgressRenderer> {
  const write = (text: string) => {
    stream.write(text);
  };
  // An explicit `tty` on a pipe or file would fill it with cursor movements: plain lines say the same.
  const live = mode === 'tty' ? stream.isTTY === true : mode === 'auto' && canDrawLive(stream, env);
  if (live) {
    // Loaded only for a terminal: the live view's libraries cost ~40 ms of a cached build's start.
    const { logUpdateOutput, TtyRenderer } = await import('./tty.js');
    const renderer = new TtyRenderer({
      output: logUpdateOutput(stream),
      color: env.NO_COLOR === undefined || env.NO_COLOR === '',
    });
    return { handle: (event) => renderer.handle(event), close: () => renderer.close() };
  }
  if (mode === 'json') {
    const renderer = new JsonRenderer({ write });
    return { handle: (event) => renderer.handle(event), close: () => undefined };
  }
  if (mode === 'rawjson') {
    const renderer = new RawJsonRenderer(write);
    return { handle: (event) => renderer.handle(event), close: () => undefined };
  }
  if (mode === 'quiet' || mode === 'none') return { handle: () => undefined, close: () => undefined };
  const renderer = new PlainRenderer({ write });
  return { handle: (event) => renderer.handle(event), close: () => undefined };
}
