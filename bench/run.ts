// `npm run bench`: builds the benchmark cases with msbuild, `DOCKER_BUILDKIT=0 docker build` and
// `DOCKER_BUILDKIT=1 docker build` side by side — cold, fully cached, after a one-file change — and
// prints median times and ratios. Measures; asserts nothing.
import { spawn } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { build } from '../engine/build.js';
import { criticalPathCounts, floorMs, measureEngineFloor, type PathCounts } from './floor.js';

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);
const docker = '/usr/bin/docker';
const reps = Number(process.env.BENCH_REPS ?? 3);
/** Every change writes content no earlier run saw, or a builder's older cache would hide the change. */
const nonce = () => `${Date.now()}-${Math.random().toString(36).slice(2)}`;
const only = process.env.BENCH_CASES?.split(',');

interface BenchCase {
  name: string;
  /** Copies (or generates) the context into `dir`. */
  prepare(dir: string): Promise<void>;
  /** Changes one file of the context. */
  change(dir: string): Promise<void>;
}

const cases: BenchCase[] = [
  {
    name: 'go-client-server',
    prepare: (dir) => cp(join(repoRoot, 'fixtures/apps/go-client-server'), dir, { recursive: true }),
    change: (dir) => appendFile(join(dir, 'cmd/server/main.go'), `\n// change ${nonce()}\n`),
  },
  {
    name: 'fan-out-6',
    prepare: (dir) => cp(join(repoRoot, 'bench/cases/fanout'), dir, { recursive: true }),
    change: (dir) => writeFile(join(dir, 'input.txt'), `changed ${nonce()}\n`),
  },
  {
    name: 'steps-30',
    prepare: (dir) => cp(join(repoRoot, 'bench/cases/steps30'), dir, { recursive: true }),
    change: (dir) => writeFile(join(dir, 'input.txt'), `changed ${nonce()}\n`),
  },
  {
    name: 'context-5000-files',
    prepare: async (dir) => {
      await mkdir(join(dir, 'src'), { recursive: true });
      for (let i = 0; i < 5000; i++) {
        const sub = join(dir, 'src', `d${Math.floor(i / 100)}`);
        if (i % 100 === 0) await mkdir(sub, { recursive: true });
        await writeFile(join(sub, `f${i}.txt`), `file ${i}\n`.repeat(20));
      }
      await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nWORKDIR /app\nCOPY src/ /app/src/\nRUN find /app/src -type f | wc -l > /app/count\n');
    },
    change: (dir) => writeFile(join(dir, 'src/d7/f700.txt'), `changed ${nonce()}\n`),
  },
  {
    name: 'context-2gib',
    prepare: async (dir) => {
      await mkdir(dir, { recursive: true });
      // 2 GiB of data msbuild must stream, never hold: measured by its peak RSS.
      await run('dd', ['if=/dev/urandom', `of=${join(dir, 'big.bin')}`, 'bs=16M', 'count=128', 'status=none']);
      await writeFile(join(dir, 'small.txt'), 'small\n');
      await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY big.bin /data/big.bin\nCOPY small.txt /data/\n');
    },
    change: (dir) => writeFile(join(dir, 'small.txt'), `changed ${nonce()}\n`),
  },
];

type Builder = 'msbuild' | 'legacy' | 'buildkit';
const builders: Builder[] = ['msbuild', 'legacy', 'buildkit'];

/** Peak RSS (kB) of msbuild processes, per case, reported by a preloaded hook. */
const peakRss = new Map<string, number>();
let currentCase = '';
const rssReport = join(repoRoot, 'test/support/rss-report.cjs');

/** Runs a command and returns its seconds; with `stderrLines`, every line of its stderr is kept there. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, stderrLines?: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let partial = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      if (!stderrLines) return;
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      stderrLines.push(...lines);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial !== '') stderrLines?.push(partial);
      const rss = /MAXRSS=(\d+)/.exec(stderr);
      if (rss) peakRss.set(currentCase, Math.max(peakRss.get(currentCase) ?? 0, Number(rss[1])));
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr}`));
      else resolvePromise(Number(process.hrtime.bigint() - started) / 1e9);
    });
  });
}

/** With `progress`, msbuild's JSON progress lines (on stderr) are kept there; else it prints only the image ID. */
function buildOnce(builder: Builder, context: string, tag: string, cacheDir: string, noCache: boolean, progress?: string[]): Promise<number> {
  if (builder === 'msbuild') {
    const output = progress ? ['--progress', 'json'] : ['-q'];
    const args = ['-r', rssReport, join(repoRoot, 'dist/cli/launcher.cjs'), 'build', ...output, '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, '-t', tag, context];
    if (noCache) args.push('--no-cache');
    return run(process.execPath, args, {}, progress);
  }
  const args = ['build', '-q', '--network', 'none', '-t', tag, context];
  // The legacy builder wants `./` where BuildKit (and msbuild) accept `.` as a directory for several sources.
  if (builder === 'legacy') args.splice(1, 0, '-f', join(context, 'Dockerfile.legacy'));
  if (noCache) args.push('--no-cache');
  return run(docker, args, { DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0' });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Row {
  case: string;
  mode: string;
  times: Record<Builder, number>;
}

/** The critical path of each case's first cold msbuild build, for the floor table. */
const criticalPaths = new Map<string, PathCounts>();

/** Median seconds of a fully cached `build()` called again in one warm process (msbuild as a library). */
const libraryCached = new Map<string, number>();
const sharedDocker = new Docker();

async function measureLibraryCached(context: string, tag: string, cacheDir: string): Promise<number> {
  const once = async () => {
    const started = process.hrtime.bigint();
    const result = await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir, docker: sharedDocker });
    if (result.summary.stepsRun !== 0) throw new Error(`a cached library build of ${context} ran ${result.summary.stepsRun} step(s)`);
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  await once(); // the process warms up: modules, the daemon connection
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await once());
  return median(times);
}

async function imageIds(): Promise<Set<string>> {
  const images = await sharedDocker.listImages({ all: true });
  return new Set(images.map((image) => image.Id));
}

/**
 * Removes the images that appeared since `before` (every builder's, tagged or not): a case's cold
 * builds each make new layers (the 2 GiB case, 2 GiB a build), which would otherwise fill the disk.
 * Children go before parents, so removal repeats while it makes progress.
 */
async function removeImagesSince(before: ReadonlySet<string>): Promise<void> {
  let left = [...(await imageIds())].filter((id) => !before.has(id));
  while (left.length > 0) {
    const failed: string[] = [];
    for (const id of left) await sharedDocker.getImage(id).remove({ force: true }).catch(() => failed.push(id));
    if (failed.length === left.length) return;
    left = failed;
  }
}

async function measureCase(benchCase: BenchCase): Promise<Row[]> {
  const imagesBefore = await imageIds();
  const work = await mkdtemp(join(tmpdir(), `msbuild-bench-${benchCase.name}-`));
  const context = join(work, 'context');
  await benchCase.prepare(context);
  const dockerfile = await readFile(join(context, 'Dockerfile'), 'utf8');
  await writeFile(join(context, 'Dockerfile.legacy'), dockerfile.replace(/^(COPY [^\n]+ \S+ )\.$/gm, '$1./'));
  const samples: Record<string, Record<Builder, number[]>> = {};
  const record = (mode: string, builder: Builder, seconds: number) => {
    samples[mode] ??= { msbuild: [], legacy: [], buildkit: [] };
    samples[mode][builder].push(seconds);
  };
  try {
    for (let round = 0; round < reps; round++) {
      for (const builder of builders) {
        const tag = `msbuild-bench/${benchCase.name}:${builder}`;
        // Cold: nothing cached (msbuild gets an empty cache directory; docker gets --no-cache).
        const cacheDir = join(work, `cache-${builder}-${round}`);
        const progress = builder === 'msbuild' && round === 0 ? [] : undefined;
        record('cold', builder, await buildOnce(builder, context, tag, cacheDir, true, progress));
        if (progress) criticalPaths.set(benchCase.name, criticalPathCounts(progress, dockerfile));
        await buildOnce(builder, context, tag, cacheDir, false); // warm the cache
        record('cached', builder, await buildOnce(builder, context, tag, cacheDir, false));
        await benchCase.change(context);
        record('one-file change', builder, await buildOnce(builder, context, tag, cacheDir, false));
        // Before the other builders change the context again: msbuild's cache holds this state.
        if (builder === 'msbuild' && round === reps - 1) libraryCached.set(benchCase.name, await measureLibraryCached(context, tag, cacheDir));
        process.stderr.write('.');
      }
    }
  } finally {
    await removeImagesSince(imagesBefore);
    await rm(work, { recursive: true, force: true });
  }
  return Object.entries(samples).map(([mode, times]) => ({
    case: benchCase.name,
    mode,
    times: { msbuild: median(times.msbuild), legacy: median(times.legacy), buildkit: median(times.buildkit) },
  }));
}

function table(rows: Row[]): string {
  const header = ['case', 'mode', 'msbuild', 'legacy', 'buildkit', 'msbuild/buildkit', 'legacy/msbuild'];
  const body = rows.map((r) => [
    r.case,
    r.mode,
    `${r.times.msbuild.toFixed(2)}s`,
    `${r.times.legacy.toFixed(2)}s`,
    `${r.times.buildkit.toFixed(2)}s`,
    `${(r.times.msbuild / r.times.buildkit).toFixed(2)}x`,
    `${(r.times.legacy / r.times.msbuild).toFixed(2)}x`,
  ]);
  const widths = header.map((_, i) => Math.max(header[i].length, ...body.map((row) => row[i].length)));
  return [header, ...body].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n');
}

const rows: Row[] = [];
for (const benchCase of cases) {
  if (only && !only.includes(benchCase.name)) continue;
  process.stderr.write(`${benchCase.name} `);
  currentCase = benchCase.name;
  rows.push(...(await measureCase(benchCase)));
  process.stderr.write('\n');
}
process.stdout.write(`median of ${reps} runs each (lower is better; msbuild/buildkit < 1 means msbuild is faster)\n\n${table(rows)}\n`);
process.stdout.write(`\nmsbuild peak RSS per case: ${[...peakRss].map(([name, kb]) => `${name} ${(kb / 1024).toFixed(0)} MB`).join(', ')}\n`);

const libraryLines = [...libraryCached].map(([name, seconds]) => {
  const buildkit = rows.find((r) => r.case === name && r.mode === 'cached')?.times.buildkit ?? Number.NaN;
  return `${name} ${seconds.toFixed(3)}s (${(seconds / buildkit).toFixed(2)}x BuildKit's cached build)`;
});
process.stdout.write(`\nfully cached, build() called again in one warm process (msbuild as a library, no node start): ${libraryLines.join(', ')}\n`);

// What the Engine API alone costs, measured beside the builds: the least any builder driving the
// daemon from outside can take, before the steps' own commands run.
process.stderr.write('engine floor\n');
const floor = await measureEngineFloor('busybox:latest');
const ms = (value: number) => `${value.toFixed(0)} ms`;
process.stdout.write(
  `\nEngine API floor on this daemon (median of ${process.env.BENCH_FLOOR_SAMPLES ?? 7}, dockerode alone): ` +
    `create ${ms(floor.create)}, start ${ms(floor.start)}, wait for exit ${ms(floor.wait)}, commit ${ms(floor.commit)}, ` +
    `put archive ${ms(floor.putArchive)}, get archive ${ms(floor.getArchive)}, remove ${ms(floor.remove)}, ` +
    `load of one new layer ${ms(floor.loadOneLayer)} (+${ms(floor.loadPerLayer)} per further layer); node -e 0 ${ms(floor.nodeStart)}\n\n`,
);
const floorHeader = ['case', 'critical path (cold)', 'API floor', 'BuildKit cold', 'floor/BuildKit', 'msbuild cold'];
const floorBody = [...criticalPaths].map(([name, counts]) => {
  const cold = rows.find((r) => r.case === name && r.mode === 'cold');
  const floorSeconds = floorMs(counts, floor) / 1000;
  const buildkit = cold?.times.buildkit ?? Number.NaN;
  return [
    name,
    `${counts.runs} RUN, ${counts.copiesOntoImages} COPY onto an image, ${counts.fetches} --from reads, ${counts.writtenLayers} layers in ${counts.loads} load(s)`,
    `${floorSeconds.toFixed(2)}s`,
    `${buildkit.toFixed(2)}s`,
    `${(floorSeconds / buildkit).toFixed(2)}x`,
    `${(cold?.times.msbuild ?? Number.NaN).toFixed(2)}s`,
  ];
});
const floorWidths = floorHeader.map((_, i) => Math.max(floorHeader[i].length, ...floorBody.map((row) => row[i].length)));
process.stdout.write(`${[floorHeader, ...floorBody].map((row) => row.map((cell, i) => cell.padEnd(floorWidths[i])).join('  ')).join('\n')}\n`);
process.stdout.write('(the floor leaves out the steps\' own commands, which every builder runs; a fully cached build through a node CLI cannot take less than node -e 0)\n');
