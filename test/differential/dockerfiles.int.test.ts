// Integration, differential: every Dockerfile in fixtures/dockerfiles is built by Docker's BuildKit
// (the oracle) and by msbuild on each worker (docker: the Engine API; oci: runc on msbuild's own
// snapshots), and the images must have the same config and the same files (type, mode, owner, size,
// content, link target). Any difference fails unless the case documents it.
import test from 'ava';
import { existsSync } from 'node:fs';
import { chmod, cp, link, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import pLimit from 'p-limit';
import tarStream from 'tar-stream';
import { build } from '../../engine/build.js';
import {
  docker,
  dockerCli,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  uniqueName,
} from '../support/docker.js';
import { diffSnapshots, snapshotImage } from '../support/image-snapshot.js';

interface CaseSpec {
  target?: string;
  buildArgs?: Record<string, string>;
  dockerfile?: string;
  /** Modes git cannot keep (0600, setuid), applied to the working copy. */
  chmod?: Record<string, string>;
  /** Files made at test time instead of committed. */
  generate?: {
    dir?: string;
    files?: number;
    file?: string;
    bytes?: number;
    /** A tar archive written entry by entry: devices, fifos and hard links, which git cannot hold. */
    archive?: { file: string; entries: ArchiveEntrySpec[] };
    /** Hard links in the working copy (git keeps none): new name → the file it is another name for. */
    hardLinks?: Record<string, string>;
  };
  /** A Dockerfile built (by BuildKit) and tagged before the case: the base both builders use. */
  pre?: string;
  preTag?: string;
  /** Differences that are known and deliberate, line for line as diffSnapshots prints them. */
  knownDifferences?: string[];
}

/** One entry of a generated archive: a tar header (mode in octal, mtime in seconds) and a body. */
interface ArchiveEntrySpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  mode?: string;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  content?: string;
}

async function writeArchive(path: string, entries: readonly ArchiveEntrySpec[]): Promise<void> {
  const pack = tarStream.pack();
  const written = buffer(pack as unknown as Readable);
  for (const { content, mode, mtime, ...header } of entries) {
    const full = {
      ...header,
      ...(mode ? { mode: parseInt(mode, 8) } : {}),
      mtime: new Date((mtime ?? 1700000000) * 1000),
    };
    await new Promise<void>((resolve, reject) =>
      pack.entry(full, content ?? '', (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  await writeFile(path, await written);
}

const fixtures = new URL('../../../fixtures/dockerfiles/', import.meta.url).pathname;
const cases = (await readdir(fixtures)).filter((name) => /^\d\d-/.test(name)).sort();
const limit = pLimit(3);
const cleanup: Array<() => Promise<unknown>> = [];
/** One cache dir per worker: an entry one worker made is a hit for the other, which would then run nothing. */
const cacheDirs = { docker: '', oci: '' };

test.before(async () => {
  await requireDaemon();
  for (const worker of ['docker', 'oci'] as const) {
    const dir = await mkdtemp(join(tmpdir(), `msbuild-diff-cache-${worker}-`));
    cacheDirs[worker] = dir;
    cleanup.push(() => removeDir(dir));
  }
});
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

async function workingCopy(name: string, spec: CaseSpec): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `msbuild-diff-${name.slice(0, 2)}-`));
  cleanup.push(() => removeDir(dir));
  await cp(join(fixtures, name), dir, { recursive: true, verbatimSymlinks: true });
  for (const [path, mode] of Object.entries(spec.chmod ?? {})) await chmod(join(dir, path), parseInt(mode, 8));
  const generate = spec.generate;
  if (generate?.dir && generate.files) {
    await mkdir(join(dir, generate.dir), { recursive: true });
    for (let i = 0; i < generate.files; i++) {
      const sub = join(dir, generate.dir, `d${i % 10}`);
      await mkdir(sub, { recursive: true });
      await writeFile(join(sub, `f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 7)));
    }
  }
  if (generate?.archive) await writeArchive(join(dir, generate.archive.file), generate.archive.entries);
  for (const [name, existing] of Object.entries(generate?.hardLinks ?? {})) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await link(join(dir, existing), join(dir, name));
  }
  if (generate?.file && generate.bytes) {
    const bytes = Buffer.alloc(generate.bytes);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    await writeFile(join(dir, generate.file), bytes);
  }
  return dir;
}

async function buildKit(context: string, dockerfile: string, spec: CaseSpec, tag: string): Promise<void> {
  const args = ['build', '-q', '--network', 'none', '-f', join(context, dockerfile), '-t', tag];
  if (spec.target) args.push('--target', spec.target);
  for (const [key, value] of Object.entries(spec.buildArgs ?? {})) args.push('--build-arg', `${key}=${value}`);
  const result = await runCommand(dockerCli, [...args, context], { env: { DOCKER_BUILDKIT: '1' } });
  if (result.code !== 0) throw new Error(`BuildKit failed on the oracle: ${result.stderr}`);
}

interface Oracle {
  spec: CaseSpec;
  context: string;
  dockerfile: string;
  oracleFile: string;
  theirs: string;
}

/** BuildKit's image of a case, built once for both workers. */
const oracles = new Map<string, Promise<Oracle>>();
function oracle(name: string): Promise<Oracle> {
  let made = oracles.get(name);
  if (!made) {
    made = limit(async () => {
      const specPath = join(fixtures, name, 'case.json');
      const spec: CaseSpec = existsSync(specPath) ? JSON.parse(await readFile(specPath, 'utf8')) : {};
      const context = await workingCopy(name, spec);
      const dockerfile = spec.dockerfile ?? 'Dockerfile';
      const oracleFile = existsSync(join(context, 'oracle.Dockerfile')) ? 'oracle.Dockerfile' : dockerfile;
      if (spec.pre && spec.preTag) {
        const preDir = await mkdtemp(join(tmpdir(), 'msbuild-diff-pre-'));
        cleanup.push(
          () => removeDir(preDir),
          () => removeImages(spec.preTag as string),
        );
        await writeFile(join(preDir, 'Dockerfile'), spec.pre);
        await buildKit(preDir, 'Dockerfile', {}, spec.preTag);
      }
      const theirs = `${uniqueName(`msbuild-diff-${name.slice(0, 2)}`)}:buildkit`;
      cleanup.push(() => removeImages(theirs));
      await buildKit(context, oracleFile, spec, theirs);
      return { spec, context, dockerfile, oracleFile, theirs };
    });
    oracles.set(name, made);
  }
  return made;
}

// Every case on both workers: the Engine API, and runc on msbuild's own snapshots.
for (const worker of ['docker', 'oci'] as const) {
  for (const name of cases) {
    test(`${name} (${worker})`, async (t) => {
      const { spec, context, dockerfile, oracleFile, theirs } = await oracle(name);
      await limit(async () => {
        const ours = `${uniqueName(`msbuild-diff-${name.slice(0, 2)}`)}:${worker}`;
        cleanup.push(() => removeImages(ours));
        await build({
          context,
          dockerfile: join(context, dockerfile),
          tags: [ours],
          network: 'none',
          pull: 'never',
          cacheDir: cacheDirs[worker],
          worker,
          ...(spec.target ? { target: spec.target } : {}),
          ...(spec.buildArgs ? { buildArgs: spec.buildArgs } : {}),
        });
        // An oracle Dockerfile says the same in other instructions: its history says it differently.
        const differences = diffSnapshots(await snapshotImage(docker, ours), await snapshotImage(docker, theirs), {
          history: oracleFile === dockerfile,
        });
        const known = new Set(spec.knownDifferences ?? []);
        t.deepEqual(
          differences.filter((line) => !known.has(line)),
          [],
        );
      });
    });
  }
}
