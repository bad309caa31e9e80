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
  /**
   * The configs of the steps before, oldest first: loaded alongside (no layers needed) and linked as
   * parents where Docker allows it, so intermediate images stay hidden like the legacy builder's.
   */
  ancestors?: ImageConfig[];
  tags?: string[];
}

/** Docker accepts a parent link only to an image with exactly one history entry less, the rest equal. */
export function isValidParent(parent: ImageConfig, child: ImageConfig): boolean {
  if (child.history.length - parent.history.length !== 1) return false;
  return parent.history.every((entry, i) => JSON.stringify(entry) === JSON.stringify(child.history[i]));
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
    const ancestors = request.ancestors ?? [];
    const linkTo = (previous: ImageConfig | undefined, config: ImageConfig) =>
      previous && isValidParent(previous, config) ? { Parent: imageIdOf(previous) } : {};
    const written = new Set<string>();
    for (const [i, ancestor] of ancestors.entries()) {
      const ancestorId = hex(imageIdOf(ancestor));
      if (written.has(ancestorId) || ancestorId === hex(id)) continue;
      written.add(ancestorId);
      await add(`${ancestorId}.json`, configBytes(ancestor));
      manifest.push({
        Config: `${ancestorId}.json`,
        RepoTags: null,
        Layers: ancestor.rootfs.diff_ids.map(layerPath),
        ...linkTo(ancestors[i - 1], ancestor),
      });
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
      ...linkTo(ancestors.at(-1), request.config),
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
