// Integration: RUN containers join warm network namespaces. A joined step sees only loopback under
// `none` and BuildKit's host name; a holder that died is replaced by a namespace of the step's own;
// holders are removed with the build's other containers.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { ContainerRegistry } from '../../engine/docker/container.js';
import { daemonArchitecture } from '../../engine/docker/daemon.js';
import { NetworkSandboxes } from '../../engine/docker/network-sandbox.js';
import { runContainer, type RunEnvironment } from '../../engine/docker/run-container.js';
import type { ContainerSpec } from '../../engine/worker/container-spec.js';
import { docker, leftoverContainers, makeContext, removeDir, requireDaemon, runImage } from '../support/docker.js';

test.before(requireDaemon);

function shellRun(script: string): ContainerSpec {
  return {
    argv: ['/bin/sh', '-c', script],
    env: [],
    user: '',
    workdir: '/',
    network: 'none',
    security: 'sandbox',
    mounts: [],
    limits: {},
  };
}

async function idleHolder(sandboxes: NetworkSandboxes): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const lease = sandboxes.acquire('none');
    if (lease) {
      lease.release();
      return lease.networkMode;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no holder started within 5 s');
}

async function withSandboxes(
  body: (environment: RunEnvironment, sandboxes: NetworkSandboxes) => Promise<void>,
): Promise<string> {
  const registry = new ContainerRegistry();
  const buildId = `sandbox-test-${randomUUID()}`;
  const sandboxes = new NetworkSandboxes(docker, registry, buildId, () => daemonArchitecture(docker));
  const output: string[] = [];
  const environment: RunEnvironment = {
    docker,
    registry,
    buildId,
    sandboxes,
    mounts: [],
    tmpfs: {},
    onOutput: (_stream, chunk) => output.push(chunk.toString()),
  };
  try {
    await body(environment, sandboxes);
  } finally {
    await sandboxes.close();
    await registry.removeAll();
  }
  return buildId;
}

test('a RUN joins an idle holder: loopback only, BuildKit host name, and the holder goes with the build', async (t) => {
  const buildId = await withSandboxes(async (environment, sandboxes) => {
    sandboxes.prewarm('none');
    const networkMode = await idleHolder(sandboxes);
    t.regex(networkMode, /^container:[0-9a-f]{64}$/);
    const image = await runContainer(
      environment,
      'busybox',
      shellRun('hostname > /hostname; ls /sys/class/net > /interfaces'),
    );
    t.is((await runImage(image, ['cat', '/hostname', '/interfaces'])).trim(), 'buildkitsandbox\nlo');
    await docker.getImage(image).remove();
  });
  t.deepEqual(await leftoverContainers(buildId), []);
});

test('a holder that died is replaced: the RUN makes its own namespace and succeeds', async (t) => {
  const buildId = await withSandboxes(async (environment, sandboxes) => {
    sandboxes.prewarm('none');
    const networkMode = await idleHolder(sandboxes);
    await docker.getContainer(networkMode.slice('container:'.length)).kill();
    const image = await runContainer(environment, 'busybox', shellRun('hostname > /hostname'));
    t.is((await runImage(image, ['cat', '/hostname'])).trim(), 'buildkitsandbox');
    await docker.getImage(image).remove();
  });
  t.deepEqual(await leftoverContainers(buildId), []);
});

test('steps of a whole build share warm namespaces and leave no container behind', async (t) => {
  const context = await makeContext({
    Dockerfile: 'FROM busybox\nRUN hostname > /a\nRUN hostname > /b\nRUN hostname > /c\nRUN cat /a /b /c > /all\n',
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-sandbox-'));
  try {
    const result = await build({ context, network: 'none', pull: 'never', cacheDir, noCache: true });
    t.is((await runImage(result.imageId, ['cat', '/all'])).trim(), 'buildkitsandbox\nbuildkitsandbox\nbuildkitsandbox');
    t.deepEqual(await leftoverContainers(result.buildId), []);
    await docker
      .getImage(result.imageId)
      .remove()
      .catch(() => undefined);
  } finally {
    await removeDir(context);
    await removeDir(cacheDir);
  }
});
