// `msbuild build`: argument parsing for a build, progress rendering, the image ID printed last,
// and Ctrl-C: the first interrupt cancels and cleans up (exit 130), a second one exits at once.
import { build, type PullPolicy } from '../../engine/build.js';
import type { BuildEvent } from '../../engine/events.js';
import { parseBuildArgs, parseLabels } from '../options.js';
import { PlainRenderer } from '../render/plain.js';
import { UsageError } from '../user-error.js';
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
  noCacheFilter?: string;
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
}

function pullPolicy(value: string | boolean | undefined): PullPolicy {
  if (value === undefined || value === false) return 'missing';
  if (value === true) return 'always';
  if (value === 'always' || value === 'missing' || value === 'never') return value;
  throw new UsageError(`invalid --pull ${JSON.stringify(value)}: use always, missing or never`);
}

function networkMode(value: string | undefined): 'default' | 'none' | 'host' {
  if (value === undefined) return 'default';
  if (value === 'default' || value === 'none' || value === 'host') return value;
  throw new UsageError(`invalid --network ${JSON.stringify(value)}: use default, none or host`);
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new UsageError(`invalid ${name} ${JSON.stringify(value)}: expected a positive integer`);
  return Number(value);
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
  const controller = new AbortController();
  let interrupts = 0;
  let exitCode = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    exitCode = signal === 'SIGTERM' ? 143 : 130;
    if (interrupts > 1) {
      process.stderr.write('\ninterrupted again: exiting now (the cache index stays valid)\n');
      process.exit(exitCode);
    }
    process.stderr.write(`\n${signal}: cancelling the build and removing its containers...\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = options.quiet ? 'quiet' : (options.progress ?? 'auto');
  const renderer = progress === 'quiet' ? undefined : new PlainRenderer({ write: (text) => process.stderr.write(text) });
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
      noCacheFilter: options.noCacheFilter?.split(',').map((s) => s.trim()).filter(Boolean),
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
      signal: controller.signal,
      onEvent: (event: BuildEvent) => renderer?.handle(event),
    });
    process.stdout.write(`${result.imageId}\n`);
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write('build cancelled; intermediate containers removed\n');
      process.exit(exitCode);
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
