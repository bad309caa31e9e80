// Network namespaces for RUN containers, kept warm and reused between steps of a build.
// Creating a network namespace is half of a container's start time (~75 of ~150 ms here); a RUN
// container that joins an idle holder's namespace (`NetworkMode: container:<id>`) skips it. BuildKit
// keeps a pool of namespaces for the same reason. A holder serves one RUN at a time, so parallel
// steps never share a loopback interface; when none is idle the RUN gets its own namespace as
// before, and a holder is started in the background for the steps after it.
import type Docker from 'dockerode';
import { join } from 'node:path';
import { emptyImageConfig, historyComment, imageIdOf, type ImageConfig } from '../image/config.js';
import { writeLayer } from '../image/layer.js';
import { untilAborted } from '../util/abort.js';
import { createTempDir, removeTempDir } from '../util/temp-dirs.js';
import { BuildContainer, buildLabels, type ContainerRegistry } from './container.js';
import { inspectImage } from './images.js';
import { loadImage } from './load.js';

/** The host name RUN sees, as under BuildKit. */
export const sandboxHostname = 'buildkitsandbox';

/**
 * A static x86-64 Linux program that waits forever (`pause(2)` in a loop): the holder's process.
 * Written out byte by byte because no image can be pulled: ELF header, one loadable segment, code.
 */
function pauseProgramAmd64(): Buffer {
  const code = Buffer.from([0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]); // mov eax, 34 (pause); syscall; jmp back
  const base = 0x400000;
  const headerSize = 64;
  const segmentHeaderSize = 56;
  const fileSize = headerSize + segmentHeaderSize + code.length;
  const header = Buffer.alloc(headerSize);
  header.write('\x7fELF', 0, 'latin1');
  header.writeUInt8(2, 4); // 64-bit
  header.writeUInt8(1, 5); // little endian
  header.writeUInt8(1, 6); // ELF version
  header.writeUInt16LE(2, 16); // executable
  header.writeUInt16LE(0x3e, 18); // x86-64
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(BigInt(base + headerSize + segmentHeaderSize), 24); // entry point
  header.writeBigUInt64LE(BigInt(headerSize), 32); // program headers right after this header
  header.writeUInt16LE(headerSize, 52);
  header.writeUInt16LE(segmentHeaderSize, 54);
  header.writeUInt16LE(1, 56); // one program header
  const segment = Buffer.alloc(segmentHeaderSize);
  segment.writeUInt32LE(1, 0); // PT_LOAD
  segment.writeUInt32LE(5, 4); // read + execute
  segment.writeBigUInt64LE(BigInt(base), 16); // virtual address
  segment.writeBigUInt64LE(BigInt(base), 24); // physical address
  segment.writeBigUInt64LE(BigInt(fileSize), 32);
  segment.writeBigUInt64LE(BigInt(fileSize), 40);
  segment.writeBigUInt64LE(0x1000n, 48);
  return Buffer.concat([header, segment, code]);
}

/** Architectures with a holder program; on others every RUN gets its own namespace. */
const pausePrograms: Record<string, () => Buffer> = { amd64: pauseProgramAmd64 };

export const sandboxImageTag = 'msbuild/netns-holder:1';

/** The holder image (one file, `/pause`) loaded into the daemon unless it is there. Returns its ID. */
async function ensureHolderImage(docker: Docker, architecture: string): Promise<string> {
  const program = pausePrograms[architecture]?.();
  if (!program) throw new Error(`no network holder for ${architecture}`);
  const dir = await createTempDir('netns');
  try {
    const layer = await writeLayer(
      [
        {
          path: '/pause',
          type: 'file',
          mode: 0o755,
          uid: 0,
          gid: 0,
          mtime: new Date(0),
          size: program.length,
          body: program,
        },
      ],
      join(dir, 'layer.tar'),
    );
    const base = emptyImageConfig({ os: 'linux', architecture });
    const config: ImageConfig = {
      ...base,
      created: new Date(0).toISOString(),
      config: { ...base.config, Entrypoint: ['/pause'] },
      history: [
        { created: new Date(0).toISOString(), created_by: 'msbuild network namespace holder', comment: historyComment },
      ],
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    };
    const id = imageIdOf(config);
    if (await inspectImage(docker, id)) return id;
    return await loadImage(docker, {
      config,
      newLayers: [{ diffId: layer.diffId, path: layer.path }],
      tags: [sandboxImageTag],
    });
  } finally {
    await removeTempDir(dir);
  }
}

/** Holders started at once for RUNs waiting for a namespace. */
const maxConcurrentStarts = 4;

/** The network modes whose namespaces are worth keeping (`host` has none to create): a named network's too. */
export type SandboxMode = 'none' | 'bridge' | (string & {});

export interface SandboxLease {
  /** `NetworkMode` for the RUN container. */
  networkMode: string;
  /** The holder container (whose namespace the OCI worker joins by its process). */
  containerId: string;
  /** Gives the namespace back; `broken` when the RUN could not join it (the holder is dropped). */
  release(broken?: boolean): void;
}

/** The holders of one build; they are containers of its registry, removed with the rest. */
export class NetworkSandboxes {
  private image: Promise<string> | undefined;
  private readonly idle = new Map<SandboxMode, BuildContainer[]>();
  private readonly starts = new Set<Promise<void>>();
  /** Holders starting, by mode: a RUN waiting for one mode is not served by a start of the other. */
  private readonly starting = new Map<SandboxMode, number>();
  private disabled = false;
  /** RUNs waiting for a namespace (acquireWaiting), served in order as holders become idle. */
  private readonly waiters: Array<{ mode: SandboxMode; serve(holder: BuildContainer | Error): void }> = [];
  private failure: Error | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly registry: ContainerRegistry,
    private readonly buildId: string,
    /** Asked only when a holder is first needed: a build without RUN steps never asks. */
    private readonly architecture: () => Promise<string>,
  ) {}

  /** Starts a holder ahead of the first RUN. */
  prewarm(mode: SandboxMode): void {
    this.startHolder(mode);
  }

  /** An idle namespace, or undefined (the RUN makes its own, and a holder is started for later). */
  acquire(mode: SandboxMode): SandboxLease | undefined {
    if (this.disabled) return undefined;
    const holder = this.idle.get(mode)?.pop();
    if (!holder) {
      // At most one holder starting at a time keeps the daemon's work for them bounded.
      if (this.starts.size === 0) this.startHolder(mode);
      return undefined;
    }
    return this.leaseOf(mode, holder);
  }

  /**
   * A namespace for one RUN, waiting until one is idle: a holder is started for each waiting RUN
   * (a few at a time), so parallel RUNs never share a loopback interface. For a worker that cannot
   * make a network of its own (the OCI worker joins holders' namespaces); rejects when holders
   * cannot start.
   */
  acquireWaiting(mode: SandboxMode, signal: AbortSignal): Promise<SandboxLease> {
    const idle = this.disabled ? undefined : this.idle.get(mode)?.pop();
    if (idle) return Promise.resolve(this.leaseOf(mode, idle));
    if (this.disabled)
      return Promise.reject(
        this.failure ?? new Error('internal: network namespaces were asked for after the last RUN'),
      );
    return new Promise((resolve, reject) => {
      const waiter = {
        mode,
        serve: (holder: BuildContainer | Error) => {
          signal.removeEventListener('abort', abort);
          if (holder instanceof Error) reject(holder);
          else resolve(this.leaseOf(mode, holder));
        },
      };
      const abort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      };
      signal.addEventListener('abort', abort, { once: true });
      this.waiters.push(waiter);
      const waiting = this.waiters.filter((w) => w.mode === mode).length;
      if ((this.starting.get(mode) ?? 0) < Math.min(waiting, maxConcurrentStarts)) this.startHolder(mode);
    });
  }

  private leaseOf(mode: SandboxMode, holder: BuildContainer): SandboxLease {
    let released = false;
    return {
      networkMode: `container:${holder.id}`,
      containerId: holder.id,
      release: (broken = false) => {
        if (released) return;
        released = true;
        if (broken || this.disabled) holder.release();
        else this.makeIdle(mode, holder);
      },
    };
  }

  /** A holder free again: to the first RUN waiting for its mode, else to the idle list. */
  private makeIdle(mode: SandboxMode, holder: BuildContainer): void {
    const at = this.waiters.findIndex((waiter) => waiter.mode === mode);
    if (at >= 0) this.waiters.splice(at, 1)[0].serve(holder);
    else this.idleList(mode).push(holder);
  }

  /**
   * Retires, and waits until `deadline` for holders still starting (they are removed as they come
   * up; one the daemon never answers for is a leftover the next build removes).
   */
  async close(deadline: AbortSignal = AbortSignal.timeout(10_000)): Promise<void> {
    this.retire();
    await untilAborted(Promise.allSettled([...this.starts]), deadline).catch(() => undefined);
  }

  /** No RUN is left: idle holders are removed now (in the background) and no new one starts. */
  retire(): void {
    this.disabled = true;
    for (const waiter of this.waiters.splice(0))
      waiter.serve(this.failure ?? new Error('internal: network namespaces were retired while a RUN waited'));
    for (const holders of this.idle.values()) for (const holder of holders.splice(0)) holder.release();
  }

  private idleList(mode: SandboxMode): BuildContainer[] {
    let list = this.idle.get(mode);
    if (!list) this.idle.set(mode, (list = []));
    return list;
  }

  private startHolder(mode: SandboxMode): void {
    if (this.disabled) return;
    this.starting.set(mode, (this.starting.get(mode) ?? 0) + 1);
    const started = (async () => {
      this.image ??= this.architecture().then((architecture) => ensureHolderImage(this.docker, architecture));
      const image = await this.image;
      const holder = await BuildContainer.create(
        this.docker,
        {
          Image: image,
          Hostname: sandboxHostname,
          Labels: buildLabels(this.buildId),
          HostConfig: { NetworkMode: mode, ExtraHosts: [`${sandboxHostname}:127.0.0.1`] },
        },
        this.registry,
      );
      try {
        await holder.start();
      } catch (error) {
        holder.release();
        throw error;
      }
      // Retired while it started: not needed any more.
      if (this.disabled) holder.release();
      else this.makeIdle(mode, holder);
    })();
    const settled = started
      .catch((error: unknown) => {
        // A daemon that cannot run the holder (another architecture, a policy): RUNs make their own.
        this.failure = new Error(`cannot start a network namespace holder: ${(error as Error).message}`);
        this.retire();
      })
      .finally(() => {
        this.starts.delete(settled);
        this.starting.set(mode, (this.starting.get(mode) ?? 1) - 1);
      });
    this.starts.add(settled);
  }
}
