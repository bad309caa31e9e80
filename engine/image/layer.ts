// Layer tarballs msbuild writes itself (COPY/ADD onto known filesystems, scratch stages):
// entries → an uncompressed tar in a temporary file, with its diff ID (sha256 of the tar).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';

export type LayerEntryType = 'file' | 'directory' | 'symlink' | 'link';

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
export async function writeLayer(entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>, path: string): Promise<WrittenLayer> {
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
  try {
    for await (const entry of entries) {
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
      if (entry.type !== 'file') {
        await new Promise<void>((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())));
        continue;
      }
      const body = typeof entry.body === 'function' ? entry.body() : (entry.body ?? Buffer.alloc(0));
      if (Buffer.isBuffer(body)) {
        header.size = body.length;
        contentSize += body.length;
        await new Promise<void>((resolve, reject) => pack.entry(header, body, (error) => (error ? reject(error) : resolve())));
      } else {
        header.size = entry.size ?? 0;
        contentSize += header.size;
        const done = new Promise<void>((resolve, reject) => {
          const writable = pack.entry(header, (error) => (error ? reject(error) : resolve()));
          pipeline(body, writable as unknown as NodeJS.WritableStream).catch(reject);
        });
        await done;
      }
    }
    pack.finalize();
    await sink;
  } catch (error) {
    pack.destroy();
    await sink.catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
  return { path, diffId: `sha256:${hash.digest('hex')}`, size, contentSize };
}
