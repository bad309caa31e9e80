// A mounted image tree as the target of a COPY or WORKDIR: what exists and what it is (links
// followed inside the root), paths with their links resolved (a layer tar must name real dirs, or
// a `var/run/` entry would hide a `var/run -> /run` link), small files (/etc/passwd) read, and the
// attributes of existing directories (a layer names the directories above what it adds as they are).
import { lstatSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { TargetView } from '../copy/apply.js';
import { resolveInRoot, resolveInRootSync } from './root-path.js';

export function treeView(root: string): TargetView {
  const kind = async (path: string): Promise<'directory' | 'file' | undefined> => {
    try {
      return statSync(resolveInRootSync(root, path)).isDirectory() ? 'directory' : 'file';
    } catch {
      return undefined;
    }
  };
  return {
    kind,
    realPath: (path) => `/${relative(root, resolveInRootSync(root, path))}`,
    readsFiles: true,
    attributes: async (path) => {
      try {
        const info = lstatSync(resolveInRootSync(root, path));
        if (!info.isDirectory()) return undefined;
        return { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid, mtime: info.mtime };
      } catch {
        return undefined;
      }
    },
    readFile: async (path) => {
      if ((await kind(path)) !== 'file') return undefined;
      return readFile(await resolveInRoot(root, path), 'utf8').catch(() => undefined);
    },
  };
}
