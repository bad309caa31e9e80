// One RUN on the OCI worker, as BuildKit's runc executor runs one: a new snapshot over the parent
// layers, mounted as the container's root in a bundle dir; the user resolved in that root; the
// working dir created (owned by the step's user) when missing; runc's mount stubs found before and
// removed after; the spec written; runc run; the root unmounted whatever happened. The snapshot is
// committed when the command succeeded and discarded otherwise.
import { chmod, chown, lstat, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { abortReason } from '../util/abort.js';
import type { ResourceLimits } from '../worker/container-spec.js';
import { OciError } from './errors.js';
import type { OciHelper } from './helper.js';
import { mountOverlay, unmount } from './overlay.js';
import { cgroupsPathFor, noteCgroupParent, resolveCgroupParent } from './recovery.js';
import { resolveInRoot } from './root-path.js';
import { containerIdFor, runContainer, type RuncOptions } from './runc.js';
import type { NewSnapshot, SnapshotStore } from './snapshots.js';
import { runtimeSpec, type SpecMount, type SpecTemplate } from './spec.js';
import { findMountStubs, removeMountStubs } from './stubs.js';
import { resolveUser } from './user.js';

export interface RunEnvironment {
  stateDir: string;
  helper: OciHelper;
  store: SnapshotStore;
  runc: RuncOptions;
  template: SpecTemplate;
  /** BuildKit's hosts file and the resolv.conf for this step's network, bound read-only. */
  hostsPath: string;
  resolvConfPath: string;
}

export interface RunRequest {
  /** Parent layer dirs, newest first (none: the step runs on an empty root). */
  lowers: readonly string[];
  args: string[];
  env: readonly string[];
  cwd: string;
  user: string;
  /** `undefined`: the host's network; `{}`: a namespace of its own; `{ path }`: join that one. */
  network: { path?: string } | undefined;
  /** A named network's own resolv.conf, bound instead of the environment's. */
  resolvConfPath?: string;
  insecure: boolean;
  limits: ResourceLimits;
  /** Mounts for `RUN --mount` (their targets' stubs are removed afterwards). */
  mounts: readonly SpecMount[];
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  exitCode: number;
  runcError?: string;
  /** The step's snapshot (still to be committed), when the command succeeded. */
  snapshot?: NewSnapshot;
}

let serial = 0;

/** Creates missing dirs of `path` (host path under `root`) with mode 0755, owned by uid/gid (MkdirAllAndChown). */
async function makeWorkingDir(root: string, path: string, owner: { uid: number; gid: number }): Promise<void> {
  const missing: string[] = [];
  for (let dir = path; dir.length > root.length; dir = dir.slice(0, dir.lastIndexOf('/'))) {
    if (
      await lstat(dir).then(
        () => true,
        () => false,
      )
    )
      break;
    missing.unshift(dir);
  }
  for (const dir of missing) {
    await mkdir(dir);
    await chown(dir, owner.uid, owner.gid);
    await chmod(dir, 0o755);
  }
}

/** Runs the step; the caller commits or discards the returned snapshot. */
export async function runStep(environment: RunEnvironment, request: RunRequest): Promise<RunOutcome> {
  const { store, helper } = environment;
  if (request.signal?.aborted) throw abortReason(request.signal);
  const cgroupParent =
    request.limits.cgroupParent === undefined ? undefined : await resolveCgroupParent(request.limits.cgroupParent);
  if (cgroupParent !== undefined) await noteCgroupParent(environment.stateDir, cgroupParent);
  // The upper root's owner and mode mask the lower root's: they are copied from it.
  const top = request.lowers[0] ? await stat(request.lowers[0]) : undefined;
  const snapshot = await store.create({
    fsMode: top ? top.mode & 0o7777 : 0o755,
    ...(top ? { fsOwner: { uid: top.uid, gid: top.gid } } : {}),
  });
  const id = containerIdFor(process.pid, serial++);
  const bundle = join(environment.stateDir, 'run', id);
  const rootfs = join(bundle, 'rootfs');
  let mounted = false;
  let keep = false;
  try {
    await mkdir(rootfs, { recursive: true });
    await mountOverlay(helper, {
      lowers: request.lowers,
      upper: { fs: snapshot.fs, work: snapshot.work },
      target: rootfs,
      scratchDir: bundle,
    });
    mounted = true;
    const stubs = await findMountStubs(
      rootfs,
      request.mounts.map((mount) => mount.destination),
    );
    const user = await resolveUser(rootfs, request.user);
    const cwd = await resolveInRoot(rootfs, request.cwd);
    if (
      !(await stat(cwd).then(
        () => true,
        () => false,
      ))
    )
      await makeWorkingDir(rootfs, cwd, user);
    const spec = runtimeSpec(environment.template, {
      args: request.args,
      env: request.env,
      cwd: request.cwd,
      user,
      rootfs,
      hostsPath: environment.hostsPath,
      resolvConfPath: request.resolvConfPath ?? environment.resolvConfPath,
      network: request.network,
      cgroupsPath: cgroupsPathFor(id, cgroupParent),
      insecure: request.insecure,
      limits: request.limits,
      extraMounts: request.mounts,
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const result = await runContainer(
      environment.runc,
      { id, bundle, log: join(bundle, 'runc-log.json'), onOutput: request.onOutput },
      request.signal,
    );
    await removeMountStubs(rootfs, stubs);
    keep = result.exitCode === 0 && result.runcError === undefined;
    return { ...result, ...(keep ? { snapshot } : {}) };
  } finally {
    let unmountError: unknown;
    if (mounted)
      await unmount(helper, rootfs).then(
        () => (mounted = false),
        (error: unknown) => (unmountError = error),
      );
    // Nothing is removed through a mount still in place: a later build's recovery takes it.
    if (!mounted) {
      await rm(bundle, { recursive: true, force: true }).catch(() => undefined);
      if (!keep) await store.discard(snapshot);
    }
    if (unmountError !== undefined) throw unmountError;
  }
}

/** The error for a RUN whose runc failed before or around the command (never a command's own exit). */
export function runcFailure(outcome: RunOutcome): OciError | undefined {
  if (outcome.runcError === undefined) return undefined;
  return new OciError('OCI_RUNC', `runc: ${outcome.runcError}`);
}
