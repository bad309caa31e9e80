// The tutorial examples of fixtures/apps (examples.json): what each one is, its smoke test (the app's
// smoke.sh, run against an image over loopback only), and the files its final image adds to its base,
// held against what the tutorial says it should hold. Shared by test/apps/ and `make examples` (no ava).
import type Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, type CommandResult } from './command.js';
import { imageFiles, type FileEntry } from './image-files.js';

export const appsDir = new URL('../../../fixtures/apps/', import.meta.url).pathname;

export interface Example {
  /** Directory under fixtures/apps. */
  name: string;
  /** The tutorial, in a few words. */
  tutorial: string;
  /** RUN steps' network: `default` where they install from a registry. */
  network: 'none' | 'default';
  /** The stage the tutorial builds its app in. */
  builder: string;
  /** The final stage's base image (`scratch` for none). */
  finalBase: string;
  /** Paths the final image adds to (or changes in) its base: `*` within a name, `**` across names. */
  files: string[];
  /** The single-stage Dockerfile the tutorial compares with, if it shows one. */
  singleStage?: string;
  /** A variant of the tutorial's text that BuildKit refuses, and the line it refuses. */
  refused?: { dockerfile: string; line: number; why: string };
}

export async function loadExamples(): Promise<Example[]> {
  return JSON.parse(await readFile(join(appsDir, 'examples.json'), 'utf8')) as Example[];
}

function sameEntry(a: FileEntry, b: FileEntry): boolean {
  return (
    a.type === b.type &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.size === b.size &&
    a.sha256 === b.sha256 &&
    a.linkname === b.linkname &&
    a.device === b.device
  );
}

/** Paths of `image` that its base lacks or holds differently (every path when the base is scratch). */
export async function addedFiles(options: { image: string; base: string; docker?: Docker }): Promise<string[]> {
  const files = await imageFiles(options.image, options.docker);
  const base =
    options.base === 'scratch' ? new Map<string, FileEntry>() : await imageFiles(options.base, options.docker);
  return [...files]
    .filter(([path, entry]) => {
      const before = base.get(path);
      return !before || !sameEntry(before, entry);
    })
    .map(([path]) => path)
    .sort();
}

function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** Paths no pattern allows, and patterns no path matches: both empty when the image is as the tutorial says. */
export function checkFiles(
  paths: readonly string[],
  patterns: readonly string[],
): { unexpected: string[]; missing: string[] } {
  const regexes = patterns.map(patternRegex);
  return {
    unexpected: paths.filter((path) => !regexes.some((regex) => regex.test(path))),
    missing: patterns.filter((_, i) => !paths.some((path) => regexes[i].test(path))),
  };
}

let smokeQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs the example's smoke.sh against `image` in the loopback-only namespace `network`
 * (`container:<id>`). One at a time: the servers share that namespace and some share a port.
 */
export function runSmoke(options: { example: string; image: string; network: string }): Promise<CommandResult> {
  const run = () =>
    runCommand('bash', [join(appsDir, options.example, 'smoke.sh'), options.image], {
      env: { SMOKE_NETWORK: options.network },
      timeoutMs: 120_000,
    });
  const result = smokeQueue.then(run, run);
  smokeQueue = result.catch(() => undefined);
  return result;
}
