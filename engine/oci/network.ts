// A RUN's network on the OCI worker: `host` is the host's (no namespace), `none` a namespace of
// its own with loopback only, and the default joins the namespace of one of the build's network
// holders (dockerd's containers on its bridge, warm before the first RUN): /proc/<pid>/ns/net of
// the holder's process, checked to still be the holder's before a RUN joins it.
import type Docker from 'dockerode';
import { readlink } from 'node:fs/promises';
import type { NetworkSandboxes, SandboxLease } from '../docker/network-sandbox.js';
import { OciError } from './errors.js';

export interface RunNetwork {
  /** What the spec says: undefined for the host's, `{}` for a new one, `{ path }` to join one. */
  spec: { path?: string } | undefined;
  /** The holder, when one is joined (released after the RUN). */
  lease?: SandboxLease;
  /** The resolv.conf flavour: the host's as it is, or without loopback servers. */
  resolv: 'host' | 'other';
}

export class HolderNamespaces {
  private readonly pids = new Map<string, Promise<number>>();

  constructor(
    private readonly docker: Docker,
    private readonly sandboxes: NetworkSandboxes,
  ) {}

  private pidOf(containerId: string): Promise<number> {
    let pending = this.pids.get(containerId);
    if (!pending) {
      pending = this.docker
        .getContainer(containerId)
        .inspect()
        .then((info) => info.State.Pid);
      pending.catch(() => this.pids.delete(containerId));
      this.pids.set(containerId, pending);
    }
    return pending;
  }

  async networkFor(mode: 'default' | 'none' | 'host', signal: AbortSignal): Promise<RunNetwork> {
    if (mode === 'host') return { spec: undefined, resolv: 'host' };
    if (mode === 'none') return { spec: {}, resolv: 'other' };
    const lease = await this.sandboxes.acquireWaiting('bridge', signal);
    try {
      const pid = await this.pidOf(lease.containerId);
      // A holder that died (and a pid reused) must not be joined: its process runs /pause.
      const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
      if (pid <= 0 || !exe.endsWith('/pause'))
        throw new OciError('OCI_NETWORK', `network holder ${lease.containerId.slice(0, 12)} is not running`);
      return { spec: { path: `/proc/${pid}/ns/net` }, lease, resolv: 'other' };
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
