// `msbuild bake`: targets from bake files as buildx reads them (HCL, JSON, compose, msbuild.yaml; -f,
// BUILDX_BAKE_FILE or buildx's lookup order), built at once over one shared scheduler and cache.
// `--print` shows the resolved definition in buildx's JSON, `--list` the targets or variables, and
// `--metadata-file` writes each target's result keyed by its name. Ctrl-C works as in build: the first
// cancels every target and cleans up, a second exits at once.
import { writeFile } from 'node:fs/promises';
import { parseBakeFiles, readBakeFiles, resolveTargets } from '../../engine/bake/config.js';
import { BakeError } from '../../engine/bake/errors.js';
import { listBake, parseListRequest } from '../../engine/bake/list.js';
import { printBake } from '../../engine/bake/print.js';
import { runBake } from '../../engine/bake/run.js';
import { connectDocker } from '../../engine/docker/daemon.js';
import { DockerImageStore } from '../../engine/docker/image-store.js';
import { manifestDigestOf } from '../../engine/export/exporters.js';
import { buildMetadata } from '../../engine/export/metadata.js';
import { workerChoice } from '../../engine/options.js';
import { checkFlagSupport } from '../flag-support.js';
import { Interrupts } from '../interrupt.js';
import { parseGoBool, type OptionValues } from '../option-parsing.js';
import { networkMode, positiveInteger, progressMode, pullPolicy } from '../options.js';
import { createRenderer } from '../render/select.js';
import { BakeProgress } from './bake-progress.js';

/** `--var name=value` values. */
function parseVars(values: readonly string[] = []): Map<string, string> {
  const vars = new Map<string, string>();
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals < 0) throw new BakeError(`invalid variable ${JSON.stringify(value)}, expected key=value`);
    if (equals === 0) throw new BakeError(`invalid variable ${JSON.stringify(value)}, key is empty`);
    vars.set(value.slice(0, equals), value.slice(equals + 1));
  }
  return vars;
}

/** The flags that act on every target, as the `--set` patterns buildx turns them into. */
function flagOverrides(values: OptionValues): string[] {
  const overrides = [...(values.set ?? [])];
  if (parseGoBool('--load', values.load)) overrides.push('*.load=true');
  const noCache = parseGoBool('--no-cache', values.noCache);
  if (noCache !== undefined) overrides.push(`*.no-cache=${noCache}`);
  if (values.pull !== undefined) {
    const policy = pullPolicy(values.pull);
    if (policy !== 'never') overrides.push(`*.pull=${policy === 'always'}`);
  }
  for (const [flag, type] of [
    [values.provenance, 'provenance'],
    [values.sbom, 'sbom'],
  ] as const)
    if (flag !== undefined) overrides.push(`*.attest=type=${type},disabled=true`);
  return overrides;
}

export async function bakeCommand(targets: string[], values: OptionValues): Promise<void> {
  checkFlagSupport(values, 'bake');
  const progress = progressMode(values.progress);
  const jobs = positiveInteger('--jobs', values.jobs);
  // Given, these override every target's own setting; absent, each target keeps its own.
  const network = values.network !== undefined ? networkMode(values.network) : undefined;
  const pull = values.pull !== undefined ? pullPolicy(values.pull) : undefined;
  const print = parseGoBool('--print', values.print) ?? false;
  if (print && values.list !== undefined) throw new BakeError('--print and --list are mutually exclusive');

  const files = readBakeFiles(values.bakeFiles);
  const loaded = parseBakeFiles(files, { vars: parseVars(values.vars) });
  if (values.list !== undefined) {
    process.stdout.write(listBake(loaded, parseListRequest(values.list)));
    return;
  }
  const resolved = resolveTargets(loaded.config, targets, flagOverrides(values));
  if (print) {
    process.stdout.write(printBake(resolved));
    return;
  }
  if (parseGoBool('--check', values.check)) {
    const { bakeCheck } = await import('./bake-check.js');
    await bakeCheck(resolved.targets, { json: progress === 'json', ...(values.allow ? { allow: values.allow } : {}) });
    return;
  }

  const renderer = await createRenderer(progress, process.stderr);
  const view = new BakeProgress(renderer, progress, (text) => process.stderr.write(text));
  const interrupts = new Interrupts((signal) =>
    renderer.handle({
      type: 'warning',
      time: Date.now(),
      message: `${signal}: cancelling every target and removing their containers`,
    }),
  );
  const docker = connectDocker();
  let outcomes: Awaited<ReturnType<typeof runBake>>;
  try {
    outcomes = await runBake(resolved.targets, {
      ...(values.cacheDir !== undefined ? { cacheDir: values.cacheDir } : {}),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(network !== undefined ? { network } : {}),
      ...(pull !== undefined ? { pull } : {}),
      ...(values.allow !== undefined ? { allow: values.allow } : {}),
      push: parseGoBool('--push', values.push) ?? false,
      ...(values.worker !== undefined ? { worker: workerChoice(values.worker) } : {}),
      docker,
      stdout: process.stdout,
      signal: interrupts.signal,
      onEvent: (target, event) => {
        interrupts.observe(event);
        view.handle(target, event);
      },
    });
    view.finish(outcomes.map((outcome) => outcome.target));
  } finally {
    renderer.close();
    interrupts.dispose();
  }
  if (interrupts.interrupted) {
    process.stderr.write(`${interrupts.cancelledLine('bake')}\n`);
    process.exit(interrupts.exitCode);
  }
  const streams = [...resolved.targets.values()].some((target) => target.output?.some((entry) => entry.dest === '-'));
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.error) {
      failed++;
      process.stderr.write(`${outcome.target}: failed: ${outcome.error.message}\n`);
    } else if (!streams && progress !== 'none') {
      process.stdout.write(`${outcome.target} ${outcome.result?.imageId}\n`);
    }
  }
  if (values.metadataFile !== undefined) {
    // buildx's shape: each target's metadata under its name.
    const metadata: Record<string, unknown> = {};
    for (const outcome of outcomes) {
      if (!outcome.result) continue;
      const { imageId, tags, buildId } = outcome.result;
      metadata[outcome.target] = buildMetadata({
        imageId,
        manifestDigest: await manifestDigestOf(new DockerImageStore(docker), imageId),
        tags,
        buildId,
      });
    }
    await writeFile(values.metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
  }
  if (failed > 0) throw new BakeError(`${failed} of ${outcomes.length} targets failed`);
}
