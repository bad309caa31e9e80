// Writes a source tree onto the host (bind-mount copies, local exports), never outside the
// destination: every path is cleaned and symlinks are written as links, not followed; devices and fifos
// are made as they are (devices only as root).
import { createWriteStream } from 'node:fs';
import { chmod, lchown, mkdir, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { SourceFs, SourceNode } from './source-fs.js';
import { canMake, makeSpecialFile } from './special-files.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

async function writeNode(fs: SourceFs, sourcePath: string, node: SourceNode, target: string): Promise<void> {
  if (node.type === 'directory') {
    await mkdir(target, { recursive: true });
  } else if (node.type === 'symlink') {
    await symlink(node.linkname ?? '', target);
  } else if (node.type === 'character-device' || node.type === 'block-device' || node.type === 'fifo') {
    // A device needs root; without it the tree has no such entry rather than a stand-in.
    if (!canMake(node.type)) return;
    await makeSpecialFile(target, node.type, node.mode, node.device);
  } else {
    await pipeline(fs.open(sourcePath), createWriteStream(target, { mode: node.mode & 0o777 }));
  }
  if (isRoot) await lchown(target, node.uid, node.gid).catch(() => undefined);
  if (node.type !== 'symlink') {
    await chmod(target, node.mode);
    await utimes(target, node.mtime, node.mtime);
  }
}

/** Copies `root` of `fs` (and everything under it) into the host directory `destination`. */
export async function writeTree(fs: SourceFs, root: string, destination: string): Promise<void> {
  const clean = posix.normalize(`/${root}`).replace(/^\/+|\/+$/g, '');
  const rootNode = await fs.lstat(clean);
  if (!rootNode) return;
  if (rootNode.type !== 'directory') {
    await writeNode(fs, clean, rootNode, join(destination, posix.basename(clean)));
    return;
  }
  await mkdir(destination, { recursive: true });
  const directories: Array<[string, SourceNode]> = [];
  const visit = async (sourceDir: string, hostDir: string) => {
    for (const name of await fs.readdir(sourceDir)) {
      if (name === '' || name === '.' || name === '..' || name.includes('/')) continue;
      const sourcePath = sourceDir === '' ? name : `${sourceDir}/${name}`;
      const node = await fs.lstat(sourcePath);
      if (!node) continue;
      const target = join(hostDir, name);
      if (node.type === 'directory') {
        await mkdir(target, { recursive: true });
        directories.push([target, node]);
        await visit(sourcePath, target);
      } else {
        await writeNode(fs, sourcePath, node, target);
      }
    }
  };
  await visit(clean, destination);
  // Directory modes and times last: writing into them would change their mtime, and a read-only mode would block it.
  for (const [target, node] of directories.reverse()) {
    if (isRoot) await lchown(target, node.uid, node.gid).catch(() => undefined);
    await chmod(target, node.mode);
    await utimes(target, node.mtime, node.mtime);
  }
}
