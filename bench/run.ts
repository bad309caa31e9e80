// `npm run bench`: builds the benchmark cases with msbuild on each worker (`--worker oci`: runc on
// msbuild's snapshots; `--worker docker`: the Engine API), `DOCKER_BUILDKIT=0 docker build` and
// `DOCKER_BUILDKIT=1 docker build` side by side — cold, fully cached, after a one-file change — and
// prints median times and ratios. Measures; asserts nothing.
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from '../engine/build.js';
import { criticalPathCounts, floorMs, measureEngineFloor, type PathCounts } from './floor.js';
import { measureNewCiMachine } from './new-ci-machine.js';
import { measureOciFloor, tailAfterLastStep } from './oci-floor.js';

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
      await writeFile(
        join(dir, 'Dockerfile'),
        'FROM busybox\nWORKDIR /app\nCOPY src/ /app/src/\nRUN find /app/src -type f | wc -l > /app/count\n',
      );
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

type Builder = 'oci' | 'docker' | 'legacy' | 'buildkit';
/** `oci` and `docker` are msbuild on that worker; BENCH_WORKERS=docker leaves the OCI worker out. */
const builders: Builder[] = [
  ...((process.env.BENCH_WORKERS ?? 'oci,docker').split(',') as Builder[]),
  'legacy',
  'buildkit',
];
const isMsbuild = (builder: Builder) => builder === 'oci' || builder === 'docker';

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
function buildOnce(
  builder: Builder,
  context: string,
  tag: string,
  cacheDir: string,
  noCache: boolean,
  progress?: string[],
): Promise<number> {
  if (isMsbuild(builder)) {
    const output = progress ? ['--progress', 'json'] : ['-q'];
    const args = [
      '-r',
      rssReport,
      join(repoRoot, 'dist/cli/launcher.cjs'),
      'build',
      ...output,
      '--network',
      'none',
      '--pull',
      'never',
      '--worker',
      builder,
      '--cache-dir',
      cacheDir,
      '-t',
      tag,
      context,
    ];
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
/** Seconds from the OCI worker's last step to the image in the daemon (the loads it could not overlap). */
const loadTails = new Map<string, number>();

/** Median seconds of a fully cached `build()` called again in one warm process (msbuild as a library). */
const libraryCached = new Map<string, number>();
const sharedDocker = new Docker();

async function measureLibraryCached(options: {
  context: string;
  tag: string;
  cacheDir: string;
  worker: 'oci' | 'docker';
}): Promise<number> {
  const { context, tag, cacheDir, worker } = options;
  const once = async () => {
    const started = process.hrtime.bigint();
    const result = await build({
      context,
      tags: [tag],
      network: 'none',
      pull: 'never',
      cacheDir,
      docker: sharedDocker,
      worker,
    });
    if (result.summary.stepsRun !== 0)
      throw new Error(`a cached library build of ${context} ran ${result.summary.stepsRun} step(s)`);
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
    for (const id of left)
      await sharedDocker
        .getImage(id)
        .remove({ force: true })
        .catch(() => failed.push(id));
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
    samples[mode] ??= { oci: [], docker: [], legacy: [], buildkit: [] };
    samples[mode][builder].push(seconds);
  };
  try {
    for (let round = 0; round < reps; round++) {
      for (const builder of builders) {
        const tag = `msbuild-bench/${benchCase.name}:${builder}`;
        // Cold: nothing cached (msbuild gets an empty cache directory; docker gets --no-cache).
        const cacheDir = join(work, `cache-${builder}-${round}`);
        const progress = isMsbuild(builder) && round === 0 ? [] : undefined;
        record('cold', builder, await buildOnce(builder, context, tag, cacheDir, true, progress));
        if (progress && builder === 'docker')
          criticalPaths.set(benchCase.name, criticalPathCounts(progress, dockerfile));
        if (progress && builder === 'oci') loadTails.set(benchCase.name, tailAfterLastStep(progress));
        await buildOnce(builder, context, tag, cacheDir, false); // warm the cache
        record('cached', builder, await buildOnce(builder, context, tag, cacheDir, false));
        await benchCase.change(context);
        record('one-file change', builder, await buildOnce(builder, context, tag, cacheDir, false));
        // Before the other builders change the context again: msbuild's cache holds this state.
        if (isMsbuild(builder) && round === reps - 1)
          libraryCached.set(
            `${benchCase.name} (${builder})`,
            await measureLibraryCached({ context, tag, cacheDir, worker: builder as 'oci' | 'docker' }),
          );
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
    times: {
      oci: median(times.oci),
      docker: median(times.docker),
      legacy: median(times.legacy),
      buildkit: median(times.buildkit),
    },
  }));
}

/** Columns padded to their widest cell. */
function columns(header: string[], body: string[][]): string {
  const widths = header.map((_, i) => Math.max(header[i].length, ...body.map((row) => row[i].length)));
  return [header, ...body].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n');
}

const secs = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)}s`);
const ratio = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? 'n/a' : `${(a / b).toFixed(2)}x`);

function table(rows: Row[]): string {
  const header = [
    'case',
    'mode',
    'oci',
    'docker',
    'legacy',
    'buildkit',
    'oci/buildkit',
    'docker/buildkit',
    'legacy/docker',
  ];
  const body = rows.map((r) => [
    r.case,
    r.mode,
    secs(r.times.oci),
    secs(r.times.docker),
    secs(r.times.legacy),
    secs(r.times.buildkit),
    ratio(r.times.oci, r.times.buildkit),
    ratio(r.times.docker, r.times.buildkit),
    ratio(r.times.legacy, r.times.docker),
  ]);
  return columns(header, body);
}

const rows: Row[] = [];
for (const benchCase of cases) {
  if (only && !only.includes(benchCase.name)) continue;
  process.stderr.write(`${benchCase.name} `);
  currentCase = benchCase.name;
  rows.push(...(await measureCase(benchCase)));
  process.stderr.write('\n');
}
// A new CI machine: cold, with the cache another machine shared through a registry.
if (!only || only.includes('new-ci-machine')) {
  process.stderr.write('new-ci-machine ');
  const times = await measureNewCiMachine({ repoRoot, reps, median });
  rows.push({
    case: 'go-client-server',
    mode: 'new CI machine',
    times: { docker: times.msbuild, buildkit: times.buildkit, oci: Number.NaN, legacy: Number.NaN },
  });
  process.stderr.write('\n');
}
process.stdout.write(
  `median of ${reps} runs each (lower is better; oci and docker are msbuild on that worker; x/buildkit < 1 means x is faster)\n\n${table(rows)}\n`,
);
process.stdout.write(
  `\nmsbuild peak RSS per case: ${[...peakRss].map(([name, kb]) => `${name} ${(kb / 1024).toFixed(0)} MB`).join(', ')}\n`,
);

const libraryLines = [...libraryCached].map(([name, seconds]) => {
  const caseName = name.replace(/ \(.*\)$/, '');
  const buildkit = rows.find((r) => r.case === caseName && r.mode === 'cached')?.times.buildkit ?? Number.NaN;
  return `${name} ${seconds.toFixed(3)}s (${ratio(seconds, buildkit)} BuildKit's cached build)`;
});
process.stdout.write(
  `\nfully cached, build() called again in one warm process (msbuild as a library, no node start): ${libraryLines.join(', ')}\n`,
);

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
const floorHeader = [
  'case',
  'critical path (cold)',
  'API floor',
  'BuildKit cold',
  'floor/BuildKit',
  'docker cold',
  'oci cold',
  'oci load tail',
];
const floorBody = [...criticalPaths].map(([name, counts]) => {
  const cold = rows.find((r) => r.case === name && r.mode === 'cold');
  const floorSeconds = floorMs(counts, floor) / 1000;
  const buildkit = cold?.times.buildkit ?? Number.NaN;
  return [
    name,
    `${counts.runs} RUN, ${counts.copiesOntoImages} COPY onto an image, ${counts.fetches} --from reads, ${counts.writtenLayers} layers in ${counts.loads} load(s)`,
    secs(floorSeconds),
    secs(buildkit),
    ratio(floorSeconds, buildkit),
    secs(cold?.times.docker ?? Number.NaN),
    secs(cold?.times.oci ?? Number.NaN),
    secs(loadTails.get(name) ?? Number.NaN),
  ];
});
process.stdout.write(`${columns(floorHeader, floorBody)}\n`);
process.stdout.write(
  "(the floor leaves out the steps' own commands, which every builder runs; a fully cached build through a node CLI cannot take less than node -e 0; oci load tail: from the OCI worker's last step to the image in the daemon)\n",
);

if (builders.includes('oci')) {
  process.stderr.write('oci floor\n');
  const oci = await measureOciFloor({ image: 'busybox:latest', samples: Number(process.env.BENCH_FLOOR_SAMPLES ?? 7) });
  process.stdout.write(
    `\nOCI worker floor (msbuild's own steps on busybox, median of ${oci.samples}): RUN ${ms(oci.run)} ` +
      `(a RUN that writes one file: mount, runc run, unmount, snapshot, layer tar), COPY of one file onto an image ${ms(oci.copy)}, ` +
      `loaded layers: the same \`docker load\` as above (${ms(floor.loadOneLayer)}, +${ms(floor.loadPerLayer)} per further layer), ` +
      'in the background while later steps run (what is left shows as the load tail above)\n',
  );
}
