// The Engine API floor: what each kind of build step costs in daemon round trips alone on this
// machine, measured with dockerode and no msbuild code, and the least time a case's critical path can
// take through the API. Any builder that drives the daemon from outside pays it; BuildKit, inside it, does not.
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';

/** Median milliseconds of each operation. */
export interface EngineFloor {
  nodeStart: number;
  create: number;
  start: number;
  wait: number;
  commit: number;
  putArchive: number;
  getArchive: number;
  remove: number;
  /** `docker load` of an image with one new one-file layer. */
  loadOneLayer: number;
  /** What each further new layer adds to a load. */
  loadPerLayer: number;
}

const samples = Number(process.env.BENCH_FLOOR_SAMPLES ?? 7);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timed<T>(record: number[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  record.push(performance.now() - started);
  return result;
}

function nodeStartMs(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

async function tarOf(files: Array<{ name: string; body: Buffer }>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => pack.on('end', resolve).on('error', reject));
  for (const file of files) pack.entry({ name: file.name, mode: 0o644, mtime: new Date(0) }, file.body);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A `docker save` archive of a scratch image with `layers` new one-file layers. */
async function scratchImageArchive(layers: number, tag: string): Promise<Buffer> {
  const layerTars = await Promise.all(
    Array.from({ length: layers }, (_, i) => tarOf([{ name: `f${i}`, body: randomBytes(16) }])),
  );
  const diffIds = layerTars.map((tar) => `sha256:${createHash('sha256').update(tar).digest('hex')}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2020-01-01T00:00:00Z', created_by: 'floor' })),
    }),
  );
  const layerNames = diffIds.map((id) => `${id.slice(7)}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: [tag], Layers: layerNames }]));
  return tarOf([
    { name: 'config.json', body: config },
    ...layerTars.map((body, i) => ({ name: layerNames[i], body })),
    { name: 'manifest.json', body: manifest },
  ]);
}

async function loadMs(docker: Docker, layers: number, tag: string): Promise<number> {
  const archive = await scratchImageArchive(layers, tag);
  const started = performance.now();
  const response = (await docker.loadImage(Readable.from([archive]), { quiet: true })) as unknown as Readable;
  for await (const chunk of response) void chunk;
  const elapsed = performance.now() - started;
  await docker.getImage(tag).remove({ force: true });
  return elapsed;
}

/** Measures the floor on `image` (a local image with /bin/true and /bin/sleep, such as busybox). */
export async function measureEngineFloor(image: string): Promise<EngineFloor> {
  const docker = new Docker();
  const t = {
    nodeStart: [] as number[],
    create: [] as number[],
    start: [] as number[],
    wait: [] as number[],
    commit: [] as number[],
  };
  const put: number[] = [];
  const get: number[] = [];
  const remove: number[] = [];
  const loadOne: number[] = [];
  const loadFour: number[] = [];
  const labels = { 'io.msbuild.bench': 'floor' };
  // RUN containers join a warm network namespace, as msbuild's do.
  const holder = await docker.createContainer({
    Image: image,
    Cmd: ['sleep', '3600'],
    Labels: labels,
    HostConfig: { NetworkMode: 'none' },
  });
  const commits: string[] = [];
  try {
    await holder.start();
    const smallTar = await tarOf([{ name: 'floor.txt', body: Buffer.from('floor\n') }]);
    for (let i = 0; i < samples; i++) {
      t.nodeStart.push(await nodeStartMs());
      // A RUN: create, start, wait for the exit, commit.
      const run = await timed(t.create, () =>
        docker.createContainer({
          Image: image,
          Cmd: ['sh', '-c', `echo ${i} > /floor.txt`],
          Labels: labels,
          HostConfig: { NetworkMode: `container:${holder.id}` },
        }),
      );
      await timed(t.start, () => run.start());
      await timed(t.wait, () => run.wait());
      commits.push(((await timed(t.commit, () => run.commit({ pause: false }))) as { Id: string }).Id);
      await timed(remove, () => run.remove({ force: true }));
      // A COPY onto an image: a never-started container, the files put in, a commit.
      const copy = await docker.createContainer({ Image: image, Labels: labels });
      try {
        await timed(put, () => copy.putArchive(smallTar, { path: '/' }));
        // A COPY --from: the files read out of a never-started container.
        await timed(get, async () => {
          const archive = (await copy.getArchive({ path: '/floor.txt' })) as unknown as Readable;
          for await (const chunk of archive) void chunk;
        });
      } finally {
        await copy.remove({ force: true });
      }
      loadOne.push(await loadMs(docker, 1, 'msbuild-bench/floor:one'));
      loadFour.push(await loadMs(docker, 4, 'msbuild-bench/floor:four'));
    }
  } finally {
    await holder.remove({ force: true }).catch(() => undefined);
    for (const id of commits)
      await docker
        .getImage(id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  return {
    nodeStart: median(t.nodeStart),
    create: median(t.create),
    start: median(t.start),
    wait: median(t.wait),
    commit: median(t.commit),
    putArchive: median(put),
    getArchive: median(get),
    remove: median(remove),
    loadOneLayer: median(loadOne),
    loadPerLayer: Math.max(0, (median(loadFour) - median(loadOne)) / 3),
  };
}

/** The critical path of a cold build, by what each step needs of the daemon. */
export interface PathCounts {
  runs: number;
  /** COPY/ADD/WORKDIR onto an image: a never-started container, the files put in, a commit. */
  copiesOntoImages: number;
  /** COPY --from and RUN --mount=from reads: a never-started container, the files read out. */
  fetches: number;
  /** Layers msbuild writes itself (scratch stages), loaded with the stage. */
  writtenLayers: number;
  /** `docker load` requests: one when any layer is written (a scratch stage another builds on may ride along). */
  loads: number;
}

interface StepSeen {
  name: string;
  stage: string;
}

/**
 * Counts what the critical path of a cold msbuild build (its `--progress json` lines) asks of the
 * daemon. Stages that start from scratch (directly or through other stages) are written and loaded.
 */
export function criticalPathCounts(progressLines: string[], dockerfile: string): PathCounts {
  const bases = new Map<string, string>();
  let anonymous = 0;
  for (const match of dockerfile.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    bases.set((match[2] ?? `stage-${anonymous}`).toLowerCase(), match[1].toLowerCase());
    anonymous++;
  }
  const fromScratch = (stage: string, hops = 0): boolean => {
    const base = bases.get(stage.toLowerCase());
    if (base === undefined || hops > 64) return false;
    return base === 'scratch' || fromScratch(base, hops + 1);
  };
  const steps = new Map<string, StepSeen>();
  let path: string[] = [];
  for (const line of progressLines) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as {
      type: string;
      step?: { id: string; name: string; stage: string };
      summary?: { criticalPath: string[] };
    };
    if (event.type === 'step-start' && event.step)
      steps.set(event.step.id, { name: event.step.name, stage: event.step.stage });
    if (event.type === 'build-done' && event.summary) path = event.summary.criticalPath;
  }
  const counts: PathCounts = { runs: 0, copiesOntoImages: 0, fetches: 0, writtenLayers: 0, loads: 0 };
  for (const id of path) {
    const step = steps.get(id);
    if (!step) continue;
    const instruction = step.name.split(/\s/, 1)[0].toUpperCase();
    const scratch = fromScratch(step.stage);
    if (/--from=|--mount=\S*from=/i.test(step.name)) counts.fetches++;
    if (instruction === 'RUN') counts.runs++;
    else if (['COPY', 'ADD', 'WORKDIR'].includes(instruction)) {
      if (scratch) counts.writtenLayers++;
      else counts.copiesOntoImages++;
    }
  }
  counts.loads = counts.writtenLayers > 0 ? 1 : 0;
  return counts;
}

/** Milliseconds the daemon's round trips alone take for `counts` (the steps' own commands not included). */
export function floorMs(counts: PathCounts, floor: EngineFloor): number {
  const run = floor.create + floor.start + floor.wait + floor.commit;
  const copy = floor.create + floor.putArchive + floor.commit;
  const fetch = floor.create + floor.getArchive;
  const layers =
    counts.loads > 0
      ? counts.loads * floor.loadOneLayer + Math.max(0, counts.writtenLayers - counts.loads) * floor.loadPerLayer
      : 0;
  return counts.runs * run + counts.copiesOntoImages * copy + counts.fetches * fetch + layers;
}
