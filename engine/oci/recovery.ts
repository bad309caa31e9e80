// What a killed msbuild leaves of the OCI worker, removed by the next one: its runc containers
// (killed and deleted under msbuild's runc root), its mounts under the state dir (from
// /proc/self/mountinfo), its cgroups (runc leaves the fixed parent, and a killed runc its own),
// its bundles and half-made snapshots. Everything is named after the process that made it
// (`msbuild-<pid>-…` containers, `new-<pid>-…` snapshots), so what live processes use stays.
import { appendFile, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../util/owner.js';
import { OciError } from './errors.js';
import type { OciHelper } from './helper.js';
import { unmount } from './overlay.js';
import { listContainers, ownerOfContainer, removeContainer, type RuncOptions } from './runc.js';
import type { SnapshotStore } from './snapshots.js';

/** The cgroup parent of every RUN (`/msbuild-oci/<container>`), one fixed name so leftovers are found. */
export const cgroupParent = 'msbuild-oci';

/** Cgroup parents RUNs were given (`--cgroup-parent`), one per line: recovery looks under them too. */
const parentsFile = 'cgroup-parents';

/** A `--cgroup-parent` as given, cleaned: its parts without `.` (and `..` refused). */
export function normalCgroupParent(parent: string): string {
  const parts = parent.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..'))
    throw new OciError('OCI_CGROUP', `invalid --cgroup-parent ${JSON.stringify(parent)}: a cgroup path without ".."`);
  return parts.join('/');
}

/** This process's cgroup (the memory hierarchy's on v1, the unified one on v2), from /proc/self/cgroup. */
export function ownCgroup(procCgroup: string): string {
  const lines = procCgroup.split('\n').map((line) => line.split(':'));
  const line = lines.find((fields) => fields[1]?.split(',').includes('memory')) ?? lines.find((f) => f[0] === '0');
  return line?.slice(2).join(':') || '/';
}

/**
 * A `--cgroup-parent` as the absolute path runc gets: an absolute one from each hierarchy's root, a
 * relative one under msbuild's own cgroup (dockerd's runc puts it under the runtime's own).
 */
export async function resolveCgroupParent(parent: string): Promise<string> {
  const normal = normalCgroupParent(parent);
  if (parent.startsWith('/')) return normal;
  const own = ownCgroup(await readFile('/proc/self/cgroup', 'utf8').catch(() => ''));
  return normalCgroupParent(`${own}/${normal}`);
}

/** The RUN's cgroup: under msbuild's fixed parent, or a resolved `--cgroup-parent`. */
export function cgroupsPathFor(containerId: string, parent?: string): string {
  return `/${parent ?? cgroupParent}/${containerId}`;
}

/** Remembers a parent a RUN is given, before the RUN runs (so a killed build's cgroup is found). */
export async function noteCgroupParent(stateDir: string, resolved: string): Promise<void> {
  const known = await readFile(join(stateDir, parentsFile), 'utf8').catch(() => '');
  if (!known.split('\n').includes(resolved)) await appendFile(join(stateDir, parentsFile), `${resolved}\n`);
}

/** Owned by a process of this host that no longer runs. */
function deadOwner(pid: number | undefined): boolean {
  return pid !== undefined && pid !== process.pid && !processAlive(pid);
}

/** Mount points under `dir`, deepest first, from mountinfo (paths there escape space as \040). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    if (point.startsWith(prefix)) points.push(point);
  }
  return points.sort((a, b) => b.length - a.length);
}

/** The pid a path under the state dir belongs to (`new-<pid>-…`, `msbuild-<pid>-…`, `…-p<pid>-…`). */
export function ownerOfPath(path: string): number | undefined {
  const match = /\/(?:new-|msbuild-|links-|view-|dns-|probe-)(\d+)-/.exec(path) ?? /\.new-(\d+)-/.exec(path);
  return match ? Number(match[1]) : undefined;
}

export interface RecoveryReport {
  containers: number;
  mounts: number;
  cgroups: number;
  snapshots: number;
}

/** Cgroup dirs RUNs of dead processes left, in every hierarchy (v1) or the unified one (v2). */
async function removeStrayCgroups(stateDir: string, root = '/sys/fs/cgroup'): Promise<number> {
  const hierarchies = [root, ...(await readdir(root).catch(() => [] as string[])).map((name) => join(root, name))];
  const noted = (await readFile(join(stateDir, parentsFile), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  let removed = 0;
  for (const parent of hierarchies.flatMap((hierarchy) =>
    [cgroupParent, ...noted].map((name) => join(hierarchy, name)),
  )) {
    for (const name of await readdir(parent).catch(() => [] as string[])) {
      if (!deadOwner(ownerOfContainer(name))) continue;
      // A cgroup goes with rmdir once no process is in it (the container was killed first).
      await rmdir(join(parent, name)).then(
        () => removed++,
        () => undefined,
      );
    }
  }
  return removed;
}

export async function recoverLeftovers(options: {
  stateDir: string;
  runc: RuncOptions;
  helper: OciHelper;
  store: SnapshotStore;
}): Promise<RecoveryReport> {
  const report: RecoveryReport = { containers: 0, mounts: 0, cgroups: 0, snapshots: 0 };
  for (const container of await listContainers(options.runc).catch(() => [])) {
    if (!deadOwner(ownerOfContainer(container.id))) continue;
    await removeContainer(options.runc, container.id).then(
      () => report.containers++,
      () => undefined,
    );
  }
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const point of mountsUnder(mountinfo, options.stateDir)) {
    if (!deadOwner(ownerOfPath(point))) continue;
    await unmount(options.helper, point).then(
      () => report.mounts++,
      () => undefined,
    );
  }
  report.cgroups = await removeStrayCgroups(options.stateDir);
  const runDir = join(options.stateDir, 'run');
  // A dir with a mount still in it is never removed: rm would delete through the mount.
  const stillMounted = mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), options.stateDir);
  for (const name of await readdir(runDir).catch(() => [] as string[])) {
    const dir = join(runDir, name);
    if (stillMounted.some((point) => point === dir || point.startsWith(`${dir}/`))) continue;
    if (deadOwner(ownerOfContainer(name)) || deadOwner(ownerOfPath(`/${name}`)))
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  report.snapshots = await options.store.removeLeftovers();
  return report;
}
