// `msbuild build`: argument parsing for a build, progress rendering, the image ID printed last,
// and Ctrl-C: the first interrupt cancels and cleans up (exit 130), a second one exits at once
// (cli/interrupt.ts, shared with bake).
import { writeFile } from 'node:fs/promises';
import { build } from '../../engine/build.js';
import type { BuildEvent } from '../../engine/events.js';
import { networkMode, parseBuildArgs, parseLabels, positiveInteger, progressMode, pullPolicy } from '../options.js';
import { Interrupts } from '../interrupt.js';
import { createRenderer } from '../render/select.js';
import { timelineHtml, timelineSvg } from '../render/timeline.js';
import { traceJson } from '../render/trace.js';
import { isUserError, UsageError } from '../user-error.js';
import { parseSecrets } from '../secrets.js';
import { parseOutputSpec } from '../../engine/export/exporters.js';
import { parseByteSize } from '../sizes.js';

export interface BuildCommandOptions {
  tag?: string[];
  file?: string;
  target?: string;
  buildArg?: string[];
  label?: string[];
  iidfile?: string;
  network?: string;
  pull?: string | boolean;
  cache?: boolean;
  // commander reads --no-cache-filter as the negation of "cache-filter": the value lands here, and `true` when absent.
  cacheFilter?: string | boolean;
  cacheDir?: string;
  cacheFrom?: string[];
  cacheTo?: string;
  jobs?: string;
  platform?: string;
  progress?: string;
  secret?: string[];
  memory?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpuShares?: string;
  quiet?: boolean;
  output?: string[];
  metadataFile?: string;
  trace?: string;
  timeline?: string;
}

/** `--trace FILE` (Chrome trace events) and `--timeline FILE.svg|.html`, also for a failed build. */
async function writePictures(options: BuildCommandOptions, events: BuildEvent[]): Promise<void> {
  if (options.trace) await writeFile(options.trace, traceJson(events));
  if (options.timeline) await writeFile(options.timeline, options.timeline.endsWith('.html') ? timelineHtml(events) : timelineSvg(events));
}

/** SOURCE_DATE_EPOCH from the environment reaches the build as a build arg, as with docker buildx. */
function withSourceDateEpoch(args: Map<string, string>): Map<string, string> {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '' && !args.has('SOURCE_DATE_EPOCH')) args.set('SOURCE_DATE_EPOCH', epoch);
  return args;
}

/** `type=local,src=DIR` (or a bare directory) → DIR. */
function localCacheDir(spec: string, key: 'src' | 'dest'): string {
  if (!spec.includes('=')) return spec;
  const fields = new Map(spec.split(',').map((field) => field.split('=', 2) as [string, string]));
  const type = fields.get('type') ?? 'local';
  if (type !== 'local') throw new UsageError(`cache type ${JSON.stringify(type)} is not supported: use type=local,${key}=DIR`);
  const dir = fields.get(key);
  if (!dir) throw new UsageError(`invalid cache spec ${JSON.stringify(spec)}: ${key}=DIR is required`);
  return dir;
}

export async function buildCommand(context: string, options: BuildCommandOptions): Promise<void> {
  const progress = progressMode(options.quiet ? 'quiet' : (options.progress ?? 'auto'));
  const renderer = await createRenderer(progress, process.stderr);
  // The trace and timeline need the steps' times, not their output.
  const recorded: BuildEvent[] = [];
  const record = options.trace !== undefined || options.timeline !== undefined;
  let errorReported = false;
  const interrupts = new Interrupts((signal) =>
    renderer.handle({ type: 'warning', time: Date.now(), message: `${signal}: cancelling the build and removing its containers` }),
  );
  try {
    const result = await build({
      context,
      dockerfile: options.file,
      tags: options.tag,
      target: options.target,
      buildArgs: withSourceDateEpoch(parseBuildArgs(options.buildArg)),
      labels: parseLabels(options.label),
      iidfile: options.iidfile,
      network: networkMode(options.network),
      pull: pullPolicy(options.pull),
      noCache: options.cache === false,
      noCacheFilter: typeof options.cacheFilter !== 'string' ? undefined : options.cacheFilter.split(',').map((s) => s.trim()).filter(Boolean),
      cacheDir: options.cacheDir,
      cacheFrom: (options.cacheFrom ?? []).map((spec) => localCacheDir(spec, 'src')),
      cacheTo: options.cacheTo !== undefined ? localCacheDir(options.cacheTo, 'dest') : undefined,
      jobs: positiveInteger('--jobs', options.jobs),
      platform: options.platform,
      secrets: parseSecrets(options.secret),
      limits: {
        memory: options.memory !== undefined ? parseByteSize(options.memory) : undefined,
        cpuQuota: positiveInteger('--cpu-quota', options.cpuQuota),
        cpuPeriod: positiveInteger('--cpu-period', options.cpuPeriod),
        cpuShares: positiveInteger('--cpu-shares', options.cpuShares),
      },
      outputs: (options.output ?? []).map(parseOutputSpec),
      metadataFile: options.metadataFile,
      signal: interrupts.signal,
      onEvent: (event: BuildEvent) => {
        interrupts.observe(event);
        if (event.type === 'build-error') errorReported = true;
        if (record && event.type !== 'step-log') recorded.push(event);
        renderer.handle(event);
      },
    });
    renderer.close();
    process.stdout.write(`${result.imageId}\n`);
  } catch (error) {
    renderer.close();
    if (interrupts.interrupted) {
      process.stderr.write(`${interrupts.cancelledLine('build')}\n`);
      await writePictures(options, recorded);
      process.exit(interrupts.exitCode);
    }
    if (progress === 'json' && isUserError(error)) {
      // The JSON stream is the whole report: its last line, build-error, says what failed.
      if (!errorReported) renderer.handle({ type: 'build-error', time: Date.now(), message: error.message });
      await writePictures(options, recorded);
      process.exit(1);
    }
    throw error;
  } finally {
    interrupts.dispose();
    await writePictures(options, recorded);
  }
}
