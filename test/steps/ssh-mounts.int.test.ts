// Integration: RUN --mount=type=ssh with --ssh, against a real ssh-agent (Debian's openssh-client)
// holding a key made for the test. The step sees the agent's key at SSH_AUTH_SOCK, as BuildKit (Engine
// 20.10's, the oracle here: `docker build --ssh`) shows it; `--ssh ID=KEY` loads a key file into an
// agent msbuild runs; the socket has the mount's owner and mode; the agent is read-only to the step; a
// required mount without its agent fails in BuildKit's words.
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build, type BuildOptions } from '../../engine/build.js';
import { dockerCli, madeByThisFile, makeContext, runCommand, runImage, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();
/** debian:bookworm-slim with the host's ssh-add (Debian's openssh-client) and the libraries it needs. */
let image = '';

let keyDir = '';
let socket = '';
let agent: ChildProcess | undefined;
let fingerprint = '';

test.before(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'msbuild-ssh-'));
  cleanup.push(keyDir);
  const key = join(keyDir, 'id_ed25519');
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'msbuild-test-key', '-f', key]);
  socket = join(keyDir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  const added = await runCommand('ssh-add', ['-q', key], { env: { SSH_AUTH_SOCK: socket } });
  if (added.code !== 0) throw new Error(`ssh-add: ${added.stderr}`);
  fingerprint = (await runCommand('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket } })).stdout.trim();
  image = await sshAddImage();
});

async function sshAddImage(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-ssh-add-'));
  cleanup.push(dir);
  const libraries = (await runCommand('ldd', ['/usr/bin/ssh-add'])).stdout
    .split('\n')
    .map((line) => /=> (\/\S+)/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined && !/\/libc\.so/.test(path));
  await mkdir(join(dir, 'lib'));
  await copyFile('/usr/bin/ssh-add', join(dir, 'ssh-add'));
  for (const library of libraries) await copyFile(library, join(dir, 'lib', basename(library)));
  await writeFile(
    join(dir, 'Dockerfile'),
    'FROM debian:bookworm-slim\nCOPY ssh-add /usr/local/bin/\nCOPY lib/ /usr/local/lib/ssh-add/\nENV LD_LIBRARY_PATH=/usr/local/lib/ssh-add\n',
  );
  const tag = `${uniqueName('msbuild-ssh-add')}:latest`;
  tags.push(tag);
  const built = await runCommand(dockerCli, ['build', '-q', '--network', 'none', '-t', tag, dir], {
    env: { DOCKER_BUILDKIT: '1' },
  });
  if (built.code !== 0) throw new Error(`cannot make the ssh-add image: ${built.stderr}`);
  return tag;
}
test.after.always(() => agent?.kill());

async function buildWith(dockerfile: string, options: Partial<BuildOptions> = {}) {
  const context = await makeContext({ Dockerfile: dockerfile });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-ssh-cache-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-ssh')}:latest`;
  tags.push(tag);
  await build({ context, tags: [tag], pull: 'never', cacheDir, network: 'none', ...options });
  return { context, tag };
}

test("a step sees the forwarded agent's keys at SSH_AUTH_SOCK, as docker build --ssh shows them", async (t) => {
  const dockerfile = `FROM ${image}\nRUN --mount=type=ssh ssh-add -l > /keys && echo "$SSH_AUTH_SOCK" > /sock\n`;
  const { context, tag } = await buildWith(dockerfile, { ssh: [`default=${socket}`] });
  t.is((await runImage(tag, ['cat', '/keys'])).trim(), fingerprint);
  t.is((await runImage(tag, ['cat', '/sock'])).trim(), '/run/buildkit/ssh_agent.0');
  const oracle = `${uniqueName('msbuild-ssh-oracle')}:latest`;
  tags.push(oracle);
  const built = await runCommand(
    dockerCli,
    // --no-cache: BuildKit's key of a RUN with an ssh mount leaves the agent's keys out, so an earlier
    // run's step (another key, same image) would be reused.
    ['build', '-q', '--no-cache', '--network', 'none', '--ssh', `default=${socket}`, '-t', oracle, context],
    {
      env: { DOCKER_BUILDKIT: '1' },
    },
  );
  t.is(built.code, 0, built.stderr);
  t.is((await runImage(oracle, ['cat', '/keys'])).trim(), fingerprint);
  t.is((await runImage(oracle, ['cat', '/sock'])).trim(), '/run/buildkit/ssh_agent.0');
});

test('--ssh default takes SSH_AUTH_SOCK; --ssh ID=KEY loads the key into an agent msbuild runs', async (t) => {
  const saved = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = socket;
  try {
    const { tag } = await buildWith(`FROM ${image}\nRUN --mount=type=ssh ssh-add -l > /keys\n`, { ssh: ['default'] });
    t.is((await runImage(tag, ['cat', '/keys'])).trim(), fingerprint);
  } finally {
    if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = saved;
  }
  const { tag } = await buildWith(`FROM ${image}\nRUN --mount=type=ssh,id=deploy,required ssh-add -l > /keys\n`, {
    ssh: [`deploy=${join(keyDir, 'id_ed25519')}`],
  });
  t.is((await runImage(tag, ['cat', '/keys'])).trim(), fingerprint);
});

test("the socket has the mount's target, owner and mode; the agent is read-only to the step", async (t) => {
  const { tag } = await buildWith(
    `FROM ${image}\nRUN --mount=type=ssh,target=/tmp/agent,uid=1000,gid=1001,mode=0660 stat -c '%u %g %a %F' /tmp/agent > /stat && (SSH_AUTH_SOCK=/tmp/agent ssh-add -D; echo $? > /removed)\n`,
    { ssh: [`default=${socket}`] },
  );
  t.is((await runImage(tag, ['cat', '/stat'])).trim(), '1000 1001 660 socket');
  t.not((await runImage(tag, ['cat', '/removed'])).trim(), '0');
  t.is((await runCommand('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket } })).stdout.trim(), fingerprint);
});

test('an optional ssh mount without its agent is left out; a required one fails in BuildKit words', async (t) => {
  const { tag } = await buildWith(
    `FROM ${image}\nRUN --mount=type=ssh test ! -e "$SSH_AUTH_SOCK" && echo absent > /seen\n`,
  );
  t.is((await runImage(tag, ['cat', '/seen'])).trim(), 'absent');
  await t.throwsAsync(
    buildWith(`FROM ${image}\nRUN --mount=type=ssh,id=missing,required true\n`, { ssh: [`default=${socket}`] }),
    {
      message: /no SSH key "missing" forwarded from the client/,
    },
  );
});
