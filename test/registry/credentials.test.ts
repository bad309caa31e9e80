// Unit: credentials are found as the docker CLI finds them (DOCKER_AUTH_CONFIG, config.json auths under
// old and new keys, credsStore and credHelpers helpers, `<token>` identity tokens, helpers without
// credentials), secrets never print, and the daemon's X-Registry-Auth header is padded base64url JSON.
import test from 'ava';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  authConfigKey,
  findCredentials,
  hostnameOf,
  registryAuthHeader,
  Secret,
} from '../../engine/registry/credentials.js';

const dirs: string[] = [];
test.after.always(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function configDir(config: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-creds-'));
  dirs.push(dir);
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** A `docker-credential-NAME` that answers `get` for one server address; its PATH entry. */
async function helper(name: string, answers: Record<string, { Username: string; Secret: string }>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-helper-'));
  dirs.push(dir);
  const script = [
    '#!/bin/sh',
    '[ "$1" = get ] || exit 1',
    'read -r server',
    'case "$server" in',
    ...Object.entries(answers).map(
      ([server, answer]) => `  '${server}') echo '${JSON.stringify({ ServerURL: server, ...answer })}'; exit 0;;`,
    ),
    'esac',
    'echo "credentials not found in native keychain"; exit 1',
  ].join('\n');
  await writeFile(join(dir, `docker-credential-${name}`), `${script}\n`);
  await chmod(join(dir, `docker-credential-${name}`), 0o755);
  return dir;
}

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

test('auths: base64 user:password, under the host or an old URL key', async (t) => {
  const dir = await configDir({
    auths: {
      'reg.example:5000': { auth: basic('alice', 'pw:with:colons') },
      'https://old.example/v1/': { auth: basic('bob', 'x') },
    },
  });
  const alice = await findCredentials('reg.example:5000', { configDir: dir, env: {} });
  t.is(alice?.username, 'alice');
  t.is(alice?.password?.reveal(), 'pw:with:colons');
  t.is((await findCredentials('old.example', { configDir: dir, env: {} }))?.username, 'bob');
  t.is(await findCredentials('other.example', { configDir: dir, env: {} }), undefined);
});

test('DOCKER_CONFIG is where config.json is read; a missing file is anonymous', async (t) => {
  const dir = await configDir({ auths: { 'r.example': { auth: basic('carol', 'p') } } });
  t.is((await findCredentials('r.example', { env: { DOCKER_CONFIG: dir } }))?.username, 'carol');
  t.is(await findCredentials('r.example', { env: { DOCKER_CONFIG: join(dir, 'none') } }), undefined);
});

test('DOCKER_AUTH_CONFIG comes first, the file after it', async (t) => {
  const dir = await configDir({
    auths: { 'a.example': { auth: basic('file', 'p') }, 'b.example': { auth: basic('file', 'p') } },
  });
  const env = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'a.example': { auth: basic('env', 'q') } } }) };
  t.is((await findCredentials('a.example', { configDir: dir, env }))?.username, 'env');
  t.is((await findCredentials('b.example', { configDir: dir, env }))?.username, 'file');
});

test('credHelpers[host] beats credsStore, which beats auths; <token> is an identity token', async (t) => {
  const path = await helper('fake', {
    'h.example': { Username: 'helped', Secret: 'hs' },
    't.example': { Username: '<token>', Secret: 'refresh' },
  });
  const store = await helper('store', { 'h.example': { Username: 'stored', Secret: 'ss' } });
  const dir = await configDir({
    credsStore: 'store',
    credHelpers: { 'h.example': 'fake', 't.example': 'fake' },
    auths: { 'h.example': { auth: basic('file', 'p') }, 's.example': { auth: basic('file', 'p') } },
  });
  const env = { PATH: `${path}:${store}:/usr/bin:/bin` };
  const helped = await findCredentials('h.example', { configDir: dir, env });
  t.is(helped?.username, 'helped');
  t.is(helped?.password?.reveal(), 'hs');
  t.is(helped?.source, 'docker-credential-fake');
  const token = await findCredentials('t.example', { configDir: dir, env });
  t.is(token?.identityToken?.reveal(), 'refresh');
  t.is(token?.username, undefined);
  // credsStore answers for every other host: its "not found" is anonymous, the file's auths unused (as docker does).
  t.is(await findCredentials('s.example', { configDir: dir, env }), undefined);
});

test('a missing helper program is one error naming it and the registry', async (t) => {
  const dir = await configDir({ credsStore: 'nonexistent-w16' });
  const error = await t.throwsAsync(
    findCredentials('r.example:443', { configDir: dir, env: { PATH: '/usr/bin:/bin' } }),
  );
  t.regex(error.message, /docker-credential-nonexistent-w16 is not installed/);
  t.regex(error.message, /r\.example:443/);
});

test('Docker Hub has its historical key', (t) => {
  t.is(authConfigKey('docker.io'), 'https://index.docker.io/v1/');
  t.is(authConfigKey('127.0.0.1:5000'), '127.0.0.1:5000');
  t.is(hostnameOf('https://index.docker.io/v1/'), 'index.docker.io');
  t.is(hostnameOf('http://r.example:5000/'), 'r.example:5000');
});

test('a secret never prints', (t) => {
  const secret = new Secret('hunter2');
  const credentials = { username: 'u', password: secret, source: 's' };
  t.false(JSON.stringify(credentials).includes('hunter2'));
  t.false(inspect(credentials, { depth: 5 }).includes('hunter2'));
  t.false(`${secret}`.includes('hunter2'));
  t.is(secret.reveal(), 'hunter2');
});

test('X-Registry-Auth: padded base64url JSON; {} when anonymous', (t) => {
  const header = registryAuthHeader(
    { username: 'alice', password: new Secret('s3cret?>'), source: 'x' },
    '127.0.0.1:5000',
  );
  t.notRegex(header, /[+/]/);
  t.is(header.length % 4, 0);
  t.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')), {
    username: 'alice',
    password: 's3cret?>',
    serveraddress: '127.0.0.1:5000',
  });
  t.is(Buffer.from(registryAuthHeader(undefined, 'x'), 'base64').toString(), '{}');
});
