// Integration: against Debian's docker-registry on loopback, `--push` and `-o type=registry` put the image
// msbuild built under several names (the manifest's config is the image, its digest the metadata's
// containerimage.digest); with TLS and htpasswd, credentials come from DOCKER_CONFIG's auths or a
// credential helper, a wrong password is one error naming the registry, and no credential shows in the
// output, the progress JSON, the trace, the cache index or the image; FROM pulls from the registry with
// credentials, and a missing tag or an unreachable registry fails the FROM step by name.
import test from 'ava';
import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registries } from '../../engine/registry/client.js';
import { parseReference } from '../../engine/registry/reference.js';
import { removeCachedImages } from '../support/cache-index.js';
import { msbuild } from '../support/cli.js';
import { docker, madeByThisFile, makeContext, removeDir, removeImages, uniqueName } from '../support/docker.js';
import { TestRegistry } from '../support/registry.js';

const made = madeByThisFile();
let plain: TestRegistry;
let secure: TestRegistry;
const user = 'ci-bot';
const password = 'pa55-w16-Secret';

let cacheDir: string;

test.before(async () => {
  [plain, secure] = await Promise.all([
    TestRegistry.start(),
    TestRegistry.start({ tls: true, users: { [user]: password } }),
  ]);
  cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-push-cache-'));
});
test.after.always(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  // The step images these builds cached go with their entries.
  if (cacheDir) {
    await removeCachedImages(cacheDir);
    await removeDir(cacheDir);
  }
});

/** `msbuild build ARGS` on this file's own cache directory. */
function build(args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  return msbuild(['build', '--cache-dir', cacheDir, ...args], options);
}

async function context(): Promise<string> {
  const dir = await makeContext({
    Dockerfile: 'FROM busybox\nRUN echo pushed > /pushed\nCOPY note /note\n',
    note: uniqueName('note'),
  });
  made.cleanup.push(dir);
  return dir;
}

async function manifestOf(registry: TestRegistry, ref: string, configDir?: string) {
  const registries = new Registries({ certsDir: registry.certsDir, configDir: configDir ?? '/nonexistent' });
  try {
    const parsed = parseReference(ref);
    const manifest = await registries.repository(parsed).manifest(parsed.tag as string);
    if (!manifest) throw new Error(`no manifest for ${ref}`);
    return {
      digest: manifest.digest,
      config: (JSON.parse(manifest.bytes.toString()) as { config: { digest: string } }).config.digest,
    };
  } finally {
    registries.close();
  }
}

test('--push puts the built image under every -t name; the metadata has its digest', async (t) => {
  const dir = await context();
  const [a, b] = [plain.ref(`${uniqueName('w16a')}:1`), plain.ref(`${uniqueName('w16b')}:2`)];
  made.tags.push(a, b);
  const metadata = join(dir, 'metadata.json');
  const result = await build(['--progress', 'plain', '--push', '-t', a, '-t', b, '--metadata-file', metadata, dir]);
  t.is(result.code, 0, result.stderr);
  const meta = JSON.parse(await readFile(metadata, 'utf8')) as Record<string, string>;
  const imageId = result.stdout.trim();
  // By ID: a pushed image keeps its repository digest when its tags go.
  made.tags.push(imageId);
  for (const ref of [a, b]) {
    const manifest = await manifestOf(plain, ref);
    t.is(manifest.digest, meta['containerimage.digest']);
    t.is(manifest.config, imageId, 'the pushed config is the image msbuild built');
  }
  t.regex(result.stderr, new RegExp(`push ${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: pushed sha256:`));
});

test('-o type=registry,name=REF pushes (and names) without -t', async (t) => {
  const dir = await context();
  const ref = plain.ref(`${uniqueName('w16c')}:latest`);
  made.tags.push(ref);
  const result = await build(['--progress', 'quiet', '-o', `type=registry,name=${ref}`, dir]);
  t.is(result.code, 0, result.stderr);
  made.tags.push(result.stdout.trim());
  t.is((await manifestOf(plain, ref)).config, result.stdout.trim());
  t.is((await docker.getImage(ref).inspect()).Id, result.stdout.trim());
});

test('TLS + htpasswd: auths and credential helpers work; a wrong password is one error; no credential leaks', async (t) => {
  const dir = await context();
  const ref = secure.ref(`${uniqueName('w16s')}:1`);
  made.tags.push(ref);
  const env = { MSBUILD_REGISTRY_CERTS_D: secure.certsDir, DOCKER_CONFIG: await secure.dockerConfig(user, password) };
  const trace = join(dir, 'trace.json');
  const ok = await build(['--progress', 'json', '--trace', trace, '--push', '-t', ref, dir], { env });
  t.is(ok.code, 0, ok.stderr);
  made.tags.push(ok.stdout.trim());
  t.is((await manifestOf(secure, ref, env.DOCKER_CONFIG)).config, ok.stdout.trim());

  // A credential helper instead of auths.
  const helperDir = await mkdtemp(join(dir, 'helper-'));
  await writeFile(
    join(helperDir, 'docker-credential-w16test'),
    `#!/bin/sh\nread -r server\n[ "$server" = "${secure.host}" ] && echo '{"Username":"${user}","Secret":"${password}"}' && exit 0\necho "credentials not found in native keychain"; exit 1\n`,
  );
  await chmod(join(helperDir, 'docker-credential-w16test'), 0o755);
  const helped = await secure.dockerConfig('nobody', 'nothing', { credHelpers: { [secure.host]: 'w16test' } });
  const viaHelper = await build(['--progress', 'plain', '--push', '-t', ref, dir], {
    env: { ...env, DOCKER_CONFIG: helped, PATH: `${helperDir}:${process.env.PATH}` },
  });
  t.is(viaHelper.code, 0, viaHelper.stderr);

  const wrong = await build(['--progress', 'plain', '--push', '-t', ref, dir], {
    env: { ...env, DOCKER_CONFIG: await secure.dockerConfig(user, 'not-the-password') },
  });
  t.is(wrong.code, 1);
  const errors = wrong.stderr.split('\n').filter((line) => line.startsWith('error:'));
  t.is(errors.length, 1, wrong.stderr);
  t.regex(
    errors[0],
    new RegExp(`registry ${secure.host.replace(/\./g, '\\.')} refused the credentials of user "${user}"`),
  );

  const encoded = Buffer.from(`${user}:${password}`).toString('base64');
  const everything = [
    ok.stdout,
    ok.stderr,
    viaHelper.stdout,
    viaHelper.stderr,
    wrong.stdout,
    wrong.stderr,
    await readFile(trace, 'utf8'),
    JSON.stringify(await docker.getImage(ref).inspect()),
  ];
  for (const file of await readdir(cacheDir, { recursive: true })) {
    const text = await readFile(join(cacheDir, file), 'utf8').catch(() => '');
    everything.push(text);
  }
  for (const text of everything) {
    t.false(text.includes(password), 'the password is nowhere');
    t.false(text.includes(encoded), 'nor its base64');
  }
});

test('FROM an image on the registry: pulled with credentials; a missing tag or registry fails FROM by name', async (t) => {
  const dir = await context();
  const base = secure.ref(`${uniqueName('w16base')}:1`);
  made.tags.push(base);
  const env = { MSBUILD_REGISTRY_CERTS_D: secure.certsDir, DOCKER_CONFIG: await secure.dockerConfig(user, password) };
  const pushed = await build(['--progress', 'quiet', '--push', '-t', base, dir], { env });
  t.is(pushed.code, 0);
  await removeImages(pushed.stdout.trim());

  const from = await makeContext({ Dockerfile: `FROM ${base}\nRUN cat /pushed\n` });
  made.cleanup.push(from);
  const pulled = await build(['--progress', 'plain', from], { env });
  t.is(pulled.code, 0, pulled.stderr);
  t.regex(pulled.stderr, /#0 pull .*: pulled/);
  t.regex(pulled.stderr, /pushed/);
  made.tags.push(pushed.stdout.trim(), pulled.stdout.trim());

  const missing = await makeContext({ Dockerfile: `FROM ${secure.ref('w16-none')}:nope\nRUN true\n` });
  made.cleanup.push(missing);
  const noTag = await build(['--progress', 'plain', missing], { env });
  t.is(noTag.code, 1);
  t.regex(
    noTag.stderr,
    /error: \[stage-0 1\/2\] FROM .*w16-none:nope: cannot pull image .*registry 127\.0\.0\.1:\d+ has no tag nope/,
  );

  const nowhere = await makeContext({ Dockerfile: 'FROM 127.0.0.1:1/w16/none:1\nRUN true\n' });
  made.cleanup.push(nowhere);
  const unreachable = await build(['--progress', 'plain', nowhere]);
  t.is(unreachable.code, 1);
  t.regex(
    unreachable.stderr,
    /error: \[stage-0 1\/2\] FROM 127\.0\.0\.1:1\/w16\/none:1: .*registry 127\.0\.0\.1:1 is unreachable/,
  );
});
