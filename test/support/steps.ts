// Test support: the RUN steps of a build as either worker leaves them, found by a marker in their
// command: containers of the daemon (any state: the Docker worker's) and runc containers under the
// cache dir's private runc root (the OCI worker's, whose bundle's args hold the marker). Integration
// tests run once per worker (MSBUILD_WORKER), and a test of "no RUN container left" means both.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectWorker } from '../../engine/oci/select.js';
import { workerChoice } from '../../engine/options.js';
import { docker } from './docker.js';

let chosen: Promise<'docker' | 'oci'> | undefined;

/**
 * The worker a test's builds get when they name none: MSBUILD_WORKER, else `auto` as the engine
 * resolves it on this machine (asked once per test process).
 */
export function testWorker(): Promise<'docker' | 'oci'> {
  chosen ??= (async () => {
    const choice = workerChoice(process.env.MSBUILD_WORKER);
    if (choice !== 'auto') return choice;
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-worker-probe-'));
    try {
      const selected = await selectWorker({ choice, docker, cacheDir, request: { network: 'none', limits: {} } });
      return selected.worker;
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  })();
  return chosen;
}

/** Bundle dirs of the runc containers under `<cacheDir>/oci/runc` whose process args hold `marker`. */
export async function runcBundlesWith(marker: string, cacheDir: string): Promise<string[]> {
  const root = join(cacheDir, 'oci', 'runc');
  const bundles: string[] = [];
  for (const id of await readdir(root).catch(() => [] as string[])) {
    const state = await readFile(join(root, id, 'state.json'), 'utf8').catch(() => undefined);
    if (state === undefined) continue;
    const labels = (JSON.parse(state) as { config?: { labels?: string[] } }).config?.labels ?? [];
    const bundle = labels.find((label) => label.startsWith('bundle='))?.slice('bundle='.length);
    const config = bundle ? await readFile(join(bundle, 'config.json'), 'utf8').catch(() => '') : '';
    if (bundle && config.includes(marker)) bundles.push(bundle);
  }
  return bundles;
}

/** How many runc containers under `<cacheDir>/oci/runc` have `marker` in their process args. */
export async function runcContainersWith(marker: string, cacheDir: string): Promise<number> {
  return (await runcBundlesWith(marker, cacheDir)).length;
}

/** RUN steps whose command holds `marker`: daemon containers (any state) and runc containers. */
export async function stepsWith(marker: string, cacheDir: string): Promise<number> {
  const containers = await docker.listContainers({ all: true });
  const daemonSide = containers.filter((c) => c.Command.includes(marker)).length;
  return daemonSide + (await runcContainersWith(marker, cacheDir));
}
