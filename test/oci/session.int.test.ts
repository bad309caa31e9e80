// Integration: a build's session of the OCI worker: a COPY's layer becomes a snapshot that a RUN
// mounts (its tree unpacked on first use), a RUN's snapshot gets its layer tar on first use, a
// read-only view shows the merged files, and a daemon image read in place is leased: `rmi -f`
// cannot take its dirs while the build holds it, and once the lease is gone the build says so
// instead of reading half a filesystem. Needs root, runc and the daemon.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerRegistry } from '../../engine/docker/container.js';
import { loadImage } from '../../engine/docker/load.js';
import { emptyImageConfig } from '../../engine/image/config.js';
import { writeLayer } from '../../engine/image/layer.js';
import { findRunc } from '../../engine/oci/detect.js';
import { OciSession } from '../../engine/oci/session.js';
import { docker, removeDir, requireDaemon } from '../support/docker.js';

let stateDir: string;
let session: OciSession;
const registry = new ContainerRegistry();
let busybox: string;

test.before(async () => {
  await requireDaemon();
  const runc = await findRunc();
  if (!runc) throw new Error('the OCI worker needs runc');
  stateDir = await mkdtemp(join(tmpdir(), 'msbuild-oci-session-'));
  session = new OciSession({ docker, registry, buildId: 'oci-session-test', stateDir, runc, daemonVersion: 'test' });
  await session.open();
  const holder = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['sleep', '60'] });
  await holder.start();
  await session.learnProfile({ id: holder.id }).finally(() => holder.remove({ force: true }));
  busybox = (await docker.getImage('busybox:latest').inspect()).Id;
});

test.after.always(async () => {
  await session?.close();
  await registry.removeAll();
  if (stateDir) await removeDir(stateDir);
});

const quiet = { env: [], cwd: '/', user: '', network: {}, insecure: false, limits: {}, mounts: [] };

test.serial('a COPY layer, a RUN on it, its layer, and a view of both', async (t) => {
  const tar = join(stateDir, 'copy.tar');
  const written = await writeLayer(
    [
      { path: '/app', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) },
      {
        path: '/app/input.txt',
        type: 'file',
        mode: 0o640,
        uid: 1000,
        gid: 1000,
        mtime: new Date(0),
        body: Buffer.from('in\n'),
      },
    ],
    tar,
  );
  const copied = await session.addLayer({ baseImage: busybox, snapshots: [] }, { ...written, size: written.size });
  let output = '';
  const ran = await session.run(
    { baseImage: busybox, snapshots: [copied.id] },
    {
      ...quiet,
      args: ['/bin/sh', '-c', 'stat -c "%u %a" /app/input.txt; cat /app/input.txt > /app/out.txt; rm /app/input.txt'],
      onOutput: (_, c) => (output += c),
    },
  );
  t.is(output, '1000 640\n');
  t.is(ran.exitCode, 0);
  const top = ran.snapshot?.id ?? '';
  t.is((await session.store.get(top))?.parent, copied.id);
  const layer = await session.ensureLayer(top);
  t.regex(layer.diffId, /^sha256:[0-9a-f]{64}$/);
  t.is((await session.ensureLayer(top)).diffId, layer.diffId);
  const chain = { baseImage: busybox, snapshots: [copied.id, top] };
  const seen = await session.withView(chain, async (root) => ({
    out: await readFile(join(root, 'app/out.txt'), 'utf8'),
    input: await readFile(join(root, 'app/input.txt'), 'utf8').catch(() => 'gone'),
    sh: (await readFile(join(root, 'bin/sh'))).length > 0,
  }));
  t.deepEqual(seen, { out: 'in\n', input: 'gone', sh: true });
});

test.serial('a leased image survives rmi -f; without the lease the build fails clearly', async (t) => {
  const layerPath = join(stateDir, 'unique.tar');
  const written = await writeLayer(
    [{ path: '/unique', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), body: randomBytes(32) }],
    layerPath,
  );
  const base = emptyImageConfig({ os: 'linux', architecture: 'amd64' });
  const image = await loadImage(docker, {
    config: { ...base, rootfs: { type: 'layers', diff_ids: [written.diffId] }, history: [{ created_by: 'test' }] },
    newLayers: [{ diffId: written.diffId, path: layerPath }],
  });
  const chain = { baseImage: image, snapshots: [] };
  await session.withView(chain, async () => undefined);
  await docker.getImage(image).remove({ force: true });
  t.true(await session.withView(chain, async (root) => (await readFile(join(root, 'unique'))).length === 32));
  await registry.removeAll();
  await t.throwsAsync(
    session.withView(chain, async () => undefined),
    { message: /were removed from the daemon while this build read them/ },
  );
});
