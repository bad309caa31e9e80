// A gate in front of a test registry: an HTTP proxy on 127.0.0.1 that forwards every request to the
// registry as it came (the Host header too, so upload locations name the gate) and records what it
// saw, and that holds the requests a test picks (say, the manifest PUTs of a cache ref) until the
// test releases them: writers can be brought to the same point and let go at once, deterministically.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestRegistry } from './registry.js';

export interface SeenRequest {
  method: string;
  path: string;
}

interface Held {
  incoming: IncomingMessage;
  body: Buffer;
  response: ServerResponse;
}

export class RegistryGate {
  readonly seen: SeenRequest[] = [];
  private picks: (request: SeenRequest) => boolean = () => false;
  private held: Held[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    private readonly server: Server,
    private readonly target: TestRegistry,
  ) {}

  static async start(target: TestRegistry): Promise<RegistryGate> {
    let gate: RegistryGate | undefined;
    const server = createServer((incoming, response) => gate?.accept(incoming, response));
    gate = new RegistryGate(server, target);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return gate;
  }

  /** `127.0.0.1:PORT`: the gate's registry host. */
  get host(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `127.0.0.1:PORT/NAME` through the gate. */
  ref(name: string): string {
    return `${this.host}/${name}`;
  }

  /** From now on, requests `picks` chooses are held until release(). */
  hold(picks: (request: SeenRequest) => boolean): void {
    this.picks = picks;
  }

  /** Resolves once `count` requests are held at the same time; rejects after `timeoutMs`. */
  whenHeld(count: number, timeoutMs: number): Promise<void> {
    if (this.held.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.held.length} of ${count} requests held after ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Forwards every held request at once and stops holding. */
  release(): void {
    this.picks = () => false;
    const held = this.held;
    this.held = [];
    for (const { incoming, body, response } of held) this.forward(incoming, body, response);
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(incoming: IncomingMessage, response: ServerResponse): void {
    const seen = { method: incoming.method ?? 'GET', path: new URL(incoming.url ?? '/', 'http://gate').pathname };
    this.seen.push(seen);
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!this.picks(seen)) return this.forward(incoming, body, response);
      this.held.push({ incoming, body, response });
      for (const waiter of this.waiters.filter((w) => this.held.length >= w.count)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }

  private forward(incoming: IncomingMessage, body: Buffer, response: ServerResponse): void {
    if (response.destroyed) return;
    const { 'transfer-encoding': _chunked, ...headers } = incoming.headers;
    const upstream = request(
      {
        host: '127.0.0.1',
        port: this.target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    upstream.end(body);
  }
}
