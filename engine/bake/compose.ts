// Compose files as bake reads them (buildx bake/compose.go): each service with a `build:` section is a
// target named after it (dots become underscores), all in the default group; `image:` is the tag when
// `build.tags` gives none. Strings are interpolated first (`${VAR:-x}` …, from the environment and the
// working directory's `.env`). Every `build:` key of the compose specification is read, or refused by
// name where msbuild cannot honour it; `x-bake` adds bake's own attributes, other `x-*` keys are
// extensions and ignored, as compose ignores them.
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { interpolateDocument, parseDotEnv, type Lookup } from './compose-env.js';
import { BakeError } from './errors.js';
import {
  cacheEntries,
  outputEntry,
  secretEntry,
  sshEntry,
  type BakeConfig,
  type SshEntry,
  type Target,
} from './target.js';

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);

const buildKeys = new Set([
  'context',
  'dockerfile',
  'dockerfile_inline',
  'args',
  'ssh',
  'cache_from',
  'cache_to',
  'additional_contexts',
  'entitlements',
  'extra_hosts',
  'isolation',
  'privileged',
  'labels',
  'no_cache',
  'pull',
  'network',
  'shm_size',
  'target',
  'secrets',
  'tags',
  'ulimits',
  'platforms',
  'provenance',
  'sbom',
]);

export interface ComposeFile {
  name: string;
  text: string;
}

class ComposeReader {
  constructor(private readonly file: string) {}

  fail(where: string, message: string): never {
    throw new BakeError(`${this.file}: ${where}: ${message}`);
  }

  string(value: unknown, where: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.fail(where, `expected a string, not ${Array.isArray(value) ? 'a list' : typeof value}`);
  }

  strings(value: unknown, where: string): string[] {
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') return [value];
    if (!Array.isArray(value)) return this.fail(where, 'expected a list of strings');
    return value.map((item, i) => this.string(item, `${where}[${i}]`));
  }

  /** A mapping, or compose's `- KEY=value` list (`- KEY` alone has no value: null). */
  map(value: unknown, where: string, separator = '='): Record<string, string | null> {
    if (value === undefined || value === null) return {};
    if (Array.isArray(value))
      return Object.fromEntries(
        value.map((item, i) => {
          const text = this.string(item, `${where}[${i}]`);
          const at = separator === '=' ? text.indexOf('=') : text.search(/[=:]/);
          return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
        }),
      );
    if (!isMapping(value)) return this.fail(where, 'expected a mapping or a list of KEY=VALUE');
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        item === null ? null : Array.isArray(item) ? item.map(String).join(',') : this.string(item, `${where}.${key}`),
      ]),
    );
  }

  bool(value: unknown, where: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.fail(where, 'expected true or false');
  }
}

/** `service:x` / `target:x` in additional_contexts name another target. */
function namedContexts(map: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).flatMap(([key, value]) => {
      if (value === null) return [];
      const other = /^(service|target):(.*)$/.exec(value);
      return [[key, other ? `target:${other[2].replace(/\./g, '_')}` : value]];
    }),
  );
}

/** Bytes as docker's MemBytes prints them (`128MiB`), from compose's `shm_size` (a number or `128m`). */
function shmSize(value: unknown, reader: ComposeReader, where: string): string {
  return typeof value === 'number' ? `${value}` : reader.string(value, where);
}

function applyXBake(target: Target, ext: unknown, reader: ComposeReader, where: string): void {
  if (ext === undefined || ext === null) return;
  if (!isMapping(ext)) reader.fail(where, 'x-bake must be a mapping');
  const list = (key: string) => {
    const value = ext[key];
    if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
    return reader.strings(value, `${where}.${key}`);
  };
  const known = [
    'tags',
    'cache-from',
    'cache-to',
    'secret',
    'ssh',
    'platforms',
    'output',
    'pull',
    'no-cache',
    'no-cache-filter',
    'contexts',
  ];
  for (const key of Object.keys(ext))
    if (!known.includes(key)) reader.fail(`${where}.${key}`, `unknown x-bake key (known: ${known.join(', ')})`);
  const unique = (items: string[]) => [...new Set(items)];
  if (list('tags').length) target.tags = unique([...(target.tags ?? []), ...list('tags')]);
  if (list('cache-from').length)
    target['cache-from'] = [...(target['cache-from'] ?? []), ...list('cache-from').flatMap(cacheEntries)];
  if (list('cache-to').length)
    target['cache-to'] = [...(target['cache-to'] ?? []), ...list('cache-to').flatMap(cacheEntries)];
  if (list('secret').length) target.secret = [...(target.secret ?? []), ...list('secret').map(secretEntry)];
  if (list('ssh').length) target.ssh = [...(target.ssh ?? []), ...list('ssh').map(sshEntry)];
  if (list('platforms').length) target.platforms = unique([...(target.platforms ?? []), ...list('platforms')]);
  if (list('output').length) target.output = [...(target.output ?? []), ...list('output').map(outputEntry)];
  const pull = reader.bool(ext.pull, `${where}.pull`);
  if (pull !== undefined) target.pull = pull;
  const noCache = reader.bool(ext['no-cache'], `${where}.no-cache`);
  if (noCache !== undefined) target['no-cache'] = noCache;
  if (list('no-cache-filter').length)
    target['no-cache-filter'] = unique([...(target['no-cache-filter'] ?? []), ...list('no-cache-filter')]);
  const contexts = namedContexts(reader.map(ext.contexts, `${where}.contexts`));
  if (Object.keys(contexts).length) target.contexts = { ...contexts, ...(target.contexts ?? {}) };
}

function serviceTarget(
  name: string,
  service: Mapping,
  project: { secrets: Mapping; lookup: Lookup; dir: string },
  reader: ComposeReader,
): Target | undefined {
  if (service.build === undefined || service.build === null) return undefined;
  const where = `services.${name}.build`;
  const build: Mapping =
    typeof service.build === 'string'
      ? { context: service.build }
      : isMapping(service.build)
        ? service.build
        : reader.fail(where, 'expected a string or a mapping');
  for (const key of Object.keys(build))
    if (!buildKeys.has(key) && !key.startsWith('x-'))
      reader.fail(`${where}.${key}`, 'not a key of the compose build specification');
  const targetName = name.replace(/\./g, '_');
  const target: Target = { name: targetName };
  const str = (key: string) =>
    build[key] === undefined || build[key] === null ? undefined : reader.string(build[key], `${where}.${key}`);
  const context = str('context');
  if (context) target.context = context;
  const dockerfile = str('dockerfile');
  if (dockerfile) target.dockerfile = dockerfile;
  const inline = str('dockerfile_inline');
  if (inline) target['dockerfile-inline'] = inline;
  // `args: [FOO]` takes FOO from the service's environment, then from the project's.
  const environment = {
    ...envFiles(service.env_file, project.dir, reader, `services.${name}.env_file`),
    ...reader.map(service.environment, `services.${name}.environment`),
  };
  const args = reader.map(build.args, `${where}.args`);
  const resolved = Object.fromEntries(
    Object.entries(args).flatMap(([key, value]) => {
      if (value !== null) return [[key, value]];
      const fromEnv = environment[key] ?? project.lookup(key);
      return fromEnv === undefined || fromEnv === null ? [] : [[key, fromEnv]];
    }),
  );
  if (Object.keys(resolved).length) target.args = resolved;
  const labels = reader.map(build.labels, `${where}.labels`);
  if (Object.keys(labels).length)
    target.labels = Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, value ?? '']));
  const contexts = namedContexts(reader.map(build.additional_contexts, `${where}.additional_contexts`));
  if (Object.keys(contexts).length) target.contexts = contexts;
  const tags = reader.strings(build.tags, `${where}.tags`);
  if (tags.length) target.tags = tags;
  else if (service.image !== undefined && service.image !== null)
    target.tags = [reader.string(service.image, `services.${name}.image`)];
  const cacheFrom = reader.strings(build.cache_from, `${where}.cache_from`).flatMap(cacheEntries);
  if (cacheFrom.length) target['cache-from'] = cacheFrom;
  const cacheTo = reader.strings(build.cache_to, `${where}.cache_to`).flatMap(cacheEntries);
  if (cacheTo.length) target['cache-to'] = cacheTo;
  const network = str('network');
  if (network) target.network = network;
  const platforms = reader.strings(build.platforms, `${where}.platforms`);
  if (platforms.length) target.platforms = platforms;
  const target_ = str('target');
  if (target_) target.target = target_;
  if (reader.bool(build.no_cache, `${where}.no_cache`)) target['no-cache'] = true;
  if (reader.bool(build.pull, `${where}.pull`)) target.pull = true;
  if (build.shm_size !== undefined && build.shm_size !== null)
    target['shm-size'] = shmSize(build.shm_size, reader, `${where}.shm_size`);
  const hosts = reader.map(build.extra_hosts, `${where}.extra_hosts`, ':=');
  if (Object.keys(hosts).length) target['extra-hosts'] = hosts;
  if (build.ulimits !== undefined && build.ulimits !== null) {
    if (!isMapping(build.ulimits)) reader.fail(`${where}.ulimits`, 'expected a mapping');
    target.ulimits = Object.entries(build.ulimits).map(([limit, value]) => {
      if (typeof value === 'number') return `${limit}=${value}:${value}`;
      if (isMapping(value)) return `${limit}=${value.soft}:${value.hard}`;
      return reader.fail(`${where}.ulimits.${limit}`, 'expected a number or {soft, hard}');
    });
  }
  const ssh = build.ssh;
  if (ssh !== undefined && ssh !== null) {
    const entries: SshEntry[] = isMapping(ssh)
      ? Object.entries(ssh).map(([id, path]) => ({ id, ...(path ? { paths: [String(path)] } : {}) }))
      : reader.strings(ssh, `${where}.ssh`).map(sshEntry);
    target.ssh = entries.sort((a, b) => (a.id ?? '').localeCompare(b.id ?? ''));
  }
  if (build.secrets !== undefined && build.secrets !== null) {
    target.secret = (
      Array.isArray(build.secrets) ? build.secrets : reader.fail(`${where}.secrets`, 'expected a list')
    ).map((item, i) => {
      const source =
        typeof item === 'string'
          ? item
          : isMapping(item)
            ? reader.string(item.source, `${where}.secrets[${i}].source`)
            : reader.fail(`${where}.secrets[${i}]`, 'expected a name or {source: …}');
      const definition = project.secrets[source];
      if (!isMapping(definition))
        return reader.fail(`${where}.secrets[${i}]`, `no top-level secret named ${JSON.stringify(source)}`);
      if (definition.external) return reader.fail(`secrets.${source}`, 'external secrets are not supported');
      return {
        id: source,
        ...(definition.file !== undefined ? { src: reader.string(definition.file, `secrets.${source}.file`) } : {}),
        ...(definition.environment !== undefined
          ? { env: reader.string(definition.environment, `secrets.${source}.environment`) }
          : {}),
      };
    });
  }
  const entitlements = reader.strings(build.entitlements, `${where}.entitlements`);
  if (entitlements.length) target.entitlements = entitlements;
  // Keys a local builder cannot honour are refused by name, not ignored.
  const isolation = str('isolation');
  if (isolation !== undefined && isolation !== 'default')
    reader.fail(`${where}.isolation`, `${isolation} is Windows isolation; only "default" is supported`);
  if (reader.bool(build.privileged, `${where}.privileged`))
    reader.fail(
      `${where}.privileged`,
      'privileged builds are not supported: mark the steps that need it with RUN --security=insecure',
    );
  const attests = [
    ...(build.sbom !== undefined ? [{ type: 'sbom', value: build.sbom }] : []),
    ...(build.provenance !== undefined ? [{ type: 'provenance', value: build.provenance }] : []),
  ];
  for (const { type, value } of attests) {
    const text = String(value);
    if (text !== 'false' && text !== '0')
      reader.fail(`${where}.${type}`, 'attestations are not supported: the classic image store keeps none (use false)');
    target.attest = [...(target.attest ?? []), { type, disabled: 'true' }];
  }
  applyXBake(target, build['x-bake'], reader, `${where}.x-bake`);
  return target;
}

function envFiles(value: unknown, dir: string, reader: ComposeReader, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]) {
    const path =
      typeof item === 'string'
        ? item
        : isMapping(item)
          ? reader.string(item.path, where)
          : reader.fail(where, 'expected a path');
    const required = !(isMapping(item) && item.required === false);
    let text: string;
    try {
      text = readFileSync(join(dir, path), 'utf8');
    } catch (error) {
      if (!required) continue;
      return reader.fail(where, `cannot read ${path}: ${(error as Error).message}`);
    }
    for (const [key, val] of parseDotEnv(text, () => undefined, path)) out[key] = val;
  }
  return out;
}

/** The working directory's `.env` under the environment (the environment wins), as buildx reads it. */
export function composeLookup(
  env: NodeJS.ProcessEnv,
  cwd: string,
  overrides: ReadonlyMap<string, string> = new Map(),
): Lookup {
  let dotEnv = new Map<string, string>();
  try {
    dotEnv = parseDotEnv(readFileSync(join(cwd, '.env'), 'utf8'), (name) => env[name], join(cwd, '.env'));
  } catch (error) {
    if (error instanceof BakeError) throw error;
  }
  return (name) => overrides.get(name) ?? env[name] ?? dotEnv.get(name);
}

/** Parses compose files (merged service by service, later files over earlier ones). */
export function parseComposeFiles(files: readonly ComposeFile[], lookup: Lookup): BakeConfig {
  const services: Record<string, Mapping> = {};
  const secrets: Mapping = {};
  for (const file of files) {
    let document: unknown;
    try {
      document = yaml.load(file.text, { filename: file.name });
    } catch (error) {
      throw new BakeError(`${file.name}: ${(error as Error).message}`);
    }
    const reader = new ComposeReader(file.name);
    if (!isMapping(document)) reader.fail('the top', 'expected a mapping');
    const data = interpolateDocument(document, lookup, `${file.name}: `) as Mapping;
    if (data.services !== undefined && data.services !== null && !isMapping(data.services))
      reader.fail('services', 'expected a mapping');
    for (const [name, service] of Object.entries((data.services as Mapping | undefined) ?? {})) {
      const value: unknown = service === null ? {} : service;
      if (!isMapping(value)) return reader.fail(`services.${name}`, 'expected a mapping');
      const previous = services[name];
      services[name] = previous ? { ...previous, ...value, build: mergeBuild(previous.build, value.build) } : value;
    }
    if (isMapping(data.secrets)) Object.assign(secrets, data.secrets);
  }
  const reader = new ComposeReader(files.map((file) => file.name).join(', '));
  const dir = files.length > 0 ? dirname(files[0].name) : '.';
  const targets = Object.entries(services).flatMap(
    ([name, service]) => serviceTarget(name, service, { secrets, lookup, dir }, reader) ?? [],
  );
  return { targets, groups: [{ name: 'default', targets: targets.map((target) => target.name) }] };
}

function mergeBuild(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  const asMapping = (value: unknown) => (typeof value === 'string' ? { context: value } : value);
  const left = asMapping(a);
  const right = asMapping(b);
  return isMapping(left) && isMapping(right) ? { ...left, ...right } : right;
}

/** Whether a YAML document is a compose file (it has services) rather than msbuild's own format. */
export function isComposeDocument(text: string): boolean {
  try {
    const document = yaml.load(text);
    return isMapping(document) && 'services' in document;
  } catch {
    return false;
  }
}
