// A build's context and Dockerfile as `docker build` takes them from stdin: `-f -` reads the
// Dockerfile there, and a context of `-` is a tar archive (plain, gzip, bzip2 or xz) unpacked into a
// temporary directory, or a Dockerfile alone with an empty context. The temporary directory is the
// build's to remove (`dispose`), also when the build fails or is interrupted (engine/temp-dirs.ts).
import { chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarFs from 'tar-fs';
import { archiveKindOf, decompressed } from '../engine/copy/add-sources.js';
import { createTempDir, removeTempDir } from '../engine/util/temp-dirs.js';
import { UsageError } from './user-error.js';

export interface BuildInputs {
  context: string;
  dockerfile?: string;
  dockerfileText?: string;
  dispose(): Promise<void>;
}

const nothing = async () => undefined;

/** The first bytes of `input` (up to 512, what archive detection reads) and the whole stream again. */
async function peek(input: NodeJS.ReadableStream): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < 512) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    size += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    }
  }
  return { head, stream: Readable.from(all()) };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Unpacks a context archive into `dir` with tar-fs: no entry lands outside it, none is written
 * through a symlink, and devices are refused. Links are kept as they are (a context may hold a
 * symlink to anywhere; COPY copies the link). tar-fs never sets setuid, setgid or sticky bits: they
 * are put back afterwards, as the archive has them.
 */
async function unpackContext(archive: Readable, dir: string): Promise<void> {
  const special: Array<[string, number]> = [];
  // tar-fs 3 takes umask and validateSymlinks; @types/tar-fs describes version 2.
  const options: tarFs.ExtractOptions & { umask: number; validateSymlinks: boolean } = {
    umask: 0,
    validateSymlinks: false,
    map: (header) => {
      if ((header.mode ?? 0) & 0o7000 && (header.type === 'file' || header.type === 'directory'))
        special.push([join(dir, join('/', header.name)), (header.mode ?? 0) & 0o7777]);
      return header;
    },
  };
  const extract = tarFs.extract(dir, options);
  try {
    await pipeline(archive, extract);
  } catch (error) {
    throw new UsageError(`cannot read the build context from stdin: ${(error as Error).message}`);
  }
  for (const [path, mode] of special) await chmod(path, mode);
}

/**
 * The context directory and Dockerfile of a build: `context` or `file` may be `-` (stdin), not both.
 * A Dockerfile named with `-f` inside a stdin archive is a path in the archive.
 */
export async function readBuildInputs(
  context: string,
  file: string | undefined,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<BuildInputs> {
  if (context === '-' && file === '-')
    throw new UsageError("invalid argument: can't use stdin for both build context and dockerfile");
  if (file === '-') return { context, dockerfileText: await readAll(Readable.from(stdin)), dispose: nothing };
  if (context !== '-') return { context, ...(file !== undefined ? { dockerfile: file } : {}), dispose: nothing };
  // Named for this process: a second Ctrl-C removes it at exit, and a killed msbuild's the next build.
  const dir = await createTempDir('stdin-context');
  const dispose = () => removeTempDir(dir);
  try {
    const { head, stream } = await peek(stdin);
    const kind = archiveKindOf(head);
    if (kind === undefined) {
      // As docker: stdin that is no archive is a Dockerfile, and the context is empty.
      if (file !== undefined)
        throw new UsageError(`-f ${file} names a file in a context archive, but stdin holds a Dockerfile`);
      return { context: dir, dockerfileText: await readAll(stream), dispose };
    }
    await unpackContext(decompressed(stream, kind), dir);
    return {
      context: dir,
      ...(file !== undefined ? { dockerfile: resolve(dir, join('/', file).slice(1)) } : {}),
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
