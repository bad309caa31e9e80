// Content digests of what a COPY/ADD reads: every path, type, mode, owner, link target and file body
// (never mtimes), streamed through sha256 so large files need no memory; bodies of unchanged context
// files are not read twice thanks to a memo keyed by inode, size and change times. An abort stops the
// walk between files and destroys the file being read, so Ctrl-C does not wait for gigabytes of hashing.
import { createHash } from 'node:crypto';
import type { CopyItem } from '../copy/resolve.js';
import { walkItem } from '../copy/resolve.js';
import { fileBody, type SourceFs, type SourceNode } from '../copy/source-fs.js';
import { abortReason, onAbort, throwIfAborted } from '../util/abort.js';
import { digestOf } from './key.js';

/** Remembers file digests by a stable identity (see SourceNode.identity). */
export interface FileDigestMemo {
  get(identity: string): string | undefined;
  set(identity: string, digest: string): void;
}

export async function fileDigest(
  file: { fs: SourceFs; path: string; node: SourceNode },
  memo?: FileDigestMemo,
  signal?: AbortSignal,
): Promise<string> {
  const { fs, path, node } = file;
  throwIfAborted(signal);
  const identity = memo ? node.identity : undefined;
  if (identity !== undefined) {
    const known = memo?.get(identity);
    if (known) return known;
  }
  const hash = createHash('sha256');
  const body = fileBody(fs, path, node.size);
  if (Buffer.isBuffer(body)) hash.update(body);
  else {
    const release = onAbort(signal, () => body.destroy(abortReason(signal as AbortSignal)));
    try {
      for await (const chunk of body) hash.update(chunk as Buffer);
    } finally {
      release();
      body.destroy();
    }
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (identity !== undefined) memo?.set(identity, digest);
  return digest;
}

/** One node as the key sees it; `linkedTo` is the first name of its hard-link group the copy reads, if another. */
function describe(node: SourceNode, content?: string, linkedTo?: string): string {
  const base = [
    node.type,
    node.mode.toString(8),
    node.uid,
    node.gid,
    node.linkname ?? '',
    content ?? '',
    JSON.stringify(node.pax ?? {}),
  ].join(' ');
  // Only where present, so the keys of ordinary files stay what they were.
  const device = node.device ? ` device ${node.device.major},${node.device.minor}` : '';
  return `${base}${device}${linkedTo !== undefined ? ` hardlink ${linkedTo}` : ''}`;
}

export interface ContentDigest {
  digest: string;
  /** Per-file digests (`argument/relative path` → description digest), for cache-miss explanations. */
  files: Map<string, string>;
}

/** Digest of everything the items make a copy read, in a fixed order. */
export async function contentDigestOf(
  items: ReadonlyArray<{ fs: SourceFs; item: CopyItem }>,
  excludes: readonly string[],
  memo?: FileDigestMemo,
  signal?: AbortSignal,
): Promise<ContentDigest> {
  const files = new Map<string, string>();
  const lines: string[] = [];
  // A copy writes the second name of a hard-link group as a link to the first: `ln` and `cp` differ.
  const firstNames = new Map<string, string>();
  const groupOf = (node: SourceNode, name: string): string | undefined => {
    if (node.hardLink === undefined) return undefined;
    const first = firstNames.get(node.hardLink);
    if (first === undefined) firstNames.set(node.hardLink, name);
    return first;
  };
  for (const { fs, item } of items) {
    if (item.digestAs !== undefined) {
      lines.push(`${item.argument}\t${item.digestAs}`);
      files.set(item.argument, digestOf(item.digestAs));
      continue;
    }
    const rootContent =
      item.root.type === 'file' ? await fileDigest({ fs, path: item.path, node: item.root }, memo, signal) : undefined;
    const label = item.name === '' ? item.argument : item.name;
    const rootLine = describe(item.root, rootContent, groupOf(item.root, label));
    lines.push(`${label}\t${rootLine}`);
    files.set(label, digestOf(rootLine));
    for await (const walked of walkItem(fs, item, excludes)) {
      // Small files are read synchronously: a walk of a huge context checks for an abort per file.
      throwIfAborted(signal);
      const content =
        walked.node.type === 'file'
          ? await fileDigest({ fs, path: walked.sourcePath, node: walked.node }, memo, signal)
          : undefined;
      const line = describe(walked.node, content, groupOf(walked.node, `${label}/${walked.relative}`));
      lines.push(`${label}/${walked.relative}\t${line}`);
      files.set(`${label}/${walked.relative}`, digestOf(line));
    }
  }
  return { digest: digestOf(lines), files };
}
