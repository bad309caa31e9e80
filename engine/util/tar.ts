// Reading a tar stream entry by entry (docker save output, a container's archive, a layer): the one
// loop of extract events, draining what a handler leaves, with errors from the archive, the tar
// parser or the handler ending it, and an early stop that drops the rest of the archive.
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';

export type TarHeader = tarStream.Header;

/**
 * What to do with one entry: read `body` (or leave it: what is left is skipped) and return when done
 * with it; return `false` to stop reading the archive (the rest is never read).
 */
export type TarEntryHandler = (header: TarHeader, body: Readable) => Promise<void | false> | void | false;

/**
 * Reads `archive` as a tar, calling `onEntry` for each entry in order, one at a time. Rejects with the
 * first error of the archive, the tar or a handler (the archive is destroyed then).
 */
export async function readTar(archive: Readable | NodeJS.ReadableStream, onEntry: TarEntryHandler): Promise<void> {
  const extract = tarStream.extract();
  const drop = () => (archive as { destroy?: () => void }).destroy?.();
  let over = false;
  const done = new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      if (over) return;
      over = true;
      reject(error);
      extract.destroy();
      drop();
    };
    extract.on('entry', (header, entry, next) => {
      const body = entry as unknown as Readable;
      let ended = false;
      body.on('end', () => (ended = true));
      Promise.resolve()
        .then(() => onEntry(header, body))
        .then((result) => {
          if (result === false) {
            over = true;
            resolve();
            extract.destroy();
            drop();
          } else if (ended) next();
          else {
            body.on('end', () => next());
            body.resume();
          }
        }, fail);
    });
    extract.on('finish', () => {
      over = true;
      resolve();
    });
    extract.on('error', fail);
  });
  archive.on('error', (error: Error) => extract.destroy(error));
  archive.pipe(extract as unknown as NodeJS.WritableStream);
  await done;
}

/** The whole body of an entry, for small ones (JSON files of an archive). */
export async function readEntry(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
