// Layer tarballs msbuild writes itself (COPY/ADD onto known filesystems, scratch stages):
// entries → an uncompressed tar in a temporary file, with its diff ID (sha256 of the tar). An abort
// destroys the streams at once and removes the partial file.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { abortReason, onAbort, throwIfAborted, untilAborted } from '../util/abort.js';

export type LayerEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';

export interface LayerEntry {
  /** Absolute path in the image, e.g. `/bin/server`. */
  path: string;
  type: LayerEntryType;
  /** Permission bits including setuid/setgid/sticky (no file-type bits). */
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** Symlink target, or hard-link target path (absolute in the image) for `link`. */
  linkname?: string;
  /** Device numbers, for character and block devices. */
  device?: { major: number; minor: number };
  size?: number;
  /** File body: a buffer, or a function giving the bytes (at once, or as a stream of exactly `size` bytes). */
  body?: Buffer | (() => Buffer | Readable);
  /** Extended attributes / PAX records to keep (e.g. `SCHILY.xattr.*`). */
  pax?: Record<string, string>;
}

export interface WrittenLayer {
  path: string;
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Bytes of file content (what `docker history` shows as the layer size). */
  contentSize: number;
}

function tarName(entry: LayerEntry): string {
  const relative = entry.path.replace(/^\/+/, '');
  return entry.type === 'directory' && !relative.endsWith('/') ? `${relative}/` : relative;
}

/** Writes `entries` in order as a layer tar at `path`; parents must come before children. */
export async function writeLayer(
  entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>,
  path: string,
  signal?: AbortSignal,
): Promise<WrittenLayer> {
  const pack = tarStream.pack();
  const hash = createHash('sha256');
  let size = 0;
  let contentSize = 0;
  const output = createWriteStream(path);
  const sink = pipeline(
    pack as unknown as Readable,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    output,
  );
  sink.catch(() => undefined);
  // The file body being copied: destroyed with the rest on abort, or its read would go on.
  let reading: Readable | undefined;
  const release = onAbort(signal, () => {
    const reason = abortReason(signal as AbortSignal);
    reading?.destroy(reason);
    pack.destroy(reason);
  });
  // tar-stream calls an entry's callback when the entry is written: after an abort it may never be.
  const written = (promise: Promise<void>) => untilAborted(promise, signal);
  try {
    throwIfAborted(signal);
    for await (const entry of entries) {
      throwIfAborted(signal);
      const header: Parameters<typeof pack.entry>[0] = {
        name: tarName(entry),
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        mtime: entry.mtime,
        type: entry.type,
        ...(entry.pax ? { pax: entry.pax } : {}),
      };
      if (entry.type === 'symlink') header.linkname = entry.linkname ?? '';
      if (entry.type === 'link') header.linkname = (entry.linkname ?? '').replace(/^\/+/, '');
      if (entry.device) {
        header.devmajor = entry.device.major;
        header.devminor = entry.device.minor;
      }
      if (entry.type !== 'file') {
        await written(
          new Promise<void>((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve()))),
        );
        continue;
      }
      const body = typeof entry.body === 'function' ? entry.body() : (entry.body ?? Buffer.alloc(0));
      if (Buffer.isBuffer(body)) {
        header.size = body.length;
        contentSize += body.length;
        await written(
          new Promise<void>((resolve, reject) =>
            pack.entry(header, body, (error) => (error ? reject(error) : resolve())),
          ),
        );
      } else {
        header.size = entry.size ?? 0;
        contentSize += header.size;
        reading = body;
        const done = new Promise<void>((resolve, reject) => {
          const writable = pack.entry(header, (error) => (error ? reject(error) : resolve()));
          pipeline(body, writable as unknown as NodeJS.WritableStream).catch(reject);
        });
        await written(done);
        reading = undefined;
      }
    }
    pack.finalize();
    await written(sink);
  } catch (error) {
    reading?.destroy();
    pack.destroy();
    output.destroy();
    await sink.catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  } finally {
    release();
  }
  return { path, diffId: `sha256:${hash.digest('hex')}`, size, contentSize };
}
