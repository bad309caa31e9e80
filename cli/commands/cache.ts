// `msbuild cache ls|du|prune|explain|export|import`: look into the step cache, trim it, ask why a
// build would miss, and move it between machines.
import { build } from '../../engine/build.js';
import { parseAge, prune, usageOf } from '../../engine/cache/manage.js';
import { CacheStore, defaultCacheDir } from '../../engine/cache/store.js';
import { exportCache, importCache } from '../../engine/cache/transfer.js';
import { checkDaemon, connectDocker } from '../../engine/docker/daemon.js';
import type { BuildEvent, StepRef } from '../../engine/events.js';
import { parseBuildArgs } from '../options.js';
import { formatBytes } from '../render/format.js';
import { stepLabel } from '../render/plain.js';
import { parseByteSize } from '../sizes.js';
import { UsageError } from '../user-error.js';

function storeFor(options: { cacheDir?: string }): CacheStore {
  return new CacheStore(options.cacheDir ?? defaultCacheDir());
}

function ago(date: Date): string {
  const seconds = Math.max(0, (Date.now() - date.getTime()) / 1000);
  if (seconds < 90) return `${Math.round(seconds)}s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

export async function cacheLsCommand(options: { cacheDir?: string; json?: boolean }): Promise<void> {
  const { entries: found, broken } = await storeFor(options).verify();
  const entries = found.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  // Builds skip broken files (a miss); a listing says they are there, without failing.
  for (const file of broken) process.stderr.write(`warning: ${file.path} is not a usable cache entry (${file.problem}); builds ignore it, and it can be deleted\n`);
  if (options.json) {
    const rows = entries.map((e) => ({ key: e.key, image: e.imageId, stage: e.stage, step: e.step, size: e.layerSize, seconds: e.seconds, lastUsed: e.lastUsed.toISOString() }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const lines = [['KEY', 'STAGE', 'STEP', 'SIZE', 'RUN TIME', 'LAST USED'].join('\t')];
  for (const e of entries) {
    lines.push([e.key.slice(7, 19), e.stage, truncate(e.step, 60), formatBytes(e.layerSize), `${e.seconds.toFixed(1)}s`, ago(e.lastUsed)].join('\t'));
  }
  process.stdout.write(`${alignColumns(lines)}\n`);
}

function alignColumns(lines: string[]): string {
  const rows = lines.map((line) => line.split('\t'));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

export async function cacheDuCommand(options: { cacheDir?: string }): Promise<void> {
  const store = storeFor(options);
  const usage = usageOf(await store.list());
  process.stdout.write(`cache: ${store.dir}\n`);
  process.stdout.write(`entries: ${usage.entries}\n`);
  process.stdout.write(`layers: ${formatBytes(usage.bytes)}\n`);
  if (usage.oldestUse && usage.newestUse) process.stdout.write(`used: ${ago(usage.oldestUse)} to ${ago(usage.newestUse)}\n`);
}

export async function cachePruneCommand(options: { cacheDir?: string; keepStorage?: string; filter?: string[]; all?: boolean }): Promise<void> {
  let unusedFor: number | undefined;
  for (const filter of options.filter ?? []) {
    const [name, value] = filter.split('=', 2);
    if (name !== 'until' || value === undefined) throw new UsageError(`unknown --filter ${JSON.stringify(filter)}: use until=DURATION (e.g. until=24h)`);
    try {
      unusedFor = parseAge(value);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const keepBytes = options.keepStorage !== undefined ? parseByteSize(options.keepStorage) : undefined;
  if (!options.all && unusedFor === undefined && keepBytes === undefined) {
    throw new UsageError('say what to prune: --all, --keep-storage SIZE and/or --filter until=DURATION');
  }
  const docker = connectDocker();
  const reachable = await checkDaemon(docker, 5000).then(() => true, () => false);
  const result = await prune(storeFor(options), reachable ? docker : undefined, { all: options.all, unusedFor, keepBytes });
  process.stdout.write(`removed ${result.removed.length} entries (${formatBytes(result.freedBytes)}), kept ${result.kept}\n`);
  if (!reachable) process.stdout.write('the Docker daemon did not answer: index entries were removed, their images were left in place\n');
}

export async function cacheExplainCommand(
  context: string,
  options: { cacheDir?: string; file?: string; target?: string; buildArg?: string[]; platform?: string },
): Promise<void> {
  const steps = new Map<string, StepRef>();
  const report: string[] = [];
  let hits = 0;
  const onEvent = (event: BuildEvent) => {
    if (event.type === 'step-start' || event.type === 'step-cached') steps.set(event.step.id, event.step);
    if (event.type === 'step-cached') hits++;
    if (event.type === 'cache-miss') {
      const step = steps.get(event.stepId);
      report.push(`${step ? stepLabel(step) : event.stepId}: will run`);
      for (const reason of event.reasons) report.push(`    ${reason}`);
    }
  };
  await build({
    context,
    dockerfile: options.file,
    target: options.target,
    buildArgs: parseBuildArgs(options.buildArg),
    platform: options.platform,
    cacheDir: options.cacheDir,
    pull: 'never',
    dryRun: true,
    onEvent,
  });
  if (report.length === 0) process.stdout.write(`every step is cached (${hits} steps)\n`);
  else process.stdout.write(`${report.join('\n')}\n${hits} steps cached\n`);
}

export async function cacheExportCommand(options: { cacheDir?: string; dest: string }): Promise<void> {
  const docker = connectDocker();
  await checkDaemon(docker);
  const result = await exportCache(docker, storeFor(options), options.dest);
  process.stdout.write(
    `exported ${result.entries} entries to ${options.dest}: ${result.layersWritten} layers written, ${result.layersKept} already there, ${result.layersRemoved} no longer needed removed\n`,
  );
}

export async function cacheImportCommand(options: { cacheDir?: string; src: string }): Promise<void> {
  const docker = connectDocker();
  await checkDaemon(docker);
  const result = await importCache(docker, storeFor(options), options.src);
  process.stdout.write(`imported ${result.imported} entries (${result.alreadyPresent} already present, ${result.unusable} unusable)\n`);
}
