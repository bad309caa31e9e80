// Servers on 127.0.0.1 for ADD's remote sources, never a remote host: static files over HTTP (with
// Last-Modified), Git over smart HTTP (Debian's git http-backend, run as CGI per request) and over
// git:// (git daemon). Each is stopped by the returned close().
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { runCommand } from './docker.js';

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Serves `files` (path → body) with the given Last-Modified; 404 otherwise. Counts requests per path. */
export async function startFileServer(
  files: Record<string, Buffer | string>,
  lastModified = new Date('2021-03-04T05:06:07Z'),
): Promise<LocalServer & { requests: Map<string, number> }> {
  const requests = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const body = files[path];
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'Last-Modified': lastModified.toUTCString(), 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  });
  const url = await listen(server);
  return { url, requests, close: () => closeServer(server) };
}

/** Smart HTTP for the repositories under `root` (git http-backend as CGI, as a web server runs it). */
export async function startGitHttpServer(root: string): Promise<LocalServer> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: request.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        REMOTE_ADDR: '127.0.0.1',
        ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: String(request.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    request.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else response.setHeader(name, value);
      }
      response.writeHead(status);
      response.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => response.end());
  });
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

/** git daemon for the repositories under `root` on a free loopback port: `git://127.0.0.1:PORT/`. */
export async function startGitDaemon(root: string): Promise<LocalServer> {
  const probe = createServer();
  const port = Number(new URL(await listen(probe)).port);
  await closeServer(probe);
  const child: ChildProcess = spawn(
    'git',
    ['daemon', '--reuseaddr', '--export-all', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root],
    { stdio: 'ignore' },
  );
  const url = `git://127.0.0.1:${port}`;
  // Ready once it accepts connections.
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    close: async () => {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** A repository under `root`/`name`: each commit writes files (path → content) and may add a tag. */
export async function makeRepository(
  root: string,
  name: string,
  commits: Array<{ files: Record<string, string>; tag?: string; branch?: string }>,
): Promise<string[]> {
  const dir = `${root}/${name}`;
  const git = async (...args: string[]) => {
    const result = await runCommand('git', ['-C', dir, ...args], {
      env: {
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.invalid',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.invalid',
        GIT_CONFIG_GLOBAL: '/dev/null',
      },
    });
    if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  await runCommand('git', ['init', '-q', '-b', 'main', dir]);
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const shas: string[] = [];
  for (const commit of commits) {
    if (commit.branch) await git('checkout', '-q', '-B', commit.branch);
    for (const [path, content] of Object.entries(commit.files)) {
      await mkdir(dirname(`${dir}/${path}`), { recursive: true });
      await writeFile(`${dir}/${path}`, content);
    }
    await git('add', '-A');
    await git('commit', '-q', '-m', 'c');
    if (commit.tag) await git('tag', '-a', commit.tag, '-m', commit.tag);
    shas.push(await git('rev-parse', 'HEAD'));
  }
  await git('checkout', '-q', 'main');
  return shas;
}
