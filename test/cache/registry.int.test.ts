// Integration: two CI machines share one build cache through a registry (Debian's docker-registry on
// loopback). Machine A is the system daemon with its own cache directory; machine B is a private
// dockerd (test/support/fault-daemon.ts) with another, given the base image by save/load. A builds the
// Go client/server example with --cache-to type=registry; B, cold, builds it with --cache-from the same
// ref: every step is a hit, only the final image's layers are fetched, and the image is A's. A one-file
// change on B reruns only what it affects (with mode=min, also the base steps whose layers min leaves
// out). The same with mode=max and --target build-server.
import test from 'ava';
import type Docker from 'dockerode';
import { appendFile, cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from '../../engine/build.js';
import type { BuildEvent } from '../../engine/events.js';
import { removeCachedImages } from '../support/cache-index.js';
import { docker, madeByThisFile, removeDir } from '../support/docker.js';
import { FaultDaemon } from '../support/fault-daemon.js';
import { TestRegistry } from '../support/registry.js';

const made = madeByThisFile();
let registry: TestRegistry;
let machineB: FaultDaemon;
const cacheDirs: string[] = [];
const app = join(import.meta.dirname, '../../../fixtures/apps/go-client-server');

test.before(async () => {
  registry = await TestRegistry.start();
  machineB = await FaultDaemon.create();
  await machineB.start();
  await machineB.loadImage('golang:1.19-bookworm');
});
test.after.always(async () => {
  await registry?.stop();
  await machineB?.destroy();
  for (const dir of cacheDirs) {
    await removeCachedImages(dir);
    await removeDir(dir);
  }
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return dir;
}

interface Run {
  imageId: string;
  ran: string[];
  cached: string[];
  fetched: number;
}

/** One machine's build: the steps it ran and took from the cache, and the layers it fetched. */
async function machine(daemon: Docker, options: Omit<BuildOptions, 'docker' | 'onEvent'>): Promise<Run> {
  const events: BuildEvent[] = [];
  const result = await build({ ...options, docker: daemon, network: 'none', onEvent: (e) => events.push(e) });
  const names = new Map<string, string>();
  for (const e of events) if (e.type === 'step-start') names.set(e.step.id, e.step.name);
  return {
    imageId: result.imageId,
    ran: events.flatMap((e) =>
      e.type === 'step-done' && !(names.get(e.stepId) ?? '').startsWith('FROM') ? [names.get(e.stepId) ?? ''] : [],
    ),
    cached: events.flatMap((e) => (e.type === 'step-cached' ? [e.step.name] : [])),
    fetched: events.filter((e) => e.type === 'transfer' && e.action === 'cache-import' && e.layer !== undefined).length,
  };
}

async function scenario(mode: 'min' | 'max', target: string | undefined) {
  const context = await tempDir('msbuild-two-machines-');
  made.cleanup.push(context);
  await cp(app, context, { recursive: true });
  const [cacheA, cacheB] = [await tempDir('msbuild-machine-a-'), await tempDir('msbuild-machine-b-')];
  cacheDirs.push(cacheA, cacheB);
  const ref = registry.ref(`ci/go-client-server:${mode}`);
  const common = { context, ...(target ? { target } : {}) };
  const a = await machine(docker, { ...common, cacheDir: cacheA, registryCacheTo: { ref, mode } });
  const b = await machine(machineB.docker, { ...common, cacheDir: cacheB, registryCacheFrom: [ref] });
  await appendFile(join(context, 'cmd/server/main.go'), '\n// changed on machine B\n');
  const changed = await machine(machineB.docker, { ...common, cacheDir: cacheB, registryCacheFrom: [ref] });
  return { a, b, changed, finalLayers: (await machineB.docker.getImage(b.imageId).inspect()).RootFS.Layers ?? [] };
}

test('mode=min: B is fully cached, fetches only the final image, and gets A’s image', async (t) => {
  const { a, b, changed, finalLayers } = await scenario('min', undefined);
  t.deepEqual(b.ran, [], 'every step a hit');
  t.is(b.cached.length, 8);
  t.is(b.imageId, a.imageId, 'the image equals A’s');
  t.is(b.fetched, finalLayers.length, 'only the final stage’s layers');
  // min exports the target's layers only: the base steps under the changed COPY run again too.
  t.deepEqual([...changed.ran].sort(), [
    'COPY --from=build-server /bin/server /bin/',
    'COPY . .',
    'COPY go.mod go.sum .',
    'RUN go build -o /bin/client ./cmd/client',
    'RUN go build -o /bin/server ./cmd/server',
    'RUN go mod download',
    'WORKDIR /src',
  ]);
  t.true(changed.cached.includes('COPY --from=build-client /bin/client /bin/'));
});

test('mode=max --target build-server: B is fully cached; a one-file change reruns only the affected steps', async (t) => {
  const { a, b, changed, finalLayers } = await scenario('max', 'build-server');
  t.deepEqual(b.ran, []);
  t.is(b.cached.length, 5);
  t.is(b.imageId, a.imageId);
  const golang = (await machineB.docker.getImage('golang:1.19-bookworm').inspect()).RootFS.Layers?.length ?? 0;
  t.true(b.fetched <= finalLayers.length - golang, 'no layer the daemon has');
  t.deepEqual([...changed.ran].sort(), ['COPY . .', 'RUN go build -o /bin/server ./cmd/server']);
});
