// Resolves COPY/ADD source arguments against a source filesystem with BuildKit's rules: paths are
// confined to the source root (`../x` is `/x`), wildcards match whole relative paths, a symlinked
// source is followed (inside the root), and directories are walked without following links.
import { posix } from 'node:path';
import { MsbuildError } from '../errors.js';
import { PathPatterns, type ParentMatches } from './path-patterns.js';
import { hasWildcard, matchPath } from './pattern.js';
import type { SourceFs, SourceNode } from './source-fs.js';

/** One source argument (or one wildcard match), resolved. */
export interface CopyItem {
  /** Name a file gets when copied into a directory: the source's base name as written or matched. */
  name: string;
  /** Path of the resolved (symlink-free) root in the source filesystem. */
  path: string;
  /** The source argument it came from, for messages. */
  argument: string;
  root: SourceNode;
  /** COPY --parents: only what these patterns (relative to the root) match is copied, with its parents. */
  include?: PathPatterns;
  /** What identifies the item's content for cache keys instead of its files (a Git checkout's commit). */
  digestAs?: string;
}

export interface WalkedNode {
  /** Path relative to the item's root, never empty. */
  relative: string;
  /** Path in the source filesystem (to open file bodies). */
  sourcePath: string;
  node: SourceNode;
}

/** A COPY source that does not exist (or is excluded by .dockerignore). */
export class SourceNotFoundError extends MsbuildError {
  override readonly name = 'SourceNotFoundError';
  override readonly code = 'MSBUILD_SOURCE_NOT_FOUND';
  constructor(
    readonly argument: string,
    readonly where: string,
  ) {
    super(
      where === 'build context'
        ? `"${argument}" not found in the build context (or excluded by .dockerignore)`
        : `"${argument}" not found in ${where}`,
    );
  }
}

/** `../a/./b/` → `a/b`: BuildKit normalizes sources against `/`, which keeps them inside the root. */
export function cleanSourcePath(source: string): string {
  return posix.normalize(`/${source}`).replace(/^\/+/, '').replace(/\/+$/, '');
}

const maxSymlinkHops = 255;

/** Follows symlinks in every component of `path` as if the source root were `/`. */
export async function followPath(fs: SourceFs, path: string): Promise<{ path: string; node: SourceNode } | undefined> {
  let hops = 0;
  let pending = path === '' ? [] : path.split('/');
  let resolved: string[] = [];
  let node = await fs.lstat('');
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      node = await fs.lstat(resolved.join('/'));
      continue;
    }
    const candidate = [...resolved, part].join('/');
    const found = await fs.lstat(candidate);
    if (!found) return undefined;
    if (found.type === 'symlink') {
      if (++hops > maxSymlinkHops) throw new Error(`too many levels of symbolic links at ${candidate}`);
      const target = found.linkname ?? '';
      if (target.startsWith('/')) resolved = [];
      pending = [...target.split('/'), ...pending];
      continue;
    }
    resolved.push(part);
    node = found;
  }
  return node ? { path: resolved.join('/'), node } : undefined;
}

/**
 * Resolves every source argument; wildcards that match nothing give nothing (BuildKit allows it). A
 * wildcard match an `--exclude` pattern matches (by its path from the root) is left out, as the
 * reference says: excluded files are not copied even when the source pattern matches them.
 */
export async function resolveSources(
  fs: SourceFs,
  sources: readonly string[],
  options: { excludes?: readonly string[] } = {},
): Promise<CopyItem[]> {
  const excluded = new PathPatterns(options.excludes ?? []);
  const items: CopyItem[] = [];
  for (const argument of sources) {
    const clean = cleanSourcePath(argument);
    if (hasWildcard(clean)) {
      for (const match of await matchWildcard(fs, clean)) {
        if (!excluded.empty && excluded.matches(match, undefined).matched) continue;
        // A matched symlink is the source itself, so it is followed; one that leads nowhere fails the
        // copy, as in BuildKit (`"/nowhere" not found`).
        const followed = await followPath(fs, match);
        if (!followed) throw new SourceNotFoundError((await linkTargetOf(fs, match)) ?? argument, fs.description);
        items.push({ name: posix.basename(match), path: followed.path, argument, root: followed.node });
      }
      continue;
    }
    const followed = await followPath(fs, clean);
    if (!followed) throw new SourceNotFoundError(argument, fs.description);
    items.push({ name: clean === '' ? '' : posix.basename(clean), path: followed.path, argument, root: followed.node });
  }
  return items;
}

/**
 * COPY --parents, as BuildKit turns it into a copy: `x/./y/*.txt` copies the contents of `x` that the
 * pattern `y/*.txt` includes (parents kept from the pivot `/./` on); without a pivot the pattern is
 * the whole source, from the root. A source without wildcards must exist.
 */
export async function resolveParentsSource(fs: SourceFs, argument: string): Promise<CopyItem[]> {
  const pivot = argument.indexOf('/./');
  const parent = pivot < 0 ? '' : argument.slice(0, pivot);
  const pattern = cleanSourcePath(pivot < 0 ? argument : argument.slice(pivot + 3));
  const include = new PathPatterns([pattern]);
  if (!hasWildcard(parent) && !hasWildcard(pattern)) {
    if (!(await followPath(fs, cleanSourcePath(`${parent}/${pattern}`))))
      throw new SourceNotFoundError(argument, fs.description);
  }
  const roots = hasWildcard(cleanSourcePath(parent))
    ? await matchWildcard(fs, cleanSourcePath(parent))
    : [cleanSourcePath(parent)];
  const items: CopyItem[] = [];
  for (const root of roots) {
    const followed = await followPath(fs, root);
    if (followed?.node.type !== 'directory') continue;
    items.push({ name: '', path: followed.path, argument, root: followed.node, include });
  }
  return items;
}

/** Where the symlink at `path` points, as an absolute path in the source; undefined for a non-link. */
export async function linkTargetOf(fs: SourceFs, path: string): Promise<string | undefined> {
  const node = await fs.lstat(path);
  if (node?.type !== 'symlink') return undefined;
  const target = node.linkname ?? '';
  return `/${cleanSourcePath(target.startsWith('/') ? target : posix.join(posix.dirname(path), target))}`;
}

/** Paths (relative to the root) matching `pattern` (a cleaned source), not descending into matched directories. */
export async function matchWildcard(fs: SourceFs, pattern: string): Promise<string[]> {
  // Start walking at the longest wildcard-free directory prefix.
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (hasWildcard(part)) break;
    fixed.push(part);
  }
  const depth = parts.length;
  const matches: string[] = [];
  const visit = async (dir: string, level: number): Promise<void> => {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = dir === '' ? name : `${dir}/${name}`;
      if (matchPath(pattern, path)) {
        if (await fs.lstat(path)) matches.push(path);
        continue;
      }
      if (level + 1 >= depth) continue;
      const node = await fs.lstat(path);
      if (node?.type === 'directory') await visit(path, level + 1);
    }
  };
  const start = fixed.slice(0, Math.min(fixed.length, depth - 1)).join('/');
  const startNode = await followPath(fs, start);
  if (startNode?.node.type === 'directory') await visit(startNode.path, start === '' ? 0 : start.split('/').length);
  return matches;
}

/**
 * Every node under a directory item, parents before children, in name order; links are not followed.
 * As BuildKit's copier filters: `excludes` (patternmatcher patterns, relative to the item) leave out
 * what they match and, without `!exceptions`, all under it; with the item's include patterns
 * (--parents) only what they match is copied, and a directory only once something in it is.
 */
export async function* walkItem(
  fs: SourceFs,
  item: CopyItem,
  excludes: readonly string[] = [],
): AsyncGenerator<WalkedNode> {
  if (item.root.type !== 'directory') return;
  const exclude = excludes.length > 0 ? new PathPatterns(excludes) : undefined;
  const include = item.include;
  /** Directories entered but not yet copied: they are written before the first entry copied inside. */
  const pending: WalkedNode[] = [];
  async function* visit(
    sourceDir: string,
    relativeDir: string,
    parents: { include: ParentMatches; exclude: ParentMatches },
  ): AsyncGenerator<WalkedNode> {
    for (const name of await fs.readdir(sourceDir)) {
      const sourcePath = sourceDir === '' ? name : `${sourceDir}/${name}`;
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      let included = true;
      let excluded = false;
      const included_ = include?.matches(relative, parents.include);
      if (included_) included = included_.matched;
      const excluded_ = exclude?.matches(relative, parents.exclude);
      if (excluded_?.matched) {
        included = false;
        excluded = true;
      }
      if (!included && !include && !exclude?.exclusions) continue;
      const node = await fs.lstat(sourcePath);
      if (!node) continue;
      if (!included && node.type !== 'directory') continue;
      const walked = { relative, sourcePath, node };
      if (included) {
        yield* pending.splice(0);
        yield walked;
      }
      if (node.type !== 'directory' || (excluded && !exclude?.exclusions)) continue;
      if (!included) pending.push(walked);
      yield* visit(sourcePath, relative, { include: included_?.inherited, exclude: excluded_?.inherited });
      if (!included && pending[pending.length - 1] === walked) pending.pop();
    }
  }
  yield* visit(item.path, '', { include: undefined, exclude: undefined });
}
