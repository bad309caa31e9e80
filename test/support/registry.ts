// Test registries: Debian's docker-registry (Distribution 2.8) started on a free 127.0.0.1 port with a
// config of its own, owned by the test file that starts it and stopped (process, storage, certificates)
// when it ends, also when the test process exits early. `tls: true` adds a CA made here with openssl
// and a server certificate for 127.0.0.1; the CA goes to dockerd through /etc/docker/certs.d/HOST/ca.crt
// (read per request, no restart) and to msbuild through its own certs directory (MSBUILD_REGISTRY_CERTS_D).
// `users` adds htpasswd (bcrypt) authentication.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from './process.js';

export interface RegistryOptions {
  tls?: boolean;
  /** user → password: htpasswd authentication (basic auth, as Distribution does it). */
  users?: Record<string, string>;
}

const daemonCertsDir = '/etc/docker/certs.d';

const live = new Set<TestRegistry>();
// A test process that ends without its after hooks must not leave registries running.
process.once('exit', () => {
  for (const registry of live) registry.killNow();
});

/** Installs docker-registry and htpasswd when missing (scripts/ensure-registry.sh). */
async function ensureInstalled(): Promise<void> {
  if (existsSync('/usr/bin/docker-registry') && existsSync('/usr/bin/htpasswd')) return;
  const script = resolve(import.meta.dirname, '../../../scripts/ensure-registry.sh');
  const result = await runCommand('bash', [script], { timeoutMs: 600_000 });
  if (result.code !== 0) throw new Error(`cannot install the test registry: ${result.stderr || result.stdout}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const result = await runCommand('sh', ['-c', `cd '${cwd}' && openssl ${args.join(' ')}`]);
  if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

export class TestRegistry {
  private process: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly options: RegistryOptions,
  ) {}

  /** `127.0.0.1:PORT`: the registry part of an image reference. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://${this.host}`;
  }

  /** The certs directory to give msbuild (MSBUILD_REGISTRY_CERTS_D): HOST/ca.crt inside. */
  get certsDir(): string {
    return join(this.dir, 'certs.d');
  }

  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }

  /** `127.0.0.1:PORT/NAME`. */
  ref(name: string): string {
    return `${this.host}/${name}`;
  }

  static async start(options: RegistryOptions = {}): Promise<TestRegistry> {
    await ensureInstalled();
    let lastError: unknown;
    // The free port may be taken between asking and listening: a few tries.
    for (let attempt = 0; attempt < 3; attempt++) {
      const registry = new TestRegistry(await mkdtemp(join(tmpdir(), 'msbuild-registry-')), await freePort(), options);
      live.add(registry);
      try {
        await registry.launch();
        return registry;
      } catch (error) {
        lastError = error;
        await registry.stop();
      }
    }
    throw lastError;
  }

  private async launch(): Promise<void> {
    const config = [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(this.dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${this.host}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
    ];
    if (this.options.tls) {
      await this.makeCertificates();
      config.push(
        '  tls:',
        `    certificate: ${join(this.dir, 'server.crt')}`,
        `    key: ${join(this.dir, 'server.key')}`,
      );
    }
    if (this.options.users) {
      const lines: string[] = [];
      for (const [user, password] of Object.entries(this.options.users)) {
        const result = await runCommand('htpasswd', ['-niB', user], { input: password });
        if (result.code !== 0) throw new Error(`htpasswd failed: ${result.stderr}`);
        lines.push(result.stdout.trim());
      }
      await writeFile(join(this.dir, 'htpasswd'), `${lines.join('\n')}\n`);
      config.push('auth:', '  htpasswd:', '    realm: msbuild-test', `    path: ${join(this.dir, 'htpasswd')}`);
    }
    await writeFile(join(this.dir, 'config.yml'), `${config.join('\n')}\n`);
    const log = openSync(join(this.dir, 'registry.log'), 'a');
    this.process = spawn('docker-registry', ['serve', join(this.dir, 'config.yml')], {
      stdio: ['ignore', log, log],
    });
    const exited = new Promise<never>((_, reject) =>
      this.process?.once('exit', (code) => reject(new Error(`docker-registry exited (${code})`))),
    );
    exited.catch(() => undefined);
    for (let i = 0; i < 100; i++) {
      if (await this.answers()) return;
      await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]).catch(async (error: Error) => {
        throw new Error(`${error.message}: ${await this.logTail()}`);
      });
    }
    throw new Error(`the test registry did not answer on ${this.url}: ${await this.logTail()}`);
  }

  private async logTail(): Promise<string> {
    const text = await readFile(join(this.dir, 'registry.log'), 'utf8').catch(() => '');
    return text.split('\n').slice(-10).join('\n');
  }

  /** A CA, a server certificate for 127.0.0.1 signed by it, and the CA where dockerd and msbuild read it. */
  private async makeCertificates(): Promise<void> {
    const dir = this.dir;
    await openssl(
      ['req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=msbuild-test-ca 2>/dev/null'],
      dir,
    );
    await openssl(
      ['req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null'],
      dir,
    );
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await openssl(
      [
        'x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null',
      ],
      dir,
    );
    const ca = await readFile(join(dir, 'ca.crt'));
    await mkdir(join(this.certsDir, this.host), { recursive: true });
    await writeFile(join(this.certsDir, this.host, 'ca.crt'), ca);
    await mkdir(join(daemonCertsDir, this.host), { recursive: true });
    await writeFile(join(daemonCertsDir, this.host, 'ca.crt'), ca);
  }

  /** Whether `/v2/` answers (200, or 401 when authentication is on). */
  async answers(): Promise<boolean> {
    if (!this.options.tls) {
      try {
        const response = await fetch(`${this.url}/v2/`, { signal: AbortSignal.timeout(2000) });
        return response.status === 200 || response.status === 401;
      } catch {
        return false;
      }
    }
    const ca = await readFile(this.caFile);
    return new Promise((resolveAnswer) => {
      const req = request(`${this.url}/v2/`, { ca, timeout: 2000 }, (response) => {
        response.resume();
        resolveAnswer(response.statusCode === 200 || response.statusCode === 401);
      });
      req.on('error', () => resolveAnswer(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }

  /** A docker config directory (for DOCKER_CONFIG) with these credentials in `auths`. */
  async dockerConfig(user: string, password: string, extra: Record<string, unknown> = {}): Promise<string> {
    const dir = await mkdtemp(join(this.dir, 'docker-config-'));
    const auth = Buffer.from(`${user}:${password}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [this.host]: { auth } }, ...extra }));
    return dir;
  }

  /** Stops the process and removes its storage and certificates (also the copy in /etc/docker/certs.d). */
  async stop(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    this.process = undefined;
    live.delete(this);
    if (this.options.tls) await rm(join(daemonCertsDir, this.host), { recursive: true, force: true });
    await rm(this.dir, { recursive: true, force: true });
  }

  /** For the exit handler: synchronous. */
  killNow(): void {
    this.process?.kill('SIGKILL');
    if (this.options.tls) spawnSync('rm', ['-rf', join(daemonCertsDir, this.host)]);
    spawnSync('rm', ['-rf', this.dir]);
  }
}
