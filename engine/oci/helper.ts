// The OCI worker's system-call helper (engine/oci/native/helper.c, compiled to dist/oci-helper by
// `make build`): one long-lived child per process answering mount, umount, xattr and mknod requests
// in order. A spawned `mount` costs ~4 ms; a request to the helper ~0.1 ms.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OciError } from './errors.js';

/** Where the compiled helper is: beside the bundle (dist/), or two levels above dist/engine/oci/. */
export function helperPath(): string | undefined {
  const fromEnv = process.env.MSBUILD_OCI_HELPER;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'oci-helper'), join(here, '..', '..', 'oci-helper')].find((path) => existsSync(path));
}

/** A failed system call: `errno` as the kernel gave it. */
export class HelperCallError extends OciError {
  override readonly name = 'HelperCallError';
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super('OCI_SYSCALL', message);
  }
}

interface Pending {
  /** Lines after the status line the answer has (`xattrs` lists until "."). */
  listing: boolean;
  lines: string[];
  status?: string;
  resolve(lines: string[]): void;
  reject(error: Error): void;
}

export const mountFlags = {
  readonly: 1,
  nosuid: 2,
  nodev: 4,
  noexec: 8,
  remount: 32,
  bind: 4096,
  rec: 16384,
  private: 1 << 18,
} as const;

export const umountFlags = { force: 1, detach: 2 } as const;

function hex(text: string | Buffer): string {
  return Buffer.from(text).toString('hex');
}

/** A path's overlay and capability attributes, from `xattrs`. */
export type XattrMap = Map<string, Map<string, Buffer>>;

export class OciHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly queue: Pending[] = [];
  private buffered = '';
  private failure: Error | undefined;

  constructor(private readonly path: string) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => this.receive(chunk));
    const fail = (error: Error) => {
      this.failure = error;
      this.child = undefined;
      for (const pending of this.queue.splice(0)) pending.reject(error);
    };
    child.on('error', (error) =>
      fail(new OciError('OCI_HELPER', `the OCI helper ${this.path} failed: ${error.message}`)),
    );
    child.on('exit', (code, signal) => {
      if (this.child === child) fail(new OciError('OCI_HELPER', `the OCI helper exited (${signal ?? `code ${code}`})`));
    });
    child.stdin.on('error', () => undefined);
    this.child = child;
    this.hold(false);
    this.failure = undefined;
    return child;
  }

  /** The helper keeps the process alive only while a call waits for it. */
  private hold(waiting: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as Array<{
      ref?: () => void;
      unref?: () => void;
    }>)
      if (waiting) handle.ref?.();
      else handle.unref?.();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      const pending = this.queue[0];
      if (!pending) continue;
      if (pending.status === undefined) {
        pending.status = line;
        if (line !== '0' || !pending.listing) this.settle(pending);
      } else if (line === '.') this.settle(pending);
      else pending.lines.push(line);
    }
  }

  private settle(pending: Pending): void {
    this.queue.shift();
    if (this.queue.length === 0) this.hold(false);
    const status = pending.status ?? '';
    if (status === '0') return pending.resolve(pending.lines);
    // `du` answers on its status line.
    if (status.startsWith('0 ')) return pending.resolve([status.slice(2)]);
    const space = status.indexOf(' ');
    pending.reject(new HelperCallError(Number(status.slice(0, space)), status.slice(space + 1)));
  }

  private call(fields: string[], listing = false): Promise<string[]> {
    const child = this.start();
    for (const field of fields)
      if (field.includes('\0')) return Promise.reject(new OciError('OCI_HELPER', 'a path holds a NUL byte'));
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) this.hold(true);
      this.queue.push({ listing, lines: [], resolve, reject });
      child.stdin.write(`${fields.length}\0${fields.join('\0')}\0`, 'utf8');
    });
  }

  ping(): Promise<void> {
    return this.call(['ping']).then(() => undefined);
  }

  /** mount(2). `cwd` is where relative overlay lower dirs are resolved from. */
  async mount(options: { source: string; target: string; type: string; flags?: number; data?: string; cwd?: string }) {
    const { source, target, type, flags = 0, data = '', cwd = '' } = options;
    await this.call(['mount', source, target, type, String(flags), data, cwd]);
  }

  async unmount(target: string, flags = 0): Promise<void> {
    await this.call(['umount', target, String(flags)]);
  }

  /** Overlay (`trusted.overlay.*`, `user.overlay.*`) and `security.capability` attributes under `root`, by relative path. */
  async overlayXattrs(root: string): Promise<XattrMap> {
    const lines = await this.call(['xattrs', root], true);
    const found: XattrMap = new Map();
    for (const line of lines) {
      const [path, ...attributes] = line.split(' ');
      const values = new Map<string, Buffer>();
      for (const attribute of attributes) {
        const [name, value] = attribute.split('=');
        values.set(Buffer.from(name, 'hex').toString('utf8'), Buffer.from(value, 'hex'));
      }
      found.set(Buffer.from(path, 'hex').toString('utf8').replace(/^\/+/, ''), values);
    }
    return found;
  }

  /** Disk use of a tree (not crossing mounts): bytes of blocks, bytes of file content, entries. */
  async diskUsage(root: string): Promise<{ diskBytes: number; contentBytes: number; entries: number }> {
    const [line] = await this.call(['du', root]);
    const [diskBytes, contentBytes, entries] = line.split(' ').map(Number);
    return { diskBytes, contentBytes, entries };
  }

  async setXattr(path: string, name: string, value: Buffer): Promise<void> {
    await this.call(['setxattr', path, name, hex(value)]);
  }

  /** mknod(2): `mode` includes the type bits (0o020000 character device, 0o060000 block device, 0o010000 fifo). */
  async mknod(path: string, mode: number, device: { major: number; minor: number } = { major: 0, minor: 0 }) {
    await this.call(['mknod', path, String(mode), String(device.major), String(device.minor)]);
  }

  /** Ends the helper (pending calls fail). */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  get broken(): Error | undefined {
    return this.failure;
  }
}

let shared: OciHelper | undefined;

/** The process's helper, started on first use; an OciError when it was not built. */
export function systemHelper(): OciHelper {
  if (shared) return shared;
  const path = helperPath();
  if (!path) throw new OciError('OCI_HELPER', 'the OCI worker helper is not built (run `make build`)');
  shared = new OciHelper(path);
  return shared;
}
