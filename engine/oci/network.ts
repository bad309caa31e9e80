// A RUN's network on the OCI worker: `host` is the host's (no namespace), `none` a namespace of
// its own with loopback only, and the default joins the namespace of one of the build's network
// holders (dockerd's containers on its bridge, warm before the first RUN): /proc/<pid>/ns/net of
// the holder's process, checked to still be the holder's before a RUN joins it. A named network
// (`--network NAME`) joins a holder on that network, and the RUN reads the holder's resolv.conf,
// whose server (127.0.0.11) is the daemon's resolver inside that namespace, as on the Docker worker.
import type Docker from 'dockerode';
import { readlink } from 'node:fs/promises';
import type { NetworkSandboxes, SandboxLease } from '../docker/network-sandbox.js';
import type { NetworkMode } from '../worker/container-spec.js';
import { OciError } from './errors.js';

export interface RunNetwork {
  /** What the spec says: undefined for the host's, `{}` for a new one, `{ path }` to join one. */
  spec: { path?: string } | undefined;
  /** The holder, when one is joined (released after the RUN). */
  lease?: SandboxLease;
  /** The resolv.conf flavour: the host's as it is, or without loopback servers. */
  resolv: 'host' | 'other';
  /** A named network's own resolv.conf (the holder's), bound instead of either flavour. */
  resolvConfPath?: string;
}

interface HolderProcess {
  pid: number;
  resolvConfPath: string;
}

/**
 * Undefined once the holder's process runs /pause, else what it runs. A holder that died (and a pid
 * reused) must not be joined; one just started may still be runc's init (its exe runc's memfd copy)
 * for a moment after the daemon said it started, more so on a busy machine: that one is waited for,
 * up to 2 s.
 */
async function notPause(pid: number): Promise<string | undefined> {
  for (const deadline = Date.now() + 2000; ;) {
    const exe = await readlink(`/proc/${pid}/exe`).catch(
      (error: NodeJS.ErrnoException) => `no process (${error.code})`,
    );
    if (exe.endsWith('/pause')) return undefined;
    if (!exe.includes('runc') || Date.now() > deadline) return exe;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export class HolderNamespaces {
  private readonly processes = new Map<string, Promise<HolderProcess>>();

  constructor(
    private readonly docker: Docker,
    private readonly sandboxes: NetworkSandboxes,
  ) {}

  /** The holder's process and resolver file, asked of the daemon once. */
  private processOf(containerId: string): Promise<HolderProcess> {
    let pending = this.processes.get(containerId);
    if (!pending) {
      pending = this.docker
        .getContainer(containerId)
        .inspect()
        .then((info) => ({ pid: info.State.Pid, resolvConfPath: info.ResolvConfPath }));
      pending.catch(() => this.processes.delete(containerId));
      this.processes.set(containerId, pending);
    }
    return pending;
  }

  /** The holder's process id. */
  async pidOf(containerId: string): Promise<number> {
    return (await this.processOf(containerId)).pid;
  }

  async networkFor(mode: NetworkMode, signal: AbortSignal): Promise<RunNetwork> {
    if (mode === 'host') return { spec: undefined, resolv: 'host' };
    if (mode === 'none') return { spec: {}, resolv: 'other' };
    const named = mode !== 'default';
    const lease = await this.sandboxes.acquireWaiting(named ? mode : 'bridge', signal);
    try {
      const { pid, resolvConfPath } = await this.processOf(lease.containerId);
      const running = pid > 0 ? await notPause(pid) : 'no process';
      if (running !== undefined)
        throw new OciError(
          'OCI_NETWORK',
          `network holder ${lease.containerId.slice(0, 12)} is not running (process ${pid}: ${running})`,
        );
      return {
        spec: { path: `/proc/${pid}/ns/net` },
        lease,
        resolv: 'other',
        ...(named && resolvConfPath ? { resolvConfPath } : {}),
      };
    } catch (error) {
      lease.release(true);
      throw error;
    }
  }

  /** A holder's container (for reading the daemon's security profile from its bundle). */
  async anyHolder(signal: AbortSignal): Promise<SandboxLease> {
    return this.sandboxes.acquireWaiting('bridge', signal);
  }
}

/** The gateway address of the daemon's default bridge: what `host-gateway` means to dockerd. */
export async function bridgeGateway(docker: Docker): Promise<string> {
  const info = (await docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
  const gateway = info.IPAM?.Config?.find((config) => config.Gateway)?.Gateway;
  if (!gateway)
    throw new OciError('OCI_NETWORK', "--add-host NAME:host-gateway: the daemon's bridge network has no gateway");
  return gateway;
}
