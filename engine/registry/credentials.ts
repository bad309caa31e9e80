// Registry credentials found the way the docker CLI finds them: DOCKER_AUTH_CONFIG, then the config
// file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): `credHelpers[host]` or `credsStore`
// runs `docker-credential-NAME get` (the docker-credential-helpers protocol: the server address on
// stdin, `{"Username","Secret"}` on stdout, Username `<token>` for an identity token); without a
// helper, `auths[host]` (`auth` is base64 `user:password`). Secrets are wrapped so that printing,
// logging or serializing one shows `[redacted]`.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { RegistryError } from './errors.js';

/** A credential value: its text only through `reveal()`, never by printing or JSON. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface Credentials {
  username?: string;
  password?: Secret;
  /** An OAuth2 refresh token (`docker login` to registries that hand one out). */
  identityToken?: Secret;
  /** A bearer token to send as is. */
  registryToken?: Secret;
  /** Where they came from, for error messages: `DOCKER_CONFIG/config.json auths`, `docker-credential-pass`. */
  source: string;
}

export interface CredentialOptions {
  /** Directory of config.json (default: DOCKER_CONFIG, else ~/.docker). */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Docker Hub's key in config files and for helpers, as the docker CLI writes it. */
const hubKey = 'https://index.docker.io/v1/';

/** The key a registry host has in `auths`, `credHelpers` and for helpers. */
export function authConfigKey(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io' ? hubKey : host;
}

/** `https://host:port/v1/` → `host:port` (the docker CLI's ConvertToHostname, for old keys). */
export function hostnameOf(key: string): string {
  let text = key;
  if (text.includes('://')) {
    try {
      const url = new URL(text);
      if (url.hostname !== '') return url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
    } catch {
      text = text.slice(text.indexOf('://') + 3);
    }
  }
  return text.split('/')[0];
}

export function configDirOf(options: CredentialOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.configDir !== undefined) return options.configDir;
  return env.DOCKER_CONFIG && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(homedir(), '.docker');
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

function fromAuthEntry(entry: AuthEntry, source: string, where: string): Credentials | undefined {
  let username = entry.username;
  let password = entry.password;
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw new RegistryError(`invalid auth in ${where}: expected base64 of user:password`, 'credentials');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1).replace(/\0+$/, '');
  }
  const credentials: Credentials = {
    source,
    ...(username ? { username } : {}),
    ...(password ? { password: new Secret(password) } : {}),
    ...(entry.identitytoken ? { identityToken: new Secret(entry.identitytoken) } : {}),
    ...(entry.registrytoken ? { registryToken: new Secret(entry.registrytoken) } : {}),
  };
  return credentials.username || credentials.identityToken || credentials.registryToken ? credentials : undefined;
}

function lookupAuths(auths: Record<string, AuthEntry> | undefined, key: string): AuthEntry | undefined {
  if (!auths) return undefined;
  if (auths[key]) return auths[key];
  for (const [name, entry] of Object.entries(auths)) if (hostnameOf(name) === key) return entry;
  return undefined;
}

async function readConfigFile(path: string): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RegistryError(`cannot read the docker config ${path}: ${(error as Error).message}`, 'credentials');
  }
  try {
    return text.trim() === '' ? {} : (JSON.parse(text) as ConfigFile);
  } catch (error) {
    throw new RegistryError(`the docker config ${path} is not JSON: ${(error as Error).message}`, 'credentials');
  }
}

/** Runs `docker-credential-HELPER get`; undefined when the helper has no credentials for `key`. */
export async function runCredentialHelper(
  helper: string,
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const { stdout, failure } = await new Promise<{
    stdout: string;
    failure?: Error & { code?: string | number | null };
  }>((resolve) => {
    const child = execFile(program, ['get'], { env, timeout: 30_000, maxBuffer: 1 << 20 }, (error, out) =>
      resolve({ stdout: String(out), ...(error ? { failure: error } : {}) }),
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(key);
  });
  if (failure) {
    if (stdout.includes('credentials not found')) return undefined;
    const why =
      failure.code === 'ENOENT'
        ? `${program} is not installed (no such program in PATH)`
        : // The helper's first line says why; it is an error message, not the credential.
          `${program} failed: ${stdout.trim().split('\n')[0] || failure.message}`;
    throw new RegistryError(`cannot get credentials for ${hostnameOf(key)}: ${why}`, 'credentials');
  }
  let answer: { Username?: string; Secret?: string };
  try {
    answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
  } catch {
    throw new RegistryError(
      `cannot get credentials for ${hostnameOf(key)}: ${program} did not answer JSON`,
      'credentials',
    );
  }
  if (!answer.Secret) return undefined;
  if (answer.Username === '<token>') return { identityToken: new Secret(answer.Secret), source: program };
  return { username: answer.Username ?? '', password: new Secret(answer.Secret), source: program };
}

/** The credentials for a registry host (`127.0.0.1:5000`, `docker.io`), or undefined: anonymous. */
export async function findCredentials(host: string, options: CredentialOptions = {}): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  const key = authConfigKey(host);
  const fromEnv = env.DOCKER_AUTH_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    let parsed: ConfigFile;
    try {
      parsed = JSON.parse(fromEnv) as ConfigFile;
    } catch {
      throw new RegistryError('DOCKER_AUTH_CONFIG is not JSON', 'credentials');
    }
    const entry = lookupAuths(parsed.auths, key);
    if (entry) return fromAuthEntry(entry, 'DOCKER_AUTH_CONFIG', 'DOCKER_AUTH_CONFIG');
  }
  const path = join(configDirOf(options), 'config.json');
  const config = await readConfigFile(path);
  if (!config) return undefined;
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  if (helper !== undefined && helper !== '') return runCredentialHelper(helper, key, env);
  const entry = lookupAuths(config.auths, key);
  return entry ? fromAuthEntry(entry, `${path} auths`, `${path} auths["${host}"]`) : undefined;
}

/**
 * The daemon's X-Registry-Auth header for these credentials (base64url JSON, padded, as the docker CLI
 * sends it; `{}` when anonymous). The one place a secret is put in a header for the daemon.
 */
export function registryAuthHeader(credentials: Credentials | undefined, serverAddress: string): string {
  const auth: Record<string, string> = {};
  if (credentials?.identityToken) auth.identitytoken = credentials.identityToken.reveal();
  else if (credentials?.registryToken) auth.registrytoken = credentials.registryToken.reveal();
  else if (credentials?.username) {
    auth.username = credentials.username;
    auth.password = credentials.password?.reveal() ?? '';
  }
  if (Object.keys(auth).length > 0) auth.serveraddress = serverAddress;
  // Go's base64.URLEncoding: the URL alphabet with padding (the daemon ignores an unpadded header).
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
