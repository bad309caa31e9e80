// The socket a `RUN --mount=type=ssh` step sees: a proxy to a `--ssh` agent, owned by the mount's
// uid/gid with its mode (0600 by default), read-only as BuildKit's forwarded agents are (requests to
// add, remove or lock keys are answered with a failure and never reach the agent).
import { chmod, chown } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * The SSH agent requests relayed (draft-miller-ssh-agent): list keys, sign, extensions. Everything
 * else (adding, removing or locking keys, also the protocol 1 forms ssh-add -D still sends) is refused.
 */
const relayed = new Set([11, 13, 27]);
const failure = Buffer.from([0, 0, 0, 1, 5]);

/** One client: requests relayed one at a time, each answered before the next is read. */
function relay(client: Socket, agentPath: string): void {
  const agent = connect(agentPath);
  let pending = Buffer.alloc(0);
  let answer = Buffer.alloc(0);
  let waiting = false;
  const close = () => {
    client.destroy();
    agent.destroy();
  };
  const next = () => {
    while (!waiting && pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length > 256 * 1024) return close();
      if (pending.length < 4 + length) return;
      const message = pending.subarray(0, 4 + length);
      pending = pending.subarray(4 + length);
      if (length === 0 || !relayed.has(message[4])) client.write(failure);
      else {
        waiting = true;
        agent.write(message);
      }
    }
  };
  client.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    next();
  });
  agent.on('data', (chunk: Buffer) => {
    answer = Buffer.concat([answer, chunk]);
    while (answer.length >= 4 && answer.length >= 4 + answer.readUInt32BE(0)) {
      const end = 4 + answer.readUInt32BE(0);
      client.write(answer.subarray(0, end));
      answer = answer.subarray(end);
      waiting = false;
    }
    next();
  });
  client.on('error', close);
  agent.on('error', close);
  client.on('close', close);
  agent.on('close', close);
}

export class AgentProxy {
  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly clients: Set<Socket>,
  ) {}

  static async start(
    agentPath: string,
    path: string,
    owner: { uid: number; gid: number; mode: number },
  ): Promise<AgentProxy> {
    const clients = new Set<Socket>();
    const server = createServer((client) => {
      clients.add(client);
      client.on('close', () => clients.delete(client));
      relay(client, agentPath);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    const proxy = new AgentProxy(path, server, clients);
    try {
      await chmod(path, owner.mode);
      if (process.getuid?.() === 0 || owner.uid !== process.getuid?.()) await chown(path, owner.uid, owner.gid);
    } catch (error) {
      await proxy.close();
      throw error;
    }
    return proxy;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
