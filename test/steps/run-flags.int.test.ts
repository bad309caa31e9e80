// Integration: RUN --network and --security on the daemon, with the entitlements BuildKit asks for:
// `none` leaves only loopback, `host` (granted by --allow network.host) is the host's network, and
// `--security=insecure` is refused without --allow security.insecure and privileged with it. Engine
// 20.10's BuildKit predates both flags, so the expected results come from the Dockerfile reference.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from '../../engine/build.js';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { dockerCli, madeByThisFile, makeContext, runCommand, runImage, uniqueName } from '../support/docker.js';
import { testWorker } from '../support/steps.js';

const { cleanup, tags } = madeByThisFile();

async function buildDockerfile(dockerfile: string, options: Partial<BuildOptions> = {}): Promise<string> {
  const context = await makeContext({ Dockerfile: dockerfile });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-run-flags-cache-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-run-flags')}:latest`;
  tags.push(tag);
  await build({ context, tags: [tag], pull: 'never', cacheDir, network: 'none', ...options });
  return tag;
}

test('RUN --network=none has no network but loopback, whatever the build network', async (t) => {
  const tag = await buildDockerfile('FROM busybox\nRUN --network=none ls /sys/class/net > /nets\n', {
    network: 'default',
  });
  t.is((await runImage(tag, ['cat', '/nets'])).trim(), 'lo');
});

test('RUN --network=host runs in the host network with --allow network.host, and is refused without', async (t) => {
  const dockerfile = 'FROM busybox\nRUN --network=host ls /sys/class/net > /nets\n';
  const error = await t.throwsAsync(buildDockerfile(dockerfile), { instanceOf: DockerfileSyntaxError });
  t.regex(error?.message ?? '', /^network\.host is not allowed/);
  t.deepEqual(error?.position, { line: 2, column: 1 });
  const tag = await buildDockerfile(dockerfile, { allow: ['network.host'] });
  // Containers of builds beside this one come and go with their veth ends: the host's own interfaces count.
  const own = (names: string[]) => names.filter((name) => !name.startsWith('veth')).sort();
  const seen = own((await runImage(tag, ['cat', '/nets'])).trim().split('\n'));
  t.deepEqual(seen, own(readdirSync('/sys/class/net')));
});

test('RUN --security=insecure is refused without --allow security.insecure, privileged with it', async (t) => {
  const dockerfile = 'FROM busybox\nRUN --security=insecure grep CapEff /proc/self/status > /caps\n';
  const error = await t.throwsAsync(buildDockerfile(dockerfile), { instanceOf: DockerfileSyntaxError });
  t.regex(error?.message ?? '', /^security\.insecure is not allowed: .*--allow security\.insecure/);
  if ((await testWorker()) === 'oci') {
    // runc gives the RUN every capability msbuild itself may have (its bounding set), daemon or not.
    const tag = await buildDockerfile(dockerfile, { allow: ['security.insecure'] });
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
    t.regex(await runImage(tag, ['cat', '/caps']), new RegExp(`CapEff:\\s+${bounding}`));
    return;
  }
  // A daemon without every capability (inside a container) cannot start privileged containers at all.
  const privileged = await runCommand(dockerCli, [
    'run',
    '--rm',
    '--privileged',
    '--network',
    'none',
    'busybox',
    'true',
  ]);
  if (privileged.code === 0) {
    const tag = await buildDockerfile(dockerfile, { allow: ['security.insecure'] });
    t.regex(await runImage(tag, ['cat', '/caps']), /CapEff:\s+0*3?[f]{9,}/);
  } else {
    await t.throwsAsync(buildDockerfile(dockerfile, { allow: ['security.insecure'] }), {
      message: /RUN --security=insecure needs a privileged container, and this Docker daemon cannot start one/,
    });
  }
});

test('RUN --security=sandbox is the default and needs nothing', async (t) => {
  const tag = await buildDockerfile('FROM busybox\nRUN --security=sandbox grep CapEff /proc/self/status > /caps\n');
  t.regex(await runImage(tag, ['cat', '/caps']), /CapEff:\s+00000000a80425fb/);
});
