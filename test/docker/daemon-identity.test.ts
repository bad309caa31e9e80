// The daemon's identity (`/info`) is remembered per unix socket while the socket stays the same file,
// and asked again when a daemon made it anew. A fake daemon on a socket counts the questions.
import test from 'ava';
import Docker from 'dockerode';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonFacts, daemonId } from '../../engine/docker/daemon-identity.js';
import { removeDir } from '../support/docker.js';

async function fakeDaemon(socketPath: string, id: string): Promise<{ asked: () => number; close(): Promise<void> }> {
  let asked = 0;
  const server: Server = createServer((request, response) => {
    if (request.url?.endsWith('/info')) asked++;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ ID: id, DockerRootDir: '/var/lib/docker' }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { asked: () => asked, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('asked once per socket file; a daemon that made the socket anew is asked again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-identity-'));
  t.teardown(() => removeDir(dir));
  const socketPath = join(dir, 'docker.sock');
  const memo = join(dir, 'cache', 'daemon-sockets.json');
  const first = await fakeDaemon(socketPath, 'A');
  t.is(await daemonId(new Docker({ socketPath }), memo), 'A@/var/lib/docker');
  t.is(await daemonId(new Docker({ socketPath }), memo), 'A@/var/lib/docker');
  t.is(first.asked(), 1, 'the second build reads the memo');
  t.is((await daemonFacts(new Docker({ socketPath }), memo)).ID, 'A');
  t.is(first.asked(), 1, 'the OCI worker’s detection reads the same memo');
  await first.close();
  await rm(socketPath, { force: true });
  const second = await fakeDaemon(socketPath, 'B');
  t.teardown(() => second.close());
  t.is(await daemonId(new Docker({ socketPath }), memo), 'B@/var/lib/docker');
  t.is(second.asked(), 1);
  t.deepEqual(Object.keys(JSON.parse(await readFile(memo, 'utf8')) as object), [socketPath]);
});

test('without a memo file the daemon is asked every time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-identity-'));
  t.teardown(() => removeDir(dir));
  const socketPath = join(dir, 'docker.sock');
  const daemon = await fakeDaemon(socketPath, 'A');
  t.teardown(() => daemon.close());
  await daemonId(new Docker({ socketPath }));
  await daemonId(new Docker({ socketPath }));
  t.is(daemon.asked(), 2);
});
