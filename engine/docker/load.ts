// Puts images msbuild authored into the daemon with `docker load`: our exact config, only the layers
// the daemon lacks (it reuses layers it has by chain ID), and a parent link so steps stay hidden.
// The request and the writer feeding it end together: on an abort, a failed request or a dropped
// connection, neither waits for the other.
import type Docker from 'dockerode';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { configBytes, imageIdOf, type ImageConfig } from '../image/config.js';
import { normalizedTag } from '../image/reference.js';
import { onAbort, throwIfAborted, untilAborted } from '../util/abort.js';
import { hex } from '../util/digest.js';
import type { LoadRequest } from '../worker/image-store.js';
import { DaemonError, daemonMessage } from './daemon.js';

/** Docker accepts a parent link only to an image with exactly one history entry less, the rest equal. */
export function isValidParent(parent: ImageConfig, child: ImageConfig): boolean {
  if (child.history.length - parent.history.length !== 1) return false;
  return parent.history.every((entry, i) => JSON.stringify(entry) === JSON.stringify(child.history[i]));
}

/** A layer stream being opened; one that opens after an abort is closed rather than left holding its socket. */
async function openStream(opening: Promise<Readable>, stop: AbortSignal): Promise<Readable> {
  try {
    return await untilAborted(opening, stop);
  } catch (error) {
    opening.then(
      (stream) => stream.destroy(),
      () => undefined,
    );
    throw error;
  }
}

/**
 * Loads the image and returns its ID (sha256 of the config bytes, as the daemon computes it).
 * Aborting `signal` drops the request and stops reading the layer files at once.
 */
export async function loadImage(docker: Docker, request: LoadRequest, signal?: AbortSignal): Promise<string> {
  throwIfAborted(signal);
  const bytes = configBytes(request.config);
  const id = imageIdOf(request.config);
  const pack = tarStream.pack();
  const body = new PassThrough();
  pack.pipe(body);
  // Ends the writer once the request is over, however it ended: a request that failed, or whose
  // connection dropped (a daemon killed mid-load), stops reading the body, and a writer waiting for
  // room would wait forever, with nothing left to run.
  const over = new AbortController();
  const stop = signal ? AbortSignal.any([signal, over.signal]) : over.signal;
  let reading: Readable | undefined;
  const release = onAbort(stop, () => {
    reading?.destroy();
    pack.destroy();
    body.destroy();
  });
  const layerPath = (diffId: string) => `${hex(diffId)}/layer.tar`;
  const manifest: Array<Record<string, unknown>> = [];
  const writeEntries = async () => {
    const add = (name: string, data: Buffer) =>
      untilAborted(
        new Promise<void>((resolve, reject) =>
          pack.entry({ name, mtime: new Date(0) }, data, (error) => (error ? reject(error) : resolve())),
        ),
        stop,
      );
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
      const size = 'path' in layer ? (await stat(layer.path)).size : layer.size;
      const source = 'path' in layer ? createReadStream(layer.path) : await openStream(layer.open(), stop);
      reading = source;
      await untilAborted(
        new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ name: layerPath(layer.diffId), size, mtime: new Date(0) }, (error) =>
            error ? reject(error) : resolve(),
          );
          source.on('error', reject).pipe(entry);
        }),
        stop,
      );
      reading = undefined;
    }
    manifest.push({
      Config: `${hex(id)}.json`,
      RepoTags: request.tags && request.tags.length > 0 ? request.tags.map(normalizedTag) : null,
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
  writing.catch(() => undefined);
  let output = '';
  try {
    const response = (await docker.loadImage(body, { quiet: true, abortSignal: signal })) as unknown as Readable;
    const dropResponse = onAbort(signal, () => response.destroy());
    try {
      // The daemon answers once it has read everything (a writer that failed failed the request too).
      for await (const chunk of response as AsyncIterable<Buffer>) output += chunk.toString('utf8');
    } finally {
      dropResponse();
    }
  } catch (error) {
    throwIfAborted(signal);
    throw new DaemonError(`docker load failed: ${daemonMessage(error)}`, { cause: error });
  } finally {
    over.abort();
    release();
    await writing.catch(() => undefined);
  }
  const failure = /"error(?:Detail)?":\s*\{?"?(?:message"?:\s*)?"([^"]+)"/.exec(output);
  // The daemon's own failure (a full disk, say): the user's to fix, so a DaemonError, printed plainly.
  if (failure) throw new DaemonError(`docker load failed: ${failure[1]}`);
  return id;
}
