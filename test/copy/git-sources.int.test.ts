// Integration: ADD of Git repositories served on 127.0.0.1 by Debian's git (http-backend for
// `http://…/repo.git`, git daemon for `git://`, and an scp-style `git@…` remote through a stand-in ssh
// that insists on the forwarded agent). Engine 20.10's BuildKit cannot fetch them here, so the
// expected images come from the Dockerfile reference: `#ref:subdir` copies that directory's contents,
// `.git` only with --keep-git-dir, --checksum pins the commit.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from '../../engine/build.js';
import type { BuildEvent } from '../../engine/events.js';
import { imageFiles, madeByThisFile, makeContext, runCommand, runImage, uniqueName } from '../support/docker.js';
import { makeRepository, startGitDaemon, startGitHttpServer, type LocalServer } from '../support/servers.js';

const { cleanup, tags } = madeByThisFile();

let root = '';
let http: LocalServer;
let daemon: LocalServer;
let commits: string[] = [];
let agent: ChildProcess | undefined;
let socket = '';

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'msbuild-git-'));
  cleanup.push(root);
  commits = await makeRepository(root, 'repo.git', [
    { files: { README: 'first\n', 'sub/inner.txt': 'inner v1\n', 'bin/run.sh': '#!/bin/sh\n' }, tag: 'v1' },
    { files: { README: 'second\n' } },
    { files: { 'feature.txt': 'feature\n' }, branch: 'feature' },
  ]);
  http = await startGitHttpServer(root);
  daemon = await startGitDaemon(root);
  // A stand-in for ssh: it runs the remote command here, but only for a client that forwards an agent.
  const ssh = join(root, 'fake-ssh');
  await writeFile(
    ssh,
    '#!/bin/sh\nssh-add -l >/dev/null 2>&1 || { echo "fake-ssh: no agent forwarded" >&2; exit 255; }\nfor last; do :; done\nexec sh -c "$last"\n',
  );
  await chmod(ssh, 0o755);
  process.env.GIT_SSH_COMMAND = ssh;
  delete process.env.SSH_AUTH_SOCK;
  const key = join(root, 'id_ed25519');
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  socket = join(root, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  await runCommand('ssh-add', ['-q', key], { env: { SSH_AUTH_SOCK: socket } });
});
test.after.always(async () => {
  agent?.kill();
  await http?.close();
  await daemon?.close();
});

async function buildWith(dockerfile: string, options: Partial<BuildOptions> = {}) {
  const context = await makeContext({ Dockerfile: dockerfile });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-git-cache-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-git')}:latest`;
  tags.push(tag);
  const events: BuildEvent[] = [];
  const run = () =>
    build({
      context,
      tags: [tag],
      pull: 'never',
      cacheDir,
      network: 'none',
      onEvent: (e) => events.push(e),
      ...options,
    });
  await run();
  return { tag, events, run };
}

test('http://…/repo.git#ref:subdir copies that directory at that ref; no fragment is the default branch, without .git', async (t) => {
  const { tag } = await buildWith(
    `FROM busybox\nADD ${http.url}/repo.git#v1:sub /from-tag/\nADD ${http.url}/repo.git /head/\nADD ${http.url}/repo.git#${commits[0]} /by-commit/\n`,
  );
  const files = await imageFiles(tag);
  t.deepEqual(
    [...files.keys()].filter((f) => f.startsWith('/from-tag/')),
    ['/from-tag/inner.txt'],
  );
  t.is((await runImage(tag, ['cat', '/from-tag/inner.txt'])).trim(), 'inner v1');
  t.is((await runImage(tag, ['cat', '/head/README'])).trim(), 'second');
  t.false(files.has('/head/.git'));
  t.false(files.has('/head/feature.txt'));
  t.is((await runImage(tag, ['cat', '/by-commit/README'])).trim(), 'first');
  t.like(files.get('/head/bin/run.sh'), { uid: 0, gid: 0 });
});

test('git:// with --keep-git-dir keeps .git at the fetched commit; a branch fragment picks the branch', async (t) => {
  const { tag } = await buildWith(`FROM busybox\nADD --keep-git-dir=true ${daemon.url}/repo.git#feature /kept/\n`);
  const files = await imageFiles(tag);
  t.true(files.has('/kept/.git/HEAD'));
  t.true(files.has('/kept/feature.txt'));
  t.is((await runImage(tag, ['cat', '/kept/.git/HEAD'])).trim(), commits[2]);
});

test('ADD --checksum pins a Git source to a commit; another commit fails in BuildKit words', async (t) => {
  const { tag } = await buildWith(
    `FROM busybox\nADD --checksum=${commits[0].slice(0, 10)} ${http.url}/repo.git#v1 /pinned/\n`,
  );
  t.is((await runImage(tag, ['cat', '/pinned/README'])).trim(), 'first');
  await t.throwsAsync(buildWith(`FROM busybox\nADD --checksum=${commits[1]} ${http.url}/repo.git#v1 /pinned/\n`), {
    message: new RegExp(`expected checksum to match ${commits[1]}, got ${commits[0]}`),
  });
});

test('a Git source is cached by its commit: the same build again runs nothing', async (t) => {
  const { run, events } = await buildWith(`FROM busybox\nADD ${http.url}/repo.git#v1 /src/\nRUN ls /src > /listing\n`);
  events.length = 0;
  const again = await run();
  t.is(again.summary.stepsRun, 0);
  t.true(events.some((e) => e.type === 'step-cached'));
});

test('git@host:path goes through ssh with the agent --ssh default forwards, and fails without it', async (t) => {
  const source = `git@127.0.0.1:${root}/repo.git#v1:sub`;
  await t.throwsAsync(buildWith(`FROM busybox\nADD ${source} /ssh/\n`), { message: /no agent forwarded/ });
  const { tag } = await buildWith(`FROM busybox\nADD ${source} /ssh/\n`, { ssh: [`default=${socket}`] });
  t.is((await runImage(tag, ['cat', '/ssh/inner.txt'])).trim(), 'inner v1');
});
