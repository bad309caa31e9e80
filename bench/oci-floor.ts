// The OCI worker's own floor: what a RUN and a COPY onto an image cost when msbuild runs them itself
// (runc on its overlay snapshots), measured by building a file of trivial steps with the library and
// reading each step's time from its events; and, per bench case, how long a cold OCI build waited
// after its last step for the background loads to put the image into the daemon.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../engine/build.js';
import type { BuildEvent } from '../engine/events.js';

export interface OciFloor {
  samples: number;
  /** Median milliseconds of a RUN writing one small file (overlay mount, runc run, unmount, snapshot, layer tar). */
  run: number;
  /** Median milliseconds of a COPY of one small file onto an image (a layer tar put into a snapshot). */
  copy: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Builds `samples` + 1 RUNs and COPYs on `image` cold with the OCI worker (the first of each, which warms up, is not counted). */
export async function measureOciFloor(options: { image: string; samples: number }): Promise<OciFloor> {
  const work = await mkdtemp(join(tmpdir(), 'msbuild-bench-oci-floor-'));
  const tag = 'msbuild-bench/oci-floor:latest';
  try {
    const count = options.samples + 1;
    const lines = [`FROM ${options.image}`];
    for (let i = 0; i < count; i++) lines.push(`RUN echo ${i} > /run-${i}.txt`);
    for (let i = 0; i < count; i++) {
      await writeFile(join(work, `copy-${i}.txt`), `${i}\n`);
      lines.push(`COPY copy-${i}.txt /`);
    }
    await writeFile(join(work, 'Dockerfile'), `${lines.join('\n')}\n`);
    const names = new Map<string, string>();
    const seconds = { RUN: [] as number[], COPY: [] as number[] };
    await build({
      context: work,
      tags: [tag],
      network: 'none',
      pull: 'never',
      noCache: true,
      worker: 'oci',
      cacheDir: join(work, 'cache'),
      onEvent: (event: BuildEvent) => {
        if (event.type === 'step-start') names.set(event.step.id, event.step.name.split(' ', 1)[0]);
        if (event.type === 'step-done') {
          const kind = names.get(event.stepId);
          if (kind === 'RUN' || kind === 'COPY') seconds[kind].push(event.seconds * 1000);
        }
      },
    });
    return { samples: options.samples, run: median(seconds.RUN.slice(1)), copy: median(seconds.COPY.slice(1)) };
  } finally {
    spawnSync('/usr/bin/docker', ['rmi', '-f', tag], { stdio: 'ignore' });
    await rm(work, { recursive: true, force: true });
  }
}

/** Seconds from the last step's end to the build's end, from `--progress json` lines. */
export function tailAfterLastStep(progressLines: readonly string[]): number {
  let lastStep = 0;
  let done = 0;
  for (const line of progressLines) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type: string; time: number };
    if (event.type === 'step-done' || event.type === 'step-cached') lastStep = Math.max(lastStep, event.time);
    if (event.type === 'build-done') done = event.time;
  }
  return done > 0 && lastStep > 0 ? (done - lastStep) / 1000 : Number.NaN;
}
