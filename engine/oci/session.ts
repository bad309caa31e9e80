// One build's use of the OCI worker's state dir (`<cache>/oci`): it marks the store as used, removes
// what killed builds left, writes BuildKit's hosts and resolv.conf files, and owns every resource
// it makes (mounts, runc containers, snapshots being made, base image leases through the build's
// container registry) until `close`. Chains of layers become overlay lowers here: a daemon image's
// dirs read in place, msbuild's snapshots with their tree unpacked the first time one is mounted;
// and a snapshot's layer tar is written the first time its layer must reach the daemon.
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRegistry } from '../docker/container.js';
import { checkLayerDirs, ImageLeases } from './base-images.js';
import { hostsFile, readHostResolvConf, resolvConfFor } from './dns-files.js';
import { OciError } from './errors.js';
import { runStep, type RunEnvironment, type RunRequest } from './executor.js';
import { systemHelper, type OciHelper } from './helper.js';
import { bridgeGateway } from './network.js';
import { mountOverlay, unmount } from './overlay.js';
import { recoverLeftovers, type RecoveryReport } from './recovery.js';
import type { RuncOptions } from './runc.js';
import {
  defaultCapabilities,
  profileFromContainer,
  readCachedProfile,
  saveProfile,
  type SecurityProfile,
} from './security-profile.js';
import { SnapshotStore, type SnapshotMeta } from './snapshots.js';
import { capabilitiesOf, type SpecTemplate } from './spec.js';
import { unpackLayer } from './unpack.js';
import { writeUpperLayer } from './upper-layer.js';

/** The layers of a stage on this worker: a daemon image at the bottom, msbuild's snapshots on it. */
export interface OciChain {
  baseImage?: string;
  /** Snapshot IDs, oldest first. */
  snapshots: readonly string[];
}

export interface OciLayer {
  diffId: string;
  path: string;
  size: number;
  contentSize: number;
}

let views = 0;

const collectEveryMs = 3600_000;

/**
 * How many bytes of snapshots are kept: MSBUILD_SNAPSHOT_LIMIT (bytes, or with a K/M/G suffix),
 * else a tenth of the state dir's filesystem, at most 20 GiB (BuildKit keeps a tenth of the disk).
 */
export async function snapshotLimit(stateDir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const given = /^(\d+)([KMG]?)i?B?$/i.exec(env.MSBUILD_SNAPSHOT_LIMIT ?? '');
  if (given) return Number(given[1]) * 1024 ** ' KMG'.indexOf((given[2] || ' ').toUpperCase());
  const fs = await statfs(stateDir).catch(() => undefined);
  const tenth = fs ? (fs.blocks * fs.bsize) / 10 : Number.POSITIVE_INFINITY;
  return Math.min(tenth, 20 * 1024 ** 3);
}

export class OciSession {
  readonly store: SnapshotStore;
  readonly helper: OciHelper;
  private readonly leases: ImageLeases;
  private readonly runDir: string;
  private readonly dnsDir: string;
  private profile: SecurityProfile | undefined;
  private readonly pending = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly options: {
      docker: Docker;
      registry: ContainerRegistry;
      buildId: string;
      stateDir: string;
      runc: string;
      daemonVersion: string;
    },
  ) {
    this.store = new SnapshotStore(options.stateDir);
    this.helper = systemHelper();
    this.leases = new ImageLeases(options.docker, options.registry, options.buildId);
    this.runDir = join(options.stateDir, 'run');
    this.dnsDir = join(this.runDir, `dns-${process.pid}-${options.buildId}`);
  }

  get runc(): RuncOptions {
    return { binary: this.options.runc, root: join(this.options.stateDir, 'runc') };
  }

  /** Marks the store used, cleans what killed builds left, writes the DNS files. */
  async open(): Promise<RecoveryReport> {
    await mkdir(this.runDir, { recursive: true });
    await this.store.acquireUse();
    const report = await recoverLeftovers({
      stateDir: this.options.stateDir,
      runc: this.runc,
      helper: this.helper,
      store: this.store,
    });
    await mkdir(this.dnsDir, { recursive: true });
    await writeFile(join(this.dnsDir, 'hosts'), hostsFile());
    await writeFile(join(this.dnsDir, 'resolv.conf'), resolvConfFor(await readHostResolvConf('other'), 'other'));
    await writeFile(join(this.dnsDir, 'resolv-host.conf'), resolvConfFor(await readHostResolvConf('host'), 'host'));
    this.profile = await readCachedProfile(this.options.stateDir, this.options.daemonVersion);
    return report;
  }

  /** The daemon's seccomp/AppArmor settings, read from a container it runs with the defaults (once per daemon version). */
  async learnProfile(container: { id: string; pid?: number }): Promise<void> {
    if (this.profile) return;
    this.profile = await profileFromContainer(container);
    await saveProfile(this.options.stateDir, this.options.daemonVersion, this.profile);
  }

  get hasProfile(): boolean {
    return this.profile !== undefined;
  }

  private async template(): Promise<SpecTemplate> {
    if (!this.profile)
      throw new OciError('OCI_SECCOMP', "internal: the daemon's seccomp profile was not read before the first RUN");
    const status = await readFile('/proc/self/status', 'utf8');
    const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
    return {
      capabilities: defaultCapabilities,
      ...this.profile,
      allCapabilities: capabilitiesOf(bounding),
      loopDevices: 8,
    };
  }

  /** Runs `fn` once per key at a time (two steps needing the same tree unpack it once). */
  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let pending = this.pending.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = fn().finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  /** A snapshot's tree, unpacked from its layer tar the first time it is needed. */
  async ensureTree(id: string, signal?: AbortSignal): Promise<string> {
    return this.once(`tree:${id}`, async () => {
      const snapshot = await this.store.get(id);
      if (!snapshot) throw new OciError('OCI_SNAPSHOT_GONE', `snapshot ${id} is gone (cache pruned meanwhile?)`);
      if (!snapshot.hasFs) {
        const scratch = this.store.scratchFor(id, 'fs');
        await unpackLayer(this.store.layerOf(id), scratch, signal);
        const usage = await this.helper.diskUsage(scratch);
        if (await this.store.adopt(id, scratch, 'fs')) await this.store.update(id, { fsSize: usage.diskBytes });
      }
      return this.store.fsOf(id);
    });
  }

  /** A snapshot's layer tar, written from its tree the first time it is needed. */
  async ensureLayer(id: string, signal?: AbortSignal): Promise<OciLayer> {
    return this.once(`layer:${id}`, async () => {
      let snapshot = await this.store.get(id);
      if (!snapshot) throw new OciError('OCI_SNAPSHOT_GONE', `snapshot ${id} is gone (cache pruned meanwhile?)`);
      if (!snapshot.hasLayer || snapshot.diffId === undefined) {
        const scratch = this.store.scratchFor(id, 'layer.tar');
        const fs = this.store.fsOf(id);
        const written = await writeUpperLayer({
          upper: fs,
          path: scratch,
          xattrs: await this.helper.overlayXattrs(fs),
          ...(signal ? { signal } : {}),
        });
        if (await this.store.adopt(id, scratch, 'layer.tar'))
          await this.store.update(id, {
            diffId: written.diffId,
            layerSize: written.size,
            contentSize: written.contentSize,
          });
        snapshot = await this.store.get(id);
      }
      if (!snapshot?.diffId) throw new OciError('OCI_SNAPSHOT', `snapshot ${id} has no layer digest`);
      return {
        diffId: snapshot.diffId,
        path: this.store.layerOf(id),
        size: snapshot.layerSize ?? 0,
        contentSize: snapshot.contentSize ?? 0,
      };
    });
  }

  /** The overlay lowers of a chain, newest first; leases its base image; unpacks trees it needs. */
  async lowersOf(chain: OciChain, signal?: AbortSignal): Promise<string[]> {
    const trees = await Promise.all([...chain.snapshots].reverse().map((id) => this.ensureTree(id, signal)));
    await this.store.touch(chain.snapshots);
    if (chain.baseImage === undefined) return trees;
    const base = await this.leases.layers(chain.baseImage);
    await checkLayerDirs(base, `image ${chain.baseImage.slice(7, 19)}`);
    return [...trees, ...base.dirs];
  }

  /**
   * The hosts file with `--add-host` lines (written once per set of lines); `host-gateway` is the
   * address of the daemon's default bridge, as dockerd resolves it.
   */
  private hostsWith(extraHosts: readonly string[]): Promise<string> {
    if (extraHosts.length === 0) return Promise.resolve(join(this.dnsDir, 'hosts'));
    const path = join(
      this.dnsDir,
      `hosts-${createHash('sha256').update(extraHosts.join('\n')).digest('hex').slice(0, 16)}`,
    );
    return this.once(path, async () => {
      const entries = await Promise.all(
        extraHosts.map(async (line) => {
          const separator = line.indexOf(':');
          const ip = line.slice(separator + 1);
          return { host: line.slice(0, separator), ip: ip === 'host-gateway' ? await this.hostGateway() : ip };
        }),
      );
      await writeFile(path, hostsFile(undefined, entries));
      return path;
    });
  }

  private gateway: Promise<string> | undefined;

  private hostGateway(): Promise<string> {
    this.gateway ??= bridgeGateway(this.options.docker);
    return this.gateway;
  }

  private async environment(network: 'host' | 'other', extraHosts: readonly string[]): Promise<RunEnvironment> {
    return {
      stateDir: this.options.stateDir,
      helper: this.helper,
      store: this.store,
      runc: this.runc,
      template: await this.template(),
      hostsPath: await this.hostsWith(extraHosts),
      resolvConfPath: join(this.dnsDir, network === 'host' ? 'resolv-host.conf' : 'resolv.conf'),
    };
  }

  /**
   * Runs a RUN on `chain`. Returns the new snapshot (its parent is the chain's top), or the exit code
   * and runc's error when the command failed.
   */
  async run(
    chain: OciChain,
    request: Omit<RunRequest, 'lowers'>,
  ): Promise<{ snapshot?: SnapshotMeta; exitCode: number; runcError?: string }> {
    if (this.closed) throw new OciError('OCI_CLOSED', 'internal: the build is over');
    const lowers = await this.lowersOf(chain, request.signal);
    const environment = await this.environment(
      request.network === undefined ? 'host' : 'other',
      request.limits.extraHosts ?? [],
    );
    const outcome = await runStep(environment, { ...request, lowers });
    if (!outcome.snapshot)
      return { exitCode: outcome.exitCode, ...(outcome.runcError ? { runcError: outcome.runcError } : {}) };
    const parent = chain.snapshots.at(-1);
    const usage = await this.helper.diskUsage(outcome.snapshot.fs);
    const snapshot = await this.store.commit(outcome.snapshot, {
      fsSize: usage.diskBytes,
      treeContentSize: usage.contentBytes,
      ...(parent ? { parent } : {}),
      ...(!parent && chain.baseImage ? { baseImage: chain.baseImage } : {}),
    });
    return { snapshot, exitCode: 0 };
  }

  /** A snapshot made of a layer tar msbuild wrote (a COPY's), moved into the store. */
  async addLayer(chain: OciChain, layer: OciLayer): Promise<SnapshotMeta> {
    const parent = chain.snapshots.at(-1);
    return this.store.commitLayer({
      tar: layer.path,
      diffId: layer.diffId,
      layerSize: layer.size,
      contentSize: layer.contentSize,
      ...(parent ? { parent } : {}),
      ...(!parent && chain.baseImage ? { baseImage: chain.baseImage } : {}),
    });
  }

  /** The chain's files mounted read-only (an empty dir for no layers) until `close`. */
  async openView(chain: OciChain, signal?: AbortSignal): Promise<{ root: string; close(): Promise<void> }> {
    const lowers = await this.lowersOf(chain, signal);
    const dir = join(this.runDir, `view-${process.pid}-${views++}`);
    const root = join(dir, 'root');
    await mkdir(root, { recursive: true });
    let mounted = false;
    try {
      if (lowers.length > 0) {
        await mountOverlay(this.helper, { lowers, target: root, scratchDir: dir });
        mounted = true;
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    let closing: Promise<void> | undefined;
    return {
      root,
      close: () =>
        (closing ??= (async () => {
          if (mounted) await unmount(this.helper, root).then(() => (mounted = false));
          // Never removed through a mount still in place.
          if (!mounted) await rm(dir, { recursive: true, force: true });
        })()),
    };
  }

  /** `fn` with the chain's files mounted read-only at a path it gets; unmounted after. */
  async withView<T>(chain: OciChain, fn: (root: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const view = await this.openView(chain, signal);
    try {
      return await fn(view.root);
    } finally {
      await view.close();
    }
  }

  /**
   * Ends the build's use of the state dir (mounts and containers of steps are gone by now); at most
   * once an hour, snapshots past the size bound are collected, least recently used first.
   */
  async close(): Promise<void> {
    this.closed = true;
    await rm(this.dnsDir, { recursive: true, force: true }).catch(() => undefined);
    // Another build of this process (bake) may still mount snapshots: the last one collects.
    if (this.store.usesInProcess === 1) await this.collectIfDue().catch(() => undefined);
    await this.store.releaseUse().catch(() => undefined);
  }

  private async collectIfDue(): Promise<void> {
    const stamp = join(this.options.stateDir, 'collected');
    const last = await stat(stamp).then(
      (info) => info.mtimeMs,
      () => 0,
    );
    if (Date.now() - last < collectEveryMs) return;
    await writeFile(stamp, '');
    await this.store.collect({ limitBytes: await snapshotLimit(this.options.stateDir) });
  }
}
