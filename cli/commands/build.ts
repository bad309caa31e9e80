// `msbuild build`: a build from its option values (cli/build-request.ts), progress rendering, the
// image ID printed last (not when an output streams to stdout, nor with --progress=none), and Ctrl-C:
// the first interrupt cancels and cleans up (exit 130), a second one exits at once (cli/interrupt.ts,
// shared with bake).
import { writeFile } from 'node:fs/promises';
import { build } from '../../engine/build.js';
import type { BuildEvent } from '../../engine/events.js';
import { buildRequestFrom, type BuildRequest } from '../build-request.js';
import { annotateError } from '../github-annotations.js';
import { Interrupts } from '../interrupt.js';
import { parseGoBool, type OptionValues } from '../option-parsing.js';
import { progressMode } from '../options.js';
import { createRenderer } from '../render/select.js';
import { timelineHtml, timelineSvg } from '../render/timeline.js';
import { traceJson } from '../render/trace.js';
import { isUserError } from '../user-error.js';

/** `--trace FILE` (Chrome trace events) and `--timeline FILE.svg|.html`, also for a failed build. */
async function writePictures(values: OptionValues, events: BuildEvent[]): Promise<void> {
  if (values.trace) await writeFile(values.trace, traceJson(events));
  if (values.timeline)
    await writeFile(values.timeline, values.timeline.endsWith('.html') ? timelineHtml(events) : timelineSvg(events));
}

export async function buildCommand(context: string, values: OptionValues): Promise<void> {
  const progress = progressMode(values.progress, { quiet: parseGoBool('--quiet', values.quiet) });
  const renderer = await createRenderer(progress, process.stderr);
  // The trace and timeline need the steps' times, not their output.
  const recorded: BuildEvent[] = [];
  const record = values.trace !== undefined || values.timeline !== undefined;
  let errorReported = false;
  let request: BuildRequest | undefined;
  const interrupts = new Interrupts((signal) =>
    renderer.handle({
      type: 'warning',
      time: Date.now(),
      message: `${signal}: cancelling the build and removing its containers`,
    }),
  );
  try {
    request = await buildRequestFrom(context, values);
    const result = await build({
      ...request.options,
      signal: interrupts.signal,
      onEvent: (event: BuildEvent) => {
        interrupts.observe(event);
        if (event.type === 'build-error') errorReported = true;
        if (record && event.type !== 'step-log') recorded.push(event);
        renderer.handle(event);
      },
    });
    renderer.close();
    if (!request.stdoutTaken && progress !== 'none') process.stdout.write(`${result.imageId}\n`);
  } catch (error) {
    renderer.close();
    if (interrupts.interrupted) {
      process.stderr.write(`${interrupts.cancelledLine('build')}\n`);
      await writePictures(values, recorded);
      await request?.dispose();
      process.exit(interrupts.exitCode);
    }
    if ((progress === 'json' || progress === 'rawjson') && isUserError(error)) {
      // The JSON stream is the whole report: its last line says what failed.
      if (!errorReported) renderer.handle({ type: 'build-error', time: Date.now(), message: error.message });
      annotateError(error);
      await writePictures(values, recorded);
      await request?.dispose();
      process.exit(1);
    }
    throw error;
  } finally {
    interrupts.dispose();
    await writePictures(values, recorded);
    await request?.dispose();
  }
}
