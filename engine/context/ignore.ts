// `.dockerignore`: which context files a build may read. `<Dockerfile>.dockerignore` next to the
// Dockerfile wins over the context's `.dockerignore`, as in BuildKit.
import dockerignoreModule from '@balena/dockerignore';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface IgnoreRules {
  /** The file the patterns came from, if any. */
  file?: string;
  patterns: string[];
  /** True when `relativePath` (POSIX, relative to the context root) is excluded. */
  ignores(relativePath: string): boolean;
}

/** Parses .dockerignore text: comments and blank lines dropped, each pattern trimmed and cleaned. */
export function parseIgnoreFile(text: string): string[] {
  const patterns: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith('#')) continue;
    let line = raw.trim();
    if (line === '') continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    if (line === '') continue;
    line = line.replace(/^\/+/, '').replace(/\/+$/, '') || '/';
    patterns.push(negate ? `!${line}` : line);
  }
  return patterns;
}

// The package is CommonJS with a Babel-style `default`; under NodeNext the default import is the module.
const dockerignore = (dockerignoreModule as unknown as { default: typeof dockerignoreModule.default }).default;

export function ignoreRules(patterns: string[], file?: string): IgnoreRules {
  // Most contexts have no .dockerignore: their walks need not match every path against nothing.
  if (patterns.length === 0) return { ...(file !== undefined ? { file } : {}), patterns, ignores: () => false };
  const matcher = dockerignore().add(patterns);
  return {
    file,
    patterns,
    ignores: (relativePath: string) => relativePath !== '' && relativePath !== '.' && matcher.ignores(relativePath),
  };
}

/** Loads the ignore rules for a build of `contextDir` with the Dockerfile at `dockerfilePath`. */
export async function loadIgnoreRules(contextDir: string, dockerfilePath: string | undefined): Promise<IgnoreRules> {
  const candidates: string[] = [];
  if (dockerfilePath && dockerfilePath !== '-') {
    candidates.push(join(dirname(dockerfilePath), `${basename(dockerfilePath)}.dockerignore`));
  }
  candidates.push(join(contextDir, '.dockerignore'));
  for (const file of candidates) {
    try {
      return ignoreRules(parseIgnoreFile(await readFile(file, 'utf8')), file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return ignoreRules([]);
}
