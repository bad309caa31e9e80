// The one mapping from command-line option values to BuildOptions (build and cache explain use it):
// each table key read once, checked as docker reads it, and turned into the engine's setting.
import type { BuildOptions } from '../engine/build.js';
import { cacheOptions, parseCacheSpec } from '../engine/cache/cache-spec.js';
import { parseOutputSpec, writesToStream, type OutputSpec } from '../engine/export/output-spec.js';
import type { ResourceLimits } from '../engine/options.js';
import { workerChoice } from '../engine/options.js';
import { formatPlatform, hostPlatform } from '../engine/plan/args.js';
import { parseSecrets } from '../engine/steps/secret-spec.js';
import {
  parseByteSize,
  parseExtraHost,
  parseMemorySwap,
  parseResourceFlag,
  parseUlimit,
} from '../engine/worker/run-settings.js';
import { checkFlagSupport } from './flag-support.js';
import { parseGoBool, type OptionValues } from './option-parsing.js';
import { networkMode, parseBuildArgs, parseLabels, positiveInteger, pullPolicy } from './options.js';
import { readBuildInputs } from './stdin-inputs.js';
import { UsageError } from './user-error.js';

export interface BuildRequest {
  options: BuildOptions;
  /** An output streams to stdout (`-o -`): nothing else may be written there. */
  stdoutTaken: boolean;
  /** Removes what reading the inputs made (a context unpacked from stdin). */
  dispose(): Promise<void>;
}

/** SOURCE_DATE_EPOCH from the environment reaches the build as a build arg, as with docker buildx. */
function withSourceDateEpoch(args: Map<string, string>): Map<string, string> {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '' && !args.has('SOURCE_DATE_EPOCH')) args.set('SOURCE_DATE_EPOCH', epoch);
  return args;
}

/** `local` is this machine's platform, as buildx reads it; a list is refused before anything is read. */
function platformOf(value: string | undefined): string | undefined {
  if (value?.includes(','))
    throw new UsageError(
      `--platform ${value}: multi-platform builds are not supported; build one platform at a time with the daemon's own`,
    );
  return value === 'local' ? formatPlatform(hostPlatform()) : value;
}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`invalid ${flag} ${JSON.stringify(value)}: expected an integer`);
  return Number(value);
}

/** `--memory`, `--cpu-*`, `--shm-size`, `--ulimit`, `--add-host`, … and buildx's `--resource` on top. */
function limitsOf(values: OptionValues): ResourceLimits {
  const limits: ResourceLimits = {
    ...(values['limits.memory'] !== undefined ? { memory: parseByteSize(values['limits.memory']) } : {}),
    ...(values['limits.memorySwap'] !== undefined ? { memorySwap: parseMemorySwap(values['limits.memorySwap']) } : {}),
    ...(values['limits.cpuShares'] !== undefined
      ? { cpuShares: integer('--cpu-shares', values['limits.cpuShares']) }
      : {}),
    ...(values['limits.cpuPeriod'] !== undefined
      ? { cpuPeriod: positiveInteger('--cpu-period', values['limits.cpuPeriod']) }
      : {}),
    ...(values['limits.cpuQuota'] !== undefined ? { cpuQuota: integer('--cpu-quota', values['limits.cpuQuota']) } : {}),
    ...(values['limits.cpusetCpus'] !== undefined ? { cpusetCpus: values['limits.cpusetCpus'] } : {}),
    ...(values['limits.cpusetMems'] !== undefined ? { cpusetMems: values['limits.cpusetMems'] } : {}),
    ...(values.shmSize !== undefined ? { shmSize: parseByteSize(values.shmSize) } : {}),
    ...(values.ulimits ? { ulimits: values.ulimits.map(parseUlimit) } : {}),
    ...(values.extraHosts ? { extraHosts: values.extraHosts.map(parseExtraHost) } : {}),
    ...(values.cgroupParent !== undefined ? { cgroupParent: values.cgroupParent } : {}),
    ...(values.securityOpt ? { securityOpt: values.securityOpt } : {}),
  };
  for (const resource of values.resources ?? []) Object.assign(limits, parseResourceFlag(resource));
  return limits;
}

/** `-o` values; `-` and `dest=-` stream to stdout (only one may). Image names of `type=docker` become tags. */
function outputsOf(values: OptionValues): {
  outputs: OutputSpec[];
  names: string[];
  push: boolean;
  stdoutTaken: boolean;
} {
  const outputs: OutputSpec[] = [];
  const names: string[] = [];
  let push = false;
  let streams = 0;
  for (const value of values.outputs ?? []) {
    const spec = parseOutputSpec(value);
    if (spec.type === 'docker') {
      // Its names are the image's names, and so what is pushed (buildx fills them from -t the same way).
      names.push(...(spec.names ?? []));
      push ||= spec.push === true;
      continue;
    }
    if (writesToStream(spec)) {
      streams++;
      outputs.push({ ...spec, stream: process.stdout });
    } else outputs.push(spec);
  }
  if (streams > 1) throw new UsageError('only one --output can write to stdout');
  if (streams > 0 && process.stdout.isTTY)
    throw new UsageError(
      '--output writes a tar to stdout, which is a terminal: redirect it (> out.tar) or give dest=FILE',
    );
  return { outputs, names, push, stdoutTaken: streams > 0 };
}

/** `--no-cache-filter a,b --no-cache-filter c` → [a, b, c]. */
function stageList(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((value) =>
    value
      .split(',')
      .map((stage) => stage.trim())
      .filter(Boolean),
  );
}

/**
 * BuildOptions for `context` and the parsed option values. Refused flags and refused values of
 * no-op flags fail first, before anything is read; `-f -` and a context of `-` read stdin.
 */
export async function buildRequestFrom(
  context: string,
  values: OptionValues,
  command: 'build' | 'explain' = 'build',
): Promise<BuildRequest> {
  checkFlagSupport(values, command);
  const { outputs, names, push, stdoutTaken } = outputsOf(values);
  const cacheFrom = (values.cacheFrom ?? []).map((spec) => parseCacheSpec(spec, 'from'));
  const cacheTo = (values.cacheTo ?? []).map((spec) => parseCacheSpec(spec, 'to'));
  if (cacheTo.length > 1) throw new UsageError('msbuild exports one --cache-to per build');
  const limits = limitsOf(values);
  const pull = pullPolicy(values.pull);
  const secrets = parseSecrets(values.secrets);
  const platform = platformOf(values.platform);
  const inputs = await readBuildInputs(context, values.dockerfile);
  const options: BuildOptions = {
    context: inputs.context,
    ...(inputs.dockerfile !== undefined ? { dockerfile: inputs.dockerfile } : {}),
    ...(inputs.dockerfileText !== undefined ? { dockerfileText: inputs.dockerfileText } : {}),
    tags: [...(values.tags ?? []), ...names],
    ...(values.target !== undefined ? { target: values.target } : {}),
    buildArgs: withSourceDateEpoch(parseBuildArgs(values.buildArgs)),
    labels: parseLabels(values.labels),
    ...(platform !== undefined ? { platform } : {}),
    network: networkMode(values.network),
    ...(values.worker !== undefined ? { worker: workerChoice(values.worker) } : {}),
    pull,
    noCache: parseGoBool('--no-cache', values.noCache) ?? false,
    ...(values.noCacheFilter ? { noCacheFilter: stageList(values.noCacheFilter) } : {}),
    ...(values.cacheDir !== undefined ? { cacheDir: values.cacheDir } : {}),
    ...cacheOptions(cacheFrom, cacheTo[0]),
    ...(values.jobs !== undefined ? { jobs: positiveInteger('--jobs', values.jobs) } : {}),
    secrets,
    ...(values.allow !== undefined ? { allow: values.allow } : {}),
    ...(values.ssh !== undefined ? { ssh: values.ssh } : {}),
    ...(values.buildContexts !== undefined ? { buildContexts: values.buildContexts } : {}),
    limits,
    outputs,
    push: (parseGoBool('--push', values.push) ?? false) || push,
    ...(values.iidfile !== undefined ? { iidfile: values.iidfile } : {}),
    ...(values.metadataFile !== undefined ? { metadataFile: values.metadataFile } : {}),
  };
  return { options, stdoutTaken, dispose: inputs.dispose };
}
