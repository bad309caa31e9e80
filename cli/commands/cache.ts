// `msbuild cache ls|du|prune|explain|export|import`: look into the step cache, trim it, ask why a
// build would miss, and move it between machines.
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { parseAge, prune, usageOf } from '../../engine/cache/manage.js';
import { CacheStore, defaultCacheDir } from '../../engine/cache/store.js';
import { exportCache, importCache } from '../../engine/cache/transfer.js';
import { exportCacheMounts, importCacheMounts } from '../../engine/docker/mount-transfer.js';
import type { BuildEvent, StepRef } from '../../engine/events.js';
import { connectCacheImages } from '../../engine/oci/image-store.js';
import { ociStateDir } from '../../engine/oci/select.js';
import type { ImageStore } from '../../engine/worker/image-store.js';
import { parseByteSize } from '../../engine/worker/run-settings.js';
import { buildRequestFrom } from '../build-request.js';
import type { OptionValues } from '../option-parsing.js';
import { formatBytes } from '../render/format.js';
import { stepLabel } from '../render/plain.js';
import { UsageError } from '../user-error.js';

/** The cache dir's index: every daemon's entries, or (with `images`) the entries of that daemon's scope. */
/** Where the OCI worker keeps the cache dir's RUN --mount=type=cache dirs. */
function ociCacheMounts(options: { cacheDir?: string }): string {
  return join(ociStateDir(options.cacheDir ?? defaultCacheDir()), 'cache-mounts');
}

function storeFor(options: { cacheDir?: string }, images?: ImageStore): CacheStore {
  return new CacheStore(options.cacheDir ?? defaultCacheDir(), images ? { daemon: () => images.identity() } : {});
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
  for (const file of broken)
    process.stderr.write(
      `warning: ${file.path} is not a usable cache entry (${file.problem}); builds ignore it, and it can be deleted\n`,
    );
  if (options.json) {
    const rows = entries.map((e) => ({
      key: e.key,
      image: e.imageId,
      stage: e.stage,
      step: e.step,
      size: e.layerSize,
      seconds: e.seconds,
      lastUsed: e.lastUsed.toISOString(),
      ...(e.daemon !== undefined ? { daemon: e.daemon } : {}),
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const lines = [['KEY', 'STAGE', 'STEP', 'SIZE', 'RUN TIME', 'LAST USED'].join('\t')];
  for (const e of entries) {
    lines.push(
      [
        e.key.slice(7, 19),
        e.stage,
        truncate(e.step, 60),
        formatBytes(e.layerSize),
        `${e.seconds.toFixed(1)}s`,
        ago(e.lastUsed),
      ].join('\t'),
    );
  }
  process.stdout.write(`${alignColumns(lines)}\n`);
}

function alignColumns(lines: string[]): string {
  const rows = lines.map((line) => line.split('\t'));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '))
    .join('\n');
}

export async function cacheDuCommand(options: { cacheDir?: string }): Promise<void> {
  const store = storeFor(options);
  const usage = usageOf(await store.list());
  process.stdout.write(`cache: ${store.dir}\n`);
  process.stdout.write(`entries: ${usage.entries}\n`);
  process.stdout.write(`layers: ${formatBytes(usage.bytes)}\n`);
  if (usage.oldestUse && usage.newestUse)
    process.stdout.write(`used: ${ago(usage.oldestUse)} to ${ago(usage.newestUse)}\n`);
}

export async function cachePruneCommand(options: {
  cacheDir?: string;
  keepStorage?: string;
  filter?: string[];
  all?: boolean;
}): Promise<void> {
  let unusedFor: number | undefined;
  for (const filter of options.filter ?? []) {
    const [name, value] = filter.split('=', 2);
    if (name !== 'until' || value === undefined)
      throw new UsageError(`unknown --filter ${JSON.stringify(filter)}: use until=DURATION (e.g. until=24h)`);
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
  // Which entries are this daemon's, and which images have a tag, only the daemon can say.
  const images = await connectCacheImages({ cacheDir: options.cacheDir ?? defaultCacheDir(), withinMs: 5000 });
  const result = await prune(storeFor(options, images), images, { all: options.all, unusedFor, keepBytes });
  const tagged = result.tagged > 0 ? ` (${result.tagged} of them for tagged images, which prune never removes)` : '';
  process.stdout.write(
    `removed ${result.removed.length} entries (${formatBytes(result.freedBytes)}), kept ${result.kept}${tagged}\n`,
  );
}

export async function cacheExplainCommand(context: string, values: OptionValues): Promise<void> {
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
  const request = await buildRequestFrom(context, values, 'explain');
  try {
    await build({ ...request.options, pull: 'never', dryRun: true, onEvent });
  } finally {
    await request.dispose();
  }
  if (report.length === 0) process.stdout.write(`every step is cached (${hits} steps)\n`);
  else process.stdout.write(`${report.join('\n')}\n${hits} steps cached\n`);
}

export async function cacheExportCommand(options: {
  cacheDir?: string;
  dest?: string;
  mounts?: boolean;
}): Promise<void> {
  if (!options.dest) throw new UsageError('--dest DIR is required');
  const images = await connectCacheImages({ cacheDir: options.cacheDir ?? defaultCacheDir() });
  const result = await exportCache(images, storeFor(options, images), options.dest);
  process.stdout.write(
    `exported ${result.entries} entries to ${options.dest}: ${result.layersWritten} layers written, ${result.layersKept} already there, ${result.layersRemoved} no longer needed removed\n`,
  );
  if (options.mounts) {
    const mounts = await exportCacheMounts(images.docker, options.dest, { localRoot: ociCacheMounts(options) });
    process.stdout.write(
      `exported ${mounts.volumes} cache mount(s) (RUN --mount=type=cache) to ${options.dest}/mounts\n`,
    );
  }
}

export async function cacheImportCommand(options: {
  cacheDir?: string;
  src?: string;
  mounts?: boolean;
}): Promise<void> {
  if (!options.src) throw new UsageError('--src DIR is required');
  const images = await connectCacheImages({ cacheDir: options.cacheDir ?? defaultCacheDir() });
  const result = await importCache(images, storeFor(options, images), options.src);
  process.stdout.write(
    `imported ${result.imported} entries (${result.alreadyPresent} already present, ${result.unusable} unusable)\n`,
  );
  if (options.mounts) {
    const mounts = await importCacheMounts(images.docker, options.src, { localRoot: ociCacheMounts(options) });
    process.stdout.write(`imported ${mounts.volumes} cache mount(s) (RUN --mount=type=cache)\n`);
  }
}
