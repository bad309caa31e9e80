// A second, private Docker daemon for fault-injection and two-daemon tests: its own socket, data and
// exec roots and a bridge of its own (made here, removed by destroy), so a test can kill and restart it
// without touching the daemon other tests use. Never `--bridge none`: a dockerd started so deletes the
// host's shared docker0, and every bridge-network container of the system daemon fails after it.
import Docker from 'dockerode';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerCli, removeDir, runCommand } from './process.js';

/** The IPv4 networks the host routes now (`ip -4 route`), as `a.b.c.d/n`. */
async function routedNetworks(): Promise<string[]> {
  const routes = await runCommand('ip', ['-4', 'route', 'show']);
  return routes.stdout
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((network) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(network));
}

/**
 * Makes a bridge with a /24 the host does not route yet (in 10.213.0.0/16, beside Docker's own
 * 172.17+ pools). dockerd refuses `--bip` together with `--bridge`: the address goes on the bridge.
 */
async function makeBridge(name: string): Promise<void> {
  const taken = new Set((await routedNetworks()).filter((n) => n.startsWith('10.213.')).map((n) => n.split('/')[0]));
  for (let attempt = 0; attempt < 20; attempt++) {
    const third = randomInt(1, 255);
    if (taken.has(`10.213.${third}.0`)) continue;
    const steps = [
      ['link', 'add', name, 'type', 'bridge'],
      ['addr', 'add', `10.213.${third}.1/24`, 'dev', name],
      ['link', 'set', name, 'up'],
    ];
    for (const step of steps) {
      const result = await runCommand('ip', step);
      if (result.code !== 0) {
        await runCommand('ip', ['link', 'delete', name]);
        throw new Error(`cannot make the private daemon's bridge ${name}: ip ${step.join(' ')}: ${result.stderr}`);
      }
    }
    return;
  }
  throw new Error('no free /24 in 10.213.0.0/16 for a private daemon bridge');
}

export class FaultDaemon {
  private process: ChildProcess | undefined;
  readonly socket: string;
  /** The daemon's own bridge (at most 15 characters, as Linux allows). */
  readonly bridge = `msbf${randomBytes(4).toString('hex')}`;
  private bridgeMade = false;

  private constructor(readonly dir: string) {
    this.socket = join(dir, 'docker.sock');
  }

  static async create(): Promise<FaultDaemon> {
    return new FaultDaemon(await mkdtemp(join(tmpdir(), 'msbuild-fault-')));
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get docker(): Docker {
    return new Docker({ socketPath: this.socket });
  }

  async start(): Promise<void> {
    if (!this.bridgeMade) {
      await makeBridge(this.bridge);
      this.bridgeMade = true;
    }
    // A killed daemon leaves its pid files behind, and a new one refuses to start over them.
    await runCommand('sh', [
      '-c',
      `rm -f ${join(this.dir, 'dockerd.pid')} ${join(this.dir, 'exec/containerd/containerd.pid')}`,
    ]);
    const { openSync } = await import('node:fs');
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    this.process = spawn(
      'dockerd',
      [
        '--host',
        this.host,
        '--data-root',
        join(this.dir, 'data'),
        '--exec-root',
        join(this.dir, 'exec'),
        '--pidfile',
        join(this.dir, 'dockerd.pid'),
        '--bridge',
        this.bridge,
        '--iptables=false',
        '--ip-masq=false',
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    for (let i = 0; i < 100; i++) {
      if (await this.answers()) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { readFile } = await import('node:fs/promises');
    const tail = (await readFile(join(this.dir, 'dockerd.log'), 'utf8').catch(() => ''))
      .split('\n')
      .slice(-15)
      .join('\n');
    throw new Error(`the fault-injection dockerd did not start:\n${tail}`);
  }

  async answers(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Kills the daemon and its containerd at once, as a crash would. */
  async kill(): Promise<void> {
    const pid = this.process?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await runCommand('pkill', ['-KILL', '-f', join(this.dir, 'exec')]);
    for (let i = 0; i < 50 && (await this.answers()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    this.process = undefined;
  }

  /** Copies an image from the main daemon into this one. */
  async loadImage(reference: string): Promise<void> {
    const result = await runCommand('sh', [
      '-c',
      `${dockerCli} save ${reference} | DOCKER_HOST=${this.host} ${dockerCli} load -q`,
    ]);
    if (result.code !== 0) throw new Error(`cannot copy ${reference} into the fault daemon: ${result.stderr}`);
  }

  async destroy(): Promise<void> {
    if (this.process) {
      await this.docker.listContainers({ all: true }).then(
        (containers) =>
          Promise.all(
            containers.map((c) =>
              this.docker
                .getContainer(c.Id)
                .remove({ force: true })
                .catch(() => undefined),
            ),
          ),
        () => undefined,
      );
      await this.kill();
    }
    // Whatever the killed daemon left mounted (overlays, network namespaces) goes first, deepest first.
    await runCommand('sh', [
      '-c',
      `grep -o ' ${this.dir}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null; true`,
    ]);
    await removeDir(this.dir);
    if (this.bridgeMade) await runCommand('ip', ['link', 'delete', this.bridge]);
    this.bridgeMade = false;
  }
}
