// A layer tar written straight to a file, hashed as it goes (the diff ID), in Go's PAX flavour as
// Docker's and containerd's archive writers make it: ustar headers, PAX records only where ustar
// cannot say it (long or non-ASCII names, big sizes or IDs) and for xattrs (`SCHILY.xattr.*`, whose
// values are binary: tar-stream encodes PAX values as text, which would mangle a capability set).
import { createHash, type Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { abortReason } from '../util/abort.js';

export type TarEntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

const typeFlags: Record<TarEntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

export interface TarHeader {
  /** Relative name, without a leading slash (a directory gets its trailing one here). */
  name: string;
  type: TarEntryType;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Whole seconds are kept, as Docker's writer truncates them. */
  mtime: Date;
  size?: number;
  linkname?: string;
  device?: { major: number; minor: number };
  /** Extended attributes (only `security.capability` goes into layers). */
  xattrs?: Map<string, Buffer>;
}

const block = 512;
const flushAt = 1 << 20;
/** Files up to this size are read in one synchronous call. */
const smallFile = 256 << 10;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  // The length counts its own digits.
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function fitsUstar(text: string, width: number): boolean {
  return Buffer.byteLength(text) <= width && /^[\x20-\x7e]*$/.test(text);
}

function headerBlock(fields: {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
  major: number;
  minor: number;
}): Buffer {
  const header = Buffer.alloc(block);
  header.write(fields.name, 0, 100, 'utf8');
  header.write(octal(fields.mode & 0o7777, 8), 100, 'latin1');
  header.write(octal(fields.uid, 8), 108, 'latin1');
  header.write(octal(fields.gid, 8), 116, 'latin1');
  header.write(octal(fields.size, 12), 124, 'latin1');
  header.write(octal(fields.mtime, 12), 136, 'latin1');
  header.write('        ', 148, 'latin1');
  header.write(fields.type, 156, 'latin1');
  header.write(fields.linkname, 157, 100, 'utf8');
  header.write('ustar\x0000', 257, 'latin1');
  header.write(octal(fields.major, 8), 329, 'latin1');
  header.write(octal(fields.minor, 8), 337, 'latin1');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

export class TarWriter {
  private readonly hash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private contentBytes = 0;

  private constructor(
    private readonly out: FileHandle,
    private readonly signal?: AbortSignal,
  ) {}

  static async create(path: string, signal?: AbortSignal): Promise<TarWriter> {
    return new TarWriter(await open(path, 'w'), signal);
  }

  private async push(data: Buffer): Promise<void> {
    this.hash.update(data);
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.written += data.length;
    if (this.pendingBytes >= flushAt) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.signal?.aborted) throw abortReason(this.signal);
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.out.write(data);
  }

  /** Adds an entry; a file's body is read from `source` (exactly `header.size` bytes). */
  async add(header: TarHeader, source?: string | Buffer): Promise<void> {
    const size = header.type === 'file' ? (header.size ?? 0) : 0;
    let name = header.name.replace(/^\/+/, '');
    if (header.type === 'directory' && !name.endsWith('/')) name += '/';
    const linkname = header.linkname ?? '';
    const records: Buffer[] = [];
    if (!fitsUstar(name, 100)) records.push(paxRecord('path', Buffer.from(name)));
    if (!fitsUstar(linkname, 100)) records.push(paxRecord('linkpath', Buffer.from(linkname)));
    if (size > 0o77777777777) records.push(paxRecord('size', Buffer.from(String(size))));
    if (header.uid > 0o7777777) records.push(paxRecord('uid', Buffer.from(String(header.uid))));
    if (header.gid > 0o7777777) records.push(paxRecord('gid', Buffer.from(String(header.gid))));
    for (const [key, value] of header.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${key}`, value));
    const mtime = Math.max(0, Math.floor(header.mtime.getTime() / 1000));
    if (records.length > 0) {
      const body = Buffer.concat(records);
      await this.push(
        headerBlock({
          name: `PaxHeaders.0/${name}`.slice(0, 99),
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: body.length,
          mtime,
          type: 'x',
          linkname: '',
          major: 0,
          minor: 0,
        }),
      );
      await this.push(body);
      await this.pad(body.length);
    }
    await this.push(
      headerBlock({
        name: fitsUstar(name, 100) ? name : name.slice(0, 100),
        mode: header.mode,
        uid: Math.min(header.uid, 0o7777777),
        gid: Math.min(header.gid, 0o7777777),
        size: Math.min(size, 0o77777777777),
        mtime,
        type: typeFlags[header.type],
        linkname: fitsUstar(linkname, 100) ? linkname : '',
        major: header.device?.major ?? 0,
        minor: header.device?.minor ?? 0,
      }),
    );
    if (size === 0) return;
    this.contentBytes += size;
    if (Buffer.isBuffer(source)) {
      if (source.length !== size) throw new Error(`internal: ${name} has ${source.length} bytes, not ${size}`);
      await this.push(source);
    } else if (typeof source === 'string' && size <= smallFile) {
      // A layer of a compile step is a thousand small files: one synchronous read each (from the page
      // cache) instead of open, read and close through the thread pool takes a tenth of the time.
      const data = readFileSync(source);
      if (data.length !== size) throw new Error(`${name} changed while it was written to a layer`);
      await this.push(data);
    } else if (typeof source === 'string') await this.copyFile(source, size, name);
    else throw new Error(`internal: no body for ${name}`);
    await this.pad(size);
  }

  private async copyFile(path: string, size: number, name: string): Promise<void> {
    const input = await open(path, 'r');
    try {
      let left = size;
      while (left > 0) {
        await this.flush();
        const chunk = Buffer.allocUnsafe(Math.min(left, 1 << 20));
        const { bytesRead } = await input.read(chunk, 0, chunk.length, null);
        // A file that shrank while it was read: the tar would be corrupt.
        if (bytesRead === 0) throw new Error(`${name} changed while it was written to a layer`);
        const data = chunk.subarray(0, bytesRead);
        this.hash.update(data);
        this.written += bytesRead;
        await this.out.write(data);
        left -= bytesRead;
      }
    } finally {
      await input.close();
    }
  }

  private async pad(size: number): Promise<void> {
    const rest = size % block;
    if (rest !== 0) await this.push(Buffer.alloc(block - rest));
  }

  /** Ends the archive (two zero blocks) and closes the file. */
  async finish(): Promise<{ diffId: string; size: number; contentSize: number }> {
    try {
      await this.push(Buffer.alloc(block * 2));
      await this.flush();
    } finally {
      await this.out.close();
    }
    return { diffId: `sha256:${this.hash.digest('hex')}`, size: this.written, contentSize: this.contentBytes };
  }

  /** Closes the file after a failure (the caller removes it). */
  async abandon(): Promise<void> {
    await this.out.close().catch(() => undefined);
  }
}
