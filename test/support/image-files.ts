// Every file of an image as `docker export` lists it (type, mode, owner, size, content hash, link
// target, device numbers), Docker's own mount points left out. No ava here: bench/ uses it too.
import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';

const docker = new Docker();

export interface FileEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname?: string;
  /** `major,minor` of a character or block device. */
  device?: string;
  /** sha256 of a regular file's content. */
  sha256?: string;
}

/** Every path in the image (as `docker export` gives it, Docker's own mount points left out). */
export async function imageFiles(image: string, client: Docker = docker): Promise<Map<string, FileEntry>> {
  const container = await client.createContainer({
    Image: image,
    Cmd: ['/none'],
    Entrypoint: [],
    NetworkDisabled: true,
  });
  const files = new Map<string, FileEntry>();
  try {
    const stream = (await container.export()) as unknown as Readable;
    const extract = tarStream.extract();
    await new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, entry, next) => {
        const path = `/${header.name.replace(/^\.?\/+/, '').replace(/\/+$/, '')}`;
        const hash = createHash('sha256');
        const body = entry as unknown as Readable;
        body.on('data', (chunk: Buffer) => hash.update(chunk));
        body.on('end', () => {
          files.set(path, {
            type: header.type ?? 'file',
            mode: (header.mode ?? 0) & 0o7777,
            uid: header.uid ?? 0,
            gid: header.gid ?? 0,
            size: header.size ?? 0,
            ...(header.linkname ? { linkname: header.linkname } : {}),
            ...(header.type === 'character-device' || header.type === 'block-device'
              ? { device: `${header.devmajor},${header.devminor}` }
              : {}),
            ...(header.type === 'file' ? { sha256: hash.digest('hex') } : {}),
          });
          next();
        });
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
      stream.pipe(extract as unknown as NodeJS.WritableStream);
    });
  } finally {
    await container.remove({ force: true });
  }
  for (const mount of [
    '/',
    '/.dockerenv',
    '/dev',
    '/dev/console',
    '/dev/pts',
    '/dev/shm',
    '/etc',
    '/etc/hostname',
    '/etc/hosts',
    '/etc/mtab',
    '/etc/resolv.conf',
    '/proc',
    '/sys',
  ]) {
    if (files.get(mount)?.size === 0) files.delete(mount);
  }
  return files;
}
