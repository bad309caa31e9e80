// Puts images msbuild authored into the daemon with `docker load`: our exact config, only the layers
// the daemon lacks (it reuses layers it has by chain ID), and a parent link so steps stay hidden.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import { configBytes, imageIdOf, type ImageConfig } from '../image/config.js';
import { daemonMessage } from './daemon.js';

export interface NewLayer {
  diffId: string;
  /** Uncompressed layer tar on disk. */
  path: string;
}

export interface LoadRequest {
  config: ImageConfig;
  /** Layers of `config` the daemon does not have yet (others are referenced by chain ID). */
  newLayers?: NewLayer[];
  /** The previous step's image config: loaded alongside (no layers) so the daemon records the parent. */
  parent?: ImageConfig;
  tags?: string[];
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/** Loads the image and returns its ID (sha256 of the config bytes, as the daemon computes it). */
export async function loadImage(docker: Docker, request: LoadRequest): Promise<string> {
  const bytes = configBytes(request.config);
  const id = imageIdOf(request.config);
  const pack = tarStream.pack();
  const body = new PassThrough();
  pack.pipe(body);
  const layerPath = (diffId: string) => `${hex(diffId)}/layer.tar`;
  const manifest: Array<Record<string, unknown>> = [];
  const writeEntries = async () => {
    const add = (name: string, data: Buffer) =>
      new Promise<void>((resolve, reject) => pack.entry({ name, mtime: new Date(0) }, data, (error) => (error ? reject(error) : resolve())));
    if (request.parent) {
      const parentBytes = configBytes(request.parent);
      await add(`${hex(imageIdOf(request.parent))}.json`, parentBytes);
      manifest.push({ Config: `${hex(imageIdOf(request.parent))}.json`, RepoTags: null, Layers: request.parent.rootfs.diff_ids.map(layerPath) });
    }
    await add(`${hex(id)}.json`, bytes);
    for (const layer of request.newLayers ?? []) {
      const size = (await stat(layer.path)).size;
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: layerPath(layer.diffId), size, mtime: new Date(0) }, (error) => (error ? reject(error) : resolve()));
        createReadStream(layer.path).on('error', reject).pipe(entry);
      });
    }
    manifest.push({
      Config: `${hex(id)}.json`,
      RepoTags: request.tags && request.tags.length > 0 ? request.tags.map(normalizeTag) : null,
      Layers: request.config.rootfs.diff_ids.map(layerPath),
      ...(request.parent ? { Parent: imageIdOf(request.parent) } : {}),
    });
    await add('manifest.json', Buffer.from(JSON.stringify(manifest)));
    pack.finalize();
  };
  const writing = writeEntries().catch((error: unknown) => {
    body.destroy(error as Error);
    throw error;
  });
  let output = '';
  try {
    const response = await docker.loadImage(body, { quiet: true });
    for await (const chunk of response as AsyncIterable<Buffer>) output += chunk.toString('utf8');
    await writing;
  } catch (error) {
    await writing.catch(() => undefined);
    throw new Error(`docker load failed: ${daemonMessage(error)}`);
  }
  const failure = /"error(?:Detail)?":\s*\{?"?(?:message"?:\s*)?"([^"]+)"/.exec(output);
  if (failure) throw new Error(`docker load failed: ${failure[1]}`);
  return id;
}

/** `name` → `name:latest`, as the daemon stores untagged references. */
function normalizeTag(reference: string): string {
  const slash = reference.lastIndexOf('/');
  return reference.lastIndexOf(':') > slash ? reference : `${reference}:latest`;
}
