// A unix-socket proxy in front of a Docker daemon that a test can freeze: once frozen it forwards
// nothing more either way and holds new connections unanswered, as a daemon that stopped answering
// (stuck, swapped out, a hung proxy) looks to a client. Thawing lets everything flow again.
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir } from './docker.js';

export class FrozenProxy {
  private readonly sockets = new Set<net.Socket>();
  /** Connected pairs, client first: unpiped while frozen (a paused pipe resumes on its next drain). */
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private frozen = false;
  private readonly held: Array<() => void> = [];

  private constructor(
    private readonly server: net.Server,
    private readonly dir: string,
    readonly socket: string,
    private readonly target: string,
  ) {}

  /** A proxy listening on a new socket, forwarding to the daemon socket `target`. */
  static async create(target = '/var/run/docker.sock'): Promise<FrozenProxy> {
    const dir = await mkdtemp(join(tmpdir(), 'msbuild-proxy-'));
    const socket = join(dir, 'docker.sock');
    let proxy: FrozenProxy | undefined;
    const server = net.createServer((client) => proxy?.accept(client));
    proxy = new FrozenProxy(server, dir, socket, target);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve));
    return proxy;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  /** Stops forwarding: data already sent stays in the sockets' buffers, unread. */
  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  thaw(): void {
    this.frozen = false;
    for (const [client, upstream] of this.pairs) {
      client.pipe(upstream);
      upstream.pipe(client);
    }
    for (const connect of this.held.splice(0)) connect();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await removeDir(this.dir);
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const connect = () => {
      const upstream = net.connect(this.target);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.sockets.add(upstream);
      this.pairs.add(pair);
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        this.pairs.delete(pair);
        client.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (this.frozen) {
      client.pause();
      this.held.push(connect);
    } else {
      connect();
    }
  }
}
