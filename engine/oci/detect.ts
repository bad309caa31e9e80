// Whether the OCI worker can run here, and why not: msbuild is root, the daemon is local (a unix
// socket) and stores images with overlay2 (their dirs are read in place), runc is found and has the
// fix for CVE-2024-21626 (upstream 1.1.12, or a distribution backport its package changelog names),
// the helper is built, and an overlay mount with the worker's options works in the state dir (an
// unprivileged container, gVisor or an overlay-on-overlay state dir cannot).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { helperPath, type OciHelper } from './helper.js';
import { mountOverlay, unmount } from './overlay.js';

const run = promisify(execFile);

/** The runc binary on PATH (and the sbin dirs a root shell has). */
export async function findRunc(path = process.env.PATH ?? ''): Promise<string | undefined> {
  const dirs = [...path.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'runc');
    if (
      await access(candidate, 1).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/** The version numbers of `runc --version`'s first line and its `commit:` line (the package version). */
export function parseRuncVersion(output: string): { version: number[]; commit?: string } | undefined {
  const match = /runc version (\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!match) return undefined;
  const commit = /^commit:\s*(\S+)/m.exec(output)?.[1];
  return { version: [Number(match[1]), Number(match[2]), Number(match[3])], ...(commit ? { commit } : {}) };
}

const fixedIn = [1, 1, 12];

function atLeast(version: number[], wanted: number[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (version[i] !== wanted[i]) return version[i] > wanted[i];
  return true;
}

/**
 * True when the package changelog's newest entry is the installed version and the changelog names
 * the CVE (Debian's 1.1.5+ds1-1+deb12u1 backports the fix).
 */
export function changelogHasFix(changelog: string, packageVersion: string | undefined): boolean {
  const newest = /^\S+ \(([^)]+)\)/.exec(changelog)?.[1];
  return newest !== undefined && newest === packageVersion && changelog.includes('CVE-2024-21626');
}

/** Why this runc must not run untrusted steps, or undefined when it may. */
export async function runcProblem(binary: string): Promise<string | undefined> {
  const output = await run(binary, ['--version']).then(
    (result) => result.stdout,
    (error: Error) => `failed: ${error.message}`,
  );
  const parsed = parseRuncVersion(output);
  if (!parsed) return `${binary} --version did not say its version`;
  if (atLeast(parsed.version, fixedIn)) return undefined;
  const changelog = await readFile('/usr/share/doc/runc/changelog.Debian.gz')
    .then((data) => gunzipSync(data).toString('utf8'))
    .catch(() => '');
  if (changelogHasFix(changelog, parsed.commit)) return undefined;
  return `runc ${parsed.version.join('.')} predates the fix for CVE-2024-21626 (1.1.12) and its package does not say it has the fix`;
}

/** A throwaway overlay with the worker's options in the state dir: mounted, written through, removed. */
export async function probeOverlay(helper: OciHelper, stateDir: string): Promise<string | undefined> {
  // Unique within the process too: builds of one process (a bake, a test) probe at the same time.
  const dir = join(stateDir, 'run', `probe-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`);
  const paths = ['lower', 'upper', 'work', 'merged'].map((name) => join(dir, name));
  try {
    for (const path of paths) await mkdir(path, { recursive: true });
    await writeFile(join(paths[0], 'file'), 'x');
    await mountOverlay(helper, {
      lowers: [paths[0]],
      upper: { fs: paths[1], work: paths[2] },
      target: paths[3],
      scratchDir: dir,
    });
    try {
      await writeFile(join(paths[3], 'file'), 'y');
    } finally {
      await unmount(helper, paths[3]);
    }
    if ((await readFile(join(paths[1], 'file'), 'utf8')) !== 'y')
      return 'an overlay mount did not write to its upper dir';
    return undefined;
  } catch (error) {
    return `an overlay mount in ${stateDir} failed: ${(error as Error).message}`;
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The checks that need no daemon: who runs msbuild, where the daemon is. */
export function hostProblem(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): string | undefined {
  if (uid !== 0) return 'msbuild does not run as root (runc and overlay mounts need root)';
  const host = env.DOCKER_HOST ?? '';
  if (host !== '' && !host.startsWith('unix://')) return `DOCKER_HOST=${host} is not a local unix socket`;
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default')
    return `DOCKER_CONTEXT=${env.DOCKER_CONTEXT} may name a remote daemon`;
  if (!helperPath()) return 'the OCI worker helper is not built (run `make build`)';
  return undefined;
}

/** What the daemon's `info` says against reading its image dirs in place. */
export function daemonProblem(info: {
  Driver?: string;
  SecurityOptions?: string[];
  DockerRootDir?: string;
}): string | undefined {
  if (info.Driver !== 'overlay2') return `the daemon's storage driver is ${info.Driver ?? 'unknown'}, not overlay2`;
  const options = info.SecurityOptions ?? [];
  if (options.some((option) => option.includes('name=userns')))
    return 'the daemon remaps user namespaces (userns-remap)';
  if (options.some((option) => option.includes('name=rootless'))) return 'the daemon is rootless';
  if (options.some((option) => option.includes('name=selinux'))) return 'the daemon labels containers with SELinux';
  return undefined;
}

/** The daemon's root dir is visible here (not a daemon in another mount namespace or a VM). */
export async function rootDirProblem(rootDir: string | undefined): Promise<string | undefined> {
  if (!rootDir) return undefined;
  const info = await stat(join(rootDir, 'overlay2')).catch(() => undefined);
  return info?.isDirectory() ? undefined : `the daemon's ${rootDir}/overlay2 is not visible from here`;
}
