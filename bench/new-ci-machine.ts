// The "new CI machine" row of `npm run bench`: machine A (the system daemon) builds the Go
// client/server example and shares its cache through a registry (Debian's docker-registry on loopback);
// machine B (a private dockerd with only the base image) builds it cold from that cache. msbuild:
// `--cache-to type=registry` on A, `--cache-from type=registry` on B. BuildKit: an image built with
// BUILDKIT_INLINE_CACHE=1 and pushed on A, `docker build --cache-from IMAGE` on B. Between runs B loses
// everything but the base image (and BuildKit's cache, which is B's own).
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultDaemon } from '../test/support/fault-daemon.js';
import { TestRegistry } from '../test/support/registry.js';

const docker = '/usr/bin/docker';

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e9)
        : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr}`)),
    );
  });
}

/** Removes every image of machine B but those kept, and BuildKit's cache there (B is the bench's own). */
async function forget(daemon: Docker, host: string, keep: readonly string[]): Promise<void> {
  const kept = new Set<string>();
  for (const ref of keep) kept.add((await daemon.getImage(ref).inspect()).Id);
  for (let round = 0; round < 5; round++) {
    const left = (await daemon.listImages({ all: true })).filter((image) => !kept.has(image.Id));
    if (left.length === 0) break;
    for (const image of left)
      await daemon
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  await timed(docker, ['builder', 'prune', '-af'], { DOCKER_HOST: host });
}

export interface NewMachineResult {
  msbuild: number;
  buildkit: number;
}

/** Median seconds of B's build for msbuild and BuildKit. */
export async function measureNewCiMachine(options: {
  repoRoot: string;
  reps: number;
  median: (values: number[]) => number;
}): Promise<NewMachineResult> {
  const registry = await TestRegistry.start();
  const machineB = await FaultDaemon.create();
  const work = await mkdtemp(join(tmpdir(), 'msbuild-bench-ci-'));
  const context = join(work, 'context');
  const cli = join(options.repoRoot, 'dist/cli/launcher.cjs');
  const cacheRef = registry.ref('bench/go-client-server:cache');
  const inlineRef = registry.ref('bench/go-client-server:inline');
  const base = 'golang:1.19-bookworm';
  try {
    await cp(join(options.repoRoot, 'fixtures/apps/go-client-server'), context, { recursive: true });
    await machineB.start();
    await machineB.loadImage(base);
    const B = { DOCKER_HOST: machineB.host };
    // Machine A: each builder builds once and shares through the registry.
    const common = ['--network', 'none', '--pull', 'never'];
    await timed(process.execPath, [
      cli,
      'build',
      '-q',
      ...common,
      '--cache-dir',
      join(work, 'cache-a'),
      '--cache-to',
      `type=registry,ref=${cacheRef}`,
      context,
    ]);
    await timed(
      docker,
      ['build', '-q', '--network', 'none', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', '-t', inlineRef, context],
      {
        DOCKER_BUILDKIT: '1',
      },
    );
    await timed(docker, ['push', '-q', inlineRef]);
    const times: NewMachineResult[] = [];
    for (let round = 0; round < options.reps; round++) {
      await forget(machineB.docker, machineB.host, [base]);
      const msbuild = await timed(
        process.execPath,
        [
          cli,
          'build',
          '-q',
          ...common,
          '--cache-dir',
          join(work, `cache-b-${round}`),
          '--cache-from',
          `type=registry,ref=${cacheRef}`,
          '-t',
          'bench-ci:msbuild',
          context,
        ],
        B,
      );
      await forget(machineB.docker, machineB.host, [base]);
      const buildkit = await timed(
        docker,
        ['build', '-q', '--network', 'none', '--cache-from', inlineRef, '-t', 'bench-ci:buildkit', context],
        { ...B, DOCKER_BUILDKIT: '1' },
      );
      times.push({ msbuild, buildkit });
      process.stderr.write('.');
    }
    return {
      msbuild: options.median(times.map((t) => t.msbuild)),
      buildkit: options.median(times.map((t) => t.buildkit)),
    };
  } finally {
    await new Docker()
      .getImage(inlineRef)
      .remove({ force: true })
      .catch(() => undefined);
    await machineB.destroy();
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}
