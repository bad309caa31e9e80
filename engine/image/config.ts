// The Docker/OCI image configuration msbuild authors: its shape, its canonical bytes and ID,
// and the small pure edits instructions make to it (env, history).
import { createHash } from 'node:crypto';
import { copyContainerConfig, hasHistoryChain } from './config-chain.js';

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` object of an image: what a container started from the image gets. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  OnBuild?: string[] | null;
  StopSignal?: string;
  Shell?: string[];
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  author?: string;
  created?: string;
  config: ContainerConfig;
  history: HistoryEntry[];
  rootfs: { type: 'layers'; diff_ids: string[] };
}

/** Comment put on the history entries msbuild writes, as BuildKit writes `buildkit.dockerfile.v0`. */
export const historyComment = 'msbuild.dockerfile.v0';

export const defaultPathEnv = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The config BuildKit starts a `FROM scratch` stage with. */
export function emptyImageConfig(platform: { os: string; architecture: string; variant?: string }): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: [`PATH=${defaultPathEnv}`], WorkingDir: '/' },
    history: [],
    rootfs: { type: 'layers', diff_ids: [] },
  };
}

/**
 * A copy to edit. Nothing in a config is changed in place (a step assigns a new value to a field), so
 * the copy shares its values: history entries (a chain of 1,000 stages would otherwise copy its ever
 * longer history at every step) and the fields steps build up entry by entry (see config-chain.ts).
 */
export function cloneConfig(config: ImageConfig): ImageConfig {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(config)) as ImageConfig;
  copy.config = copyContainerConfig(config.config);
  // A list may be the one a plan appends to as it walks a stage: the copy gets its own.
  if (!hasHistoryChain(config)) copy.history = config.history.slice();
  copy.rootfs = { type: config.rootfs.type, diff_ids: [...config.rootfs.diff_ids] };
  return copy;
}

/** `KEY=value` → [KEY, value]; a missing `=` gives an empty value, as Docker treats it. */
export function splitEnvEntry(entry: string): [string, string] {
  const equals = entry.indexOf('=');
  return equals < 0 ? [entry, ''] : [entry.slice(0, equals), entry.slice(equals + 1)];
}

/** Sets `key` in a Docker env list, replacing in place when present (BuildKit's addEnv). */
export function withEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const result = [...(env ?? [])];
  const index = result.findIndex((entry) => splitEnvEntry(entry)[0] === key);
  if (index >= 0) result[index] = `${key}=${value}`;
  else result.push(`${key}=${value}`);
  return result;
}

export function envListToMap(env: readonly string[] | null | undefined): Map<string, string> {
  return new Map((env ?? []).map(splitEnvEntry));
}

/**
 * The exact bytes of a config: keys in a fixed order so the same config always has the same ID.
 * Docker computes an image's ID as the sha256 of these bytes.
 */
export function configBytes(config: ImageConfig): Buffer {
  return Buffer.from(JSON.stringify(canonical(config)));
}

export function imageIdOf(config: ImageConfig): string {
  return `sha256:${createHash('sha256').update(configBytes(config)).digest('hex')}`;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** The config with creation times removed: two builds of the same plan give the same value. */
export function configWithoutTimes(config: ImageConfig): ImageConfig {
  const copy = cloneConfig(config);
  delete copy.created;
  copy.history = copy.history.map(({ created: _created, ...entry }) => entry);
  return copy;
}
