// ADD's extra sources: local tar archives (plain, gzip, bzip2, xz) unpacked into the destination, and
// URLs downloaded by msbuild. Archive entries are confined to the destination: `../`, absolute names and
// writes through the archive's own symlinks cannot land outside it (no tar-slip). Devices, fifos and
// hard links between the archive's own files are unpacked as they are, as docker build unpacks them.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { MsbuildError } from '../errors.js';
import { ImageSourceFs } from './image-source.js';
import type { SourceFs, SourceNode } from './source-fs.js';

/** `ADD --checksum` did not match what was downloaded (BuildKit's words). */
export class ChecksumMismatchError extends MsbuildError {
  override readonly name = 'ChecksumMismatchError';
  override readonly code = 'MSBUILD_CHECKSUM_MISMATCH';
}

export type ArchiveKind = 'tar' | 'gzip' | 'bzip2' | 'xz';

/** The archive kind from a file's first bytes (what Docker's DetectCompression looks at). */
export function archiveKindOf(head: Buffer): ArchiveKind | undefined {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

/** The first 512 bytes of a stream (or fewer); the stream is closed. */
async function readHead(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= 512) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, 512);
}

/** True when `path` is a tar archive ADD would unpack (compressed ones must hold a tar). */
export async function isArchive(fs: SourceFs, path: string): Promise<ArchiveKind | undefined> {
  const kind = archiveKindOf(await readHead(fs.open(path)));
  if (kind === undefined || kind === 'tar') return kind;
  // A compressed file is only unpacked when what it holds is a tar.
  const inner = await readHead(decompressed(fs.open(path), kind)).catch(() => Buffer.alloc(0));
  return archiveKindOf(inner) === 'tar' ? kind : undefined;
}

export function decompressed(input: Readable, kind: ArchiveKind): Readable {
  if (kind === 'tar') return input;
  if (kind === 'gzip') return input.pipe(createGunzip());
  const command = kind === 'xz' ? 'xz' : 'bzip2';
  const child = spawn(command, ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', (error) =>
    child.stdout.destroy(new Error(`cannot unpack ${kind} archive: ${command}: ${error.message}`)),
  );
  input.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  return child.stdout;
}

/** The archive's contents as a source tree (its root is the destination's contents). */
export async function unpackArchive(fs: SourceFs, path: string, kind: ArchiveKind): Promise<ImageSourceFs> {
  const tree = await ImageSourceFs.create(`archive ${path}`, { unpacked: true });
  try {
    await tree.addArchive('', decompressed(fs.open(path), kind));
    return tree;
  } catch (error) {
    await tree.dispose();
    throw error;
  }
}

/** A file downloaded by ADD <url>. Owns a temporary directory. */
export class DownloadedFs implements SourceFs {
  readonly description: string;
  private constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly node: SourceNode,
    url: string,
  ) {
    this.description = url;
  }

  /**
   * Downloads `url`; the file is named after the URL's last path segment, mode 0600, mtime from
   * Last-Modified. With `checksum` (`sha256:…`, `ADD --checksum`) other bytes fail, in BuildKit's words.
   */
  static async fetch(
    url: string,
    tempDir: string,
    options: { signal?: AbortSignal; checksum?: string } = {},
  ): Promise<{ fs: DownloadedFs; name: string }> {
    const signal = options.signal;
    const dir = await mkdtemp(join(tempDir, 'download-'));
    try {
      const response = await fetch(url, { signal, redirect: 'follow' });
      if (!response.ok || !response.body)
        throw new Error(`failed to download ${url}: HTTP ${response.status} ${response.statusText}`);
      const base = posix.basename(new URL(url).pathname);
      const name = base === '' || base === '/' || base === '.' ? '__unnamed__' : base;
      await pipeline(Readable.fromWeb(response.body as never), createWriteStream(join(dir, 'file')));
      const modified = response.headers.get('last-modified');
      const size = Number(response.headers.get('content-length') ?? Number.NaN);
      const actual = (await stat(join(dir, 'file'))).size;
      if (!Number.isNaN(size) && size !== actual)
        throw new Error(`failed to download ${url}: got ${actual} of ${size} bytes`);
      if (options.checksum) await verifyChecksum(url, join(dir, 'file'), options.checksum);
      const node: SourceNode = {
        type: 'file',
        mode: 0o600,
        uid: 0,
        gid: 0,
        mtime: modified ? new Date(modified) : new Date(0),
        size: actual,
      };
      return { fs: new DownloadedFs(dir, name, node, url), name };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async lstat(path: string): Promise<SourceNode | undefined> {
    const clean = posix.normalize(`/${path}`).replace(/^\/+/, '');
    if (clean === '') return { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0 };
    return clean === this.name ? this.node : undefined;
  }

  async readdir(): Promise<string[]> {
    return [this.name];
  }

  open(): Readable {
    return createReadStream(join(this.dir, 'file'));
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function verifyChecksum(url: string, file: string, checksum: string): Promise<void> {
  const algorithm = checksum.slice(0, checksum.indexOf(':'));
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file), hash);
  const got = `${algorithm}:${hash.digest('hex')}`;
  if (got !== checksum) throw new ChecksumMismatchError(`digest mismatch for ${url}: ${got} (expected: ${checksum})`);
}
