// The daemon as the docker CLI picks it: DOCKER_HOST, else the context DOCKER_CONTEXT names, else
// the config file's currentContext (config.json in DOCKER_CONFIG, default ~/.docker). A context's
// endpoint and TLS files come from its meta store (contexts/meta/<sha256 of the name>/meta.json,
// contexts/tls/<sha256>/docker/*.pem) and reach docker-modem as DOCKER_HOST, DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY — so colima, rootless and remote contexts work as they do for docker.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './user-error.js';

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(homedir(), '.docker');
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The context name the docker CLI would use (`default` when DOCKER_HOST is set). */
export function currentContextName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_HOST) return 'default';
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  const config = readJson(join(dockerConfigDir(env), 'config.json'));
  const current = config?.currentContext;
  return typeof current === 'string' && current !== '' ? current : 'default';
}

/** Sets DOCKER_HOST (and TLS) in `env` from the current docker context, unless that is `default`. */
export function applyDockerContext(env: NodeJS.ProcessEnv = process.env): void {
  const name = currentContextName(env);
  if (name === 'default') return;
  const id = createHash('sha256').update(name).digest('hex');
  const root = join(dockerConfigDir(env), 'contexts');
  const meta = readJson(join(root, 'meta', id, 'meta.json'));
  if (!meta)
    throw new UsageError(
      `docker context ${JSON.stringify(name)} not found (set by ${env.DOCKER_CONTEXT ? 'DOCKER_CONTEXT' : 'currentContext in config.json'})`,
    );
  const endpoint = (meta.Endpoints as Record<string, { Host?: string; SkipTLSVerify?: boolean }> | undefined)?.docker;
  if (!endpoint?.Host) throw new UsageError(`docker context ${JSON.stringify(name)} has no docker endpoint`);
  env.DOCKER_HOST = endpoint.Host;
  const tls = join(root, 'tls', id, 'docker');
  if (existsSync(join(tls, 'ca.pem')) || existsSync(join(tls, 'cert.pem'))) {
    env.DOCKER_CERT_PATH = tls;
    if (endpoint.SkipTLSVerify) delete env.DOCKER_TLS_VERIFY;
    else env.DOCKER_TLS_VERIFY = '1';
  }
}
