// `docker load` failures the daemon reports (a full disk, say) are DaemonErrors with its words: the
// CLI prints them plainly, as the user's to fix, not as a crash. A fake daemon on a socket answers.
import test from 'ava';
import Docker from 'dockerode';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonError } from '../../engine/docker/daemon.js';
import { loadImage } from '../../engine/docker/load.js';
import { emptyImageConfig } from '../../engine/image/config.js';
import { removeDir } from '../support/docker.js';

async function fakeDaemon(
  answer: (body: Buffer) => { status: number; body: string },
): Promise<{ docker: Docker; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-fake-load-'));
  const socketPath = join(dir, 'docker.sock');
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = answer(Buffer.concat(chunks));
      response.writeHead(reply.status, { 'Content-Type': 'application/json' });
      response.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    docker: new Docker({ socketPath }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeDir(dir);
    },
  };
}

const config = () => ({
  ...emptyImageConfig({ os: 'linux', architecture: 'amd64' }),
  rootfs: { type: 'layers' as const, diff_ids: [] },
});

test('an error the daemon streams back from a load is a DaemonError with its message', async (t) => {
  const daemon = await fakeDaemon(() => ({
    status: 200,
    body: '{"errorDetail":{"message":"write /x/layer.tar: no space left on device"},"error":"write /x/layer.tar: no space left on device"}\n',
  }));
  try {
    const error = await t.throwsAsync(loadImage(daemon.docker, { config: config() }));
    t.true(error instanceof DaemonError);
    t.is(error?.message, 'docker load failed: write /x/layer.tar: no space left on device');
  } finally {
    await daemon.close();
  }
});

test('a load the daemon refuses outright is a DaemonError too', async (t) => {
  const daemon = await fakeDaemon(() => ({
    status: 500,
    body: '{"message":"Error processing tar file(exit status 1): no space left on device"}',
  }));
  try {
    const error = await t.throwsAsync(loadImage(daemon.docker, { config: config() }));
    t.true(error instanceof DaemonError);
    t.regex(
      error?.message ?? '',
      /^docker load failed: Error processing tar file\(exit status 1\): no space left on device/,
    );
  } finally {
    await daemon.close();
  }
});
